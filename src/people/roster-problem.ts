// Domain refusals of people, groups and the register. They are check-in problems to the API's error
// handler (same RFC 9457 shape); an import problem also tells the line of each error.
import { CheckinProblem, type FieldError } from '../checkins/checkin-problem.js';

export interface LineError extends FieldError {
  /** Line number in an imported file (the header is line 1). */
  line?: number;
}

export class RosterProblem extends CheckinProblem {
  override name = 'RosterProblem';

  static notFoundOf(what: 'person' | 'group', id: number): RosterProblem {
    return new RosterProblem(404, 'Not found', `There is no ${what} with id ${id}.`);
  }

  static conflict(field: string, message: string): RosterProblem {
    return new RosterProblem(409, 'Conflict', `${field}: ${message}`, [{ field, message }]);
  }

  static invalidLines(errors: LineError[]): RosterProblem {
    const shown = errors
      .slice(0, 5)
      .map((e) => (e.line === undefined ? `${e.field}: ${e.message}` : `line ${e.line}, ${e.field}: ${e.message}`));
    const more = errors.length > 5 ? `; and ${errors.length - 5} more` : '';
    return new RosterProblem(400, 'Invalid CSV', `Nothing was imported: ${shown.join('; ')}${more}.`, errors);
  }
}
