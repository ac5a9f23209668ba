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
