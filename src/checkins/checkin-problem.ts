// A domain rule said no. Routes turn this into an RFC 9457 problem (status, title, detail, and the
// offending fields), so the rules themselves never deal with HTTP beyond choosing the status.

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
  ) {
    super(detail);
  }

  /** 400 naming one field. */
  static invalid(field: string, message: string): CheckinProblem {
    return new CheckinProblem(400, 'Invalid request', `${field}: ${message}`, [{ field, message }]);
  }

  static notFound(id: number): CheckinProblem {
    return new CheckinProblem(404, 'Not found', `There is no check-in with id ${id}.`);
  }
}
