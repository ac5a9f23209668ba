// Reading posted forms and showing a field's error next to it (aria-invalid + aria-describedby).
import { DomainError } from '../domain/domain-error.js';
import { html, type SafeHtml } from './html.js';

export type FormBody = Record<string, unknown> | undefined;

/** A form field as text ('' when missing or sent several times). */
export const formText = (body: FormBody, key: string): string => (typeof body?.[key] === 'string' ? (body[key] as string) : '');

/** A form field that may be sent several times (checkboxes), as a list. */
export const formTexts = (body: FormBody, key: string): string[] => {
  const value = body?.[key];
  return typeof value === 'string' ? [value] : Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
};

/** Error messages by form field name. */
export type FieldErrors = Partial<Record<string, string>>;

/**
 * A domain refusal as messages by form field: the domain's field path (`schedule.dates.2`) is mapped to
 * the form field that holds it (`dates`); a field the form does not show goes under `form`.
 */
export function fieldErrorsOf(problem: DomainError, fieldOf: (path: string) => string | undefined): FieldErrors {
  const errors: FieldErrors = {};
  for (const error of problem.errors) {
    const field = fieldOf(error.field) ?? 'form';
    errors[field] ??= field === 'form' ? `${error.field}: ${error.message}` : error.message;
  }
  if (problem.errors.length === 0) errors.form = problem.detail;
  return errors;
}

/** The attributes that tie an input to its error message. */
export function invalidAttributes(id: string, error: string | undefined): SafeHtml | '' {
  return error ? html` aria-invalid="true" aria-describedby="${id}-error"` : '';
}

/** The error message under a field (nothing when it is fine). */
export function fieldError(id: string, error: string | undefined): SafeHtml | '' {
  return error ? html`<p class="field-error" id="${id}-error">${error}</p>` : '';
}

/** A labelled input with its error message under it. */
export function inputField(options: {
  id: string;
  name: string;
  label: string | SafeHtml;
  value: string;
  error?: string;
  attributes?: SafeHtml;
}): SafeHtml {
  return html`<div class="field">
    <label for="${options.id}">${options.label}</label>
    <input
      id="${options.id}"
      name="${options.name}"
      value="${options.value}"
      ${options.attributes ?? ''}${invalidAttributes(options.id, options.error)}
    />
    ${fieldError(options.id, options.error)}
  </div>`;
}
