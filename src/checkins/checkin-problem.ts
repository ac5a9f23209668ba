// A domain rule said no. Routes turn this into an RFC 9457 problem (status, title, detail, and the
// offending fields), so the rules themselves never deal with HTTP beyond choosing the status.
import { FAULT_MESSAGES, type FieldFaultOf } from './checkin-fields.js';

export interface FieldError {
  field: string;
  message: string;
}

export class CheckinProblem extends Error {
  override name = 'CheckinProblem';
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors: FieldError[] = [],
    /** What the field rule found (checkin-fields.ts), for callers that word it in their own dialect. */
    readonly faults: FieldFaultOf[] = [],
  ) {
    super(detail);
  }

  /** 400 naming one field. */
  static invalid(field: string, message: string): CheckinProblem {
    return new CheckinProblem(400, 'Invalid request', `${field}: ${message}`, [{ field, message }]);
  }

  /** 400 naming every field the field rule refused. */
  static invalidFields(faults: FieldFaultOf[]): CheckinProblem {
    const errors = faults.map(({ field, fault }) => ({ field, message: FAULT_MESSAGES[fault] }));
    const detail = errors.map((e) => `${e.field}: ${e.message}`).join('; ');
    return new CheckinProblem(400, 'Invalid request', detail, errors, faults);
  }

  static notFound(id: number): CheckinProblem {
    return new CheckinProblem(404, 'Not found', `There is no check-in with id ${id}.`);
  }
}
