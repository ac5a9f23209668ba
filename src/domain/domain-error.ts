// A rule of the domain said no: bad input, something that does not exist (or may not be seen), a
// conflict with what is stored, or an actor without the right. Services throw it; each surface words it
// in its own dialect in one place (plugins/error-handler.ts: RFC 9457 problem details under /api, the
// seed's {"detail"} elsewhere; pages show the detail next to the field), so the rules never deal with
// HTTP beyond choosing the status.
import { FAULT_MESSAGES, type FieldFaultOf } from '../features/checkins/checkin-fields.js';

export interface FieldError {
  field: string;
  message: string;
  /** Line number in an imported file (the header is line 1). */
  line?: number;
}

/** Kept for callers that name the line of an import's error. */
export type LineError = FieldError;

export class DomainError extends Error {
  override name = 'DomainError';
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors: FieldError[] = [],
    /** What the check-in field rule found (checkin-fields.ts), for callers that word it in their own dialect. */
    readonly faults: FieldFaultOf[] = [],
  ) {
    super(detail);
  }

  /** 400 naming one field. */
  static invalid(field: string, message: string): DomainError {
    return new DomainError(400, 'Invalid request', `${field}: ${message}`, [{ field, message }]);
  }

  /** 400 naming every field the check-in field rule refused. */
  static invalidFields(faults: FieldFaultOf[]): DomainError {
    const errors = faults.map(({ field, fault }) => ({ field, message: FAULT_MESSAGES[fault] }));
    const detail = errors.map((e) => `${e.field}: ${e.message}`).join('; ');
    return new DomainError(400, 'Invalid request', detail, errors, faults);
  }

  /** 400 naming the line of each error of an import; nothing of it was written. */
  static invalidLines(errors: LineError[]): DomainError {
    const shown = errors
      .slice(0, 5)
      .map((e) => (e.line === undefined ? `${e.field}: ${e.message}` : `line ${e.line}, ${e.field}: ${e.message}`));
    const more = errors.length > 5 ? `; and ${errors.length - 5} more` : '';
    return new DomainError(400, 'Invalid CSV', `Nothing was imported: ${shown.join('; ')}${more}.`, errors);
  }

  /** 404 for a check-in. */
  static notFound(id: number): DomainError {
    return DomainError.notFoundOf('check-in', id);
  }

  /** 404: no such thing, or one the actor may not know exists. */
  static notFoundOf(what: string, id: number | string): DomainError {
    return new DomainError(404, 'Not found', `There is no ${what} with id ${id}.`);
  }

  /** 409 naming the field whose value conflicts with what is stored. */
  static conflict(field: string, message: string): DomainError {
    return new DomainError(409, 'Conflict', `${field}: ${message}`, [{ field, message }]);
  }

  /** 403: the actor is known but their role or token does not allow this. */
  static forbidden(detail: string): DomainError {
    return new DomainError(403, 'Forbidden', detail);
  }
}
