// What every admin page reads from its request: the signed-in person (name, CSRF token, and the actor
// whose role decides what the page offers) and ids from URLs and forms, read one way everywhere.
import type { FastifyRequest } from 'fastify';
import { actorOf, sessionOf } from '../plugins/access-control.js';
import { DomainError } from '../domain/domain-error.js';
import type { PageUser } from '../views/layout.js';

/** The signed-in staff member of a request on an `admin-page` route. */
export function pageUserOf(request: FastifyRequest): PageUser {
  const session = sessionOf(request);
  return { username: session.username, csrfToken: session.csrfToken, actor: actorOf(request) };
}

/** An id from a URL or a form: 1 to 15 digits, nothing else; undefined otherwise. */
export const idOf = (raw: unknown): number | undefined =>
  typeof raw === 'string' && /^\d{1,15}$/.test(raw) && Number(raw) > 0 ? Number(raw) : undefined;

/**
 * A text filter of a page's query string, trimmed and cut to `max` characters (empty is undefined). A NUL
 * character, which PostgreSQL's text cannot hold, is a 400 naming the field, as the API's SafeText is.
 */
export function pageFilterText(raw: unknown, field: string, max: number): string | undefined {
  if (typeof raw !== 'string') return undefined;
  if (raw.includes('\u0000')) throw DomainError.invalid(field, 'must not contain NUL characters');
  return raw.trim().slice(0, max) || undefined;
}
