// What every admin page reads from its request: the signed-in person (name, CSRF token, and the actor
// whose role decides what the page offers) and ids from URLs and forms, read one way everywhere.
import type { FastifyRequest } from 'fastify';
import { actorOf, sessionOf } from '../plugins/access-control.js';
import type { PageUser } from '../views/layout.js';

/** The signed-in staff member of a request on an `admin-page` route. */
export function pageUserOf(request: FastifyRequest): PageUser {
  const session = sessionOf(request);
  return { username: session.username, csrfToken: session.csrfToken, actor: actorOf(request) };
}

/** An id from a URL or a form: 1 to 15 digits, nothing else; undefined otherwise. */
export const idOf = (raw: unknown): number | undefined =>
  typeof raw === 'string' && /^\d{1,15}$/.test(raw) && Number(raw) > 0 ? Number(raw) : undefined;
