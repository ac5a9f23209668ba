// The one rule for the text a person types into a check-in (first name, last name, gate), whichever
// door it comes through: the seed API, /api/v1, the kiosk or the admin pages. The rule names what is
// wrong (a fault); each caller renders faults in its own dialect (the seed's Django REST Framework
// messages, problem details, a form notice), so the rule is decided once and worded where it is shown.
import type { Direction } from './checkin-repository.js';

/** Names and gates are counted in characters (code points), as PostgreSQL's char_length does. */
export const TEXT_MAX = 100;

export type FieldFault =
  /** absent where a value is needed */
  | 'required'
  /** JSON null where a value is needed */
  | 'null'
  /** not a string (a number, a list, an object) */
  | 'not-text'
  /** holds a NUL character, which PostgreSQL's text cannot store */
  | 'nul'
  /** empty once trimmed, where a value is needed */
  | 'blank'
  /** longer than TEXT_MAX characters once trimmed */
  | 'too-long'
  /** a direction other than `in` or `out` */
  | 'not-direction';

export interface FieldFaultOf {
  field: string;
  fault: FieldFault;
}

/** A cleaned (trimmed) text value, or what is wrong with it. */
export function readText(value: unknown, required: boolean): { value: string } | { fault: FieldFault } {
  if (value === undefined || value === null) return required ? { fault: value === null ? 'null' : 'required' } : { value: '' };
  if (typeof value !== 'string') return { fault: 'not-text' };
  const trimmed = value.trim();
  if (trimmed.includes('\u0000')) return { fault: 'nul' };
  if (required && trimmed === '') return { fault: 'blank' };
  if ([...trimmed].length > TEXT_MAX) return { fault: 'too-long' };
  return { value: trimmed };
}

export function readDirection(value: unknown): { value: Direction } | { fault: FieldFault } {
  return value === 'in' || value === 'out' ? { value } : { fault: 'not-direction' };
}

/** How the versioned API and the domain word a fault (problem details: "field: message"). */
export const FAULT_MESSAGES: Record<FieldFault, string> = {
  required: 'is required',
  null: 'must be a string, not null',
  'not-text': 'must be a string',
  nul: 'must not contain NUL characters',
  blank: 'must not be blank',
  'too-long': `must be at most ${TEXT_MAX} characters`,
  'not-direction': 'must be one of in, out',
};

// ---- When it happened ------------------------------------------------------------------------------

/** A kiosk clock running slightly ahead of the server's is not "the future". */
export const CLOCK_SKEW_SECONDS = 60;

/**
 * The earliest time an entry made by hand may carry (recorded or moved by staff, who are not held to
 * the backdate window): Barona keeps attendance of the present, not history, so anything before 2000 is
 * a typo (1900, 0026 for 2026) rather than a real arrival.
 */
export const EARLIEST_OCCURRED_AT = '2000-01-01T00:00:00Z';

/** How far back an occurredAt may go: a window of hours (gate tokens, the kiosk) or anything after EARLIEST_OCCURRED_AT (by hand). */
export type Backdating = { windowHours: number } | 'by-hand';

/**
 * An occurredAt (RFC 3339 with an offset) as an ISO instant, or the message saying what is wrong with
 * it: not a date-time, in the future (beyond CLOCK_SKEW_SECONDS), or further back than `backdating` allows.
 */
export function readOccurredAt(value: string, backdating: Backdating, now: Date): { value: string } | { message: string } {
  const at = Date.parse(value);
  if (Number.isNaN(at)) return { message: 'must be an ISO 8601 date-time with a time zone' };
  if (at > now.getTime() + CLOCK_SKEW_SECONDS * 1000) return { message: 'must not be in the future' };
  if (backdating === 'by-hand') {
    if (at < Date.parse(EARLIEST_OCCURRED_AT)) return { message: `must not be before ${EARLIEST_OCCURRED_AT.slice(0, 10)}` };
  } else if (at < now.getTime() - backdating.windowHours * 3_600_000) {
    return { message: `must be within the last ${backdating.windowHours} hours` };
  }
  return { value: new Date(at).toISOString() };
}

/** The offset of `timezone` from UTC at the instant `at`, in milliseconds. */
function offsetAt(at: number, timezone: string): number {
  const name = new Intl.DateTimeFormat('en-US', { timeZone: timezone, timeZoneName: 'longOffset' })
    .formatToParts(at)
    .find((part) => part.type === 'timeZoneName')?.value;
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(name ?? '');
  return match ? (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3])) * 60_000 : 0;
}

/**
 * A local wall time as a form's datetime-local field sends it (YYYY-MM-DDTHH:MM, seconds optional) in
 * `timezone`, as an RFC 3339 instant; undefined when it is not such a time. A wall time the clocks skip
 * or repeat (the hour of a daylight-saving change) is read with one of the two offsets around the change.
 */
export function localDateTime(value: string, timezone: string): string | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value.trim());
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map((part) => Number(part ?? 0)) as number[];
  const wall = Date.UTC(year!, month! - 1, day!, hour!, minute!, second!);
  const check = new Date(wall);
  if (check.getUTCMonth() !== month! - 1 || check.getUTCDate() !== day! || hour! > 23 || minute! > 59 || second! > 59) return undefined;
  // The offset at the wall time read as UTC is right but near a change; asked again at the instant found, it is.
  const guess = wall - offsetAt(wall, timezone);
  return new Date(wall - offsetAt(guess, timezone)).toISOString();
}
