// Who may do what, for the whole application (installed on the root instance by app.ts):
//
//   check-in writes  POST /api/v1/checkins, POST /table/create
//                    AUTH_MODE=token: a gate token (Authorization: Bearer) or an admin session with its
//                    CSRF token (X-CSRF-Token); AUTH_MODE=open: anyone, as the seed allowed.
//   corrections      PATCH/DELETE /api/v1/checkins/{id}
//                    AUTH_MODE=token: an admin session with its CSRF token (a gate token gets 403);
//                    AUTH_MODE=open: anyone, like every API route (audited as anonymous).
//   personal reads   GET /api/v1/checkins..., /api/v1/days/..., /table/view/...
//                    AUTH_MODE=token: a gate token or an admin session; AUTH_MODE=open: anyone.
//   admin pages      /admin/* (not /admin itself, the sign-in page): requireAdmin() on each route.
//
// A bearer token that is presented but unknown or revoked is refused in both modes.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../app.js';
import { authenticateGateToken } from './gate-tokens.js';
import { sameSecret } from './secrets.js';
import { findSession, SESSION_COOKIE, type Session } from './sessions.js';

export type Principal =
  | { kind: 'session'; session: Session; actor: string }
  | { kind: 'token'; token: { id: number; name: string; gate: string }; actor: string };

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling, once identify() has run: undefined = not looked up yet, null = nobody. */
    principal: Principal | null | undefined;
  }
}

type Rule = 'checkin-write' | 'correction' | 'personal-read' | undefined;

const CHECKIN_ITEM = /^\/api\/v1\/checkins\/[^/]+$/;

/**
 * The path the router serves for this request: the pattern of the matched route (e.g.
 * `/api/v1/checkins/:id`), never the raw URL, which may spell the same route with percent-encoded
 * letters, doubled or trailing slashes. Undefined when no route matched (the answer is a 404 anyway).
 */
export function routePath(request: FastifyRequest): string | undefined {
  return request.routeOptions.url;
}

export function classify(method: string, path: string | undefined): Rule {
  if (path === undefined) return undefined;
  const write = method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';
  if (path === '/table/create') return method === 'POST' ? 'checkin-write' : undefined;
  if (path.startsWith('/table/view/')) return write ? undefined : 'personal-read';
  if (path.startsWith('/api/v1/')) {
    if (!write) return path.startsWith('/api/v1/checkins') || path.startsWith('/api/v1/days/') ? 'personal-read' : undefined;
    if ((method === 'PATCH' || method === 'DELETE' || method === 'PUT') && CHECKIN_ITEM.test(path)) return 'correction';
    return 'checkin-write';
  }
  return undefined;
}

function bearer(request: FastifyRequest): string | undefined | null {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1]! : null; // null: an Authorization header we cannot use
}

/** Looks up (once per request) the session cookie or bearer token; null when there is neither or it is invalid. */
export async function identify(request: FastifyRequest, context: AppContext): Promise<Principal | null> {
  if (request.principal !== undefined) return request.principal;
  let principal: Principal | null = null;
  const presented = bearer(request);
  if (typeof presented === 'string') {
    const token = await authenticateGateToken(context.db, presented);
    if (token) principal = { kind: 'token', token, actor: `token:${token.name}` };
  } else if (presented === undefined) {
    const cookie = request.cookies[SESSION_COOKIE];
    if (cookie) {
      const session = await findSession(context.db, cookie, context.config.auth);
      if (session) principal = { kind: 'session', session, actor: session.username };
    }
  }
  request.principal = principal;
  return principal;
}

/** The CSRF token sent with a state-changing request: X-CSRF-Token header, or the _csrf form field. */
export function presentedCsrf(request: FastifyRequest): string | undefined {
  const header = request.headers['x-csrf-token'];
  if (typeof header === 'string') return header;
  const body = request.body as Record<string, unknown> | undefined;
  return typeof body?._csrf === 'string' ? body._csrf : undefined;
}

function refuse(request: FastifyRequest, reply: FastifyReply, status: 401 | 403, detail: string) {
  if (status === 401) reply.header('www-authenticate', 'Bearer realm="barona"');
  const path = routePath(request) ?? '';
  if (path.startsWith('/api/')) {
    return reply
      .code(status)
      .type('application/problem+json')
      .send({ type: 'about:blank', title: status === 401 ? 'Unauthorized' : 'Forbidden', status, detail, instance: request.url });
  }
  // The seed (Django REST Framework) answered with these exact texts.
  const seedDetail =
    status === 401 ? 'Authentication credentials were not provided.' : 'You do not have permission to perform this action.';
  return reply.code(status).send({ detail: path.startsWith('/table/') ? seedDetail : detail });
}

export function installAccessControl(app: FastifyInstance, context: AppContext): void {
  const tokenMode = context.config.authMode === 'token';
  app.decorateRequest('principal', undefined);

  app.addHook('onRequest', async (request, reply) => {
    const rule = classify(request.method, routePath(request));
    if (rule === undefined) return;
    const presented = bearer(request);
    const principal = await identify(request, context);
    if (presented !== undefined && principal === null) {
      return refuse(request, reply, 401, 'The bearer token is not valid or has been revoked.');
    }
    if (!tokenMode) return;
    if (rule === 'correction') {
      if (principal === null) return refuse(request, reply, 401, 'Sign in as an admin to correct or delete entries.');
      if (principal.kind !== 'session') return refuse(request, reply, 403, 'Gate tokens cannot correct or delete entries; an admin must.');
    }
    if (principal === null) {
      return refuse(
        request,
        reply,
        401,
        rule === 'personal-read'
          ? 'Attendance data needs a gate token or an admin session.'
          : 'Check-ins need a gate token (Authorization: Bearer) or an admin session.',
      );
    }
  });

  // CSRF for cookie-authenticated writes is checked once the body is parsed (a form may carry it).
  app.addHook('preHandler', async (request, reply) => {
    const rule = classify(request.method, routePath(request));
    if (rule !== 'checkin-write' && rule !== 'correction') return;
    const principal = request.principal;
    if (principal?.kind === 'session' && !sameSecret(presentedCsrf(request), principal.session.csrfToken)) {
      return refuse(request, reply, 403, 'Missing or wrong CSRF token (send the X-CSRF-Token header of this session).');
    }
    // A token bound to a gate may only check people in at that gate.
    if (principal?.kind === 'token' && principal.token.gate !== '' && rule === 'checkin-write') {
      const body = request.body as Record<string, unknown> | undefined;
      const gate = typeof body?.gate === 'string' ? body.gate.trim() : '';
      if (gate !== principal.token.gate) {
        return refuse(request, reply, 403, `This token may only check people in at gate "${principal.token.gate}".`);
      }
    }
  });
}

export interface RequireAdminOptions {
  /** Check the session's CSRF token (every state-changing admin route). */
  csrf?: boolean;
}

/** preHandler for admin pages: redirects to the sign-in page (HTML) or answers 401 (fetch/SSE). */
export function requireAdmin(context: AppContext, options: RequireAdminOptions = {}) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const principal = await identify(request, context);
    if (principal?.kind !== 'session') {
      const wantsHtml = request.method === 'GET' && (request.headers.accept ?? '').includes('text/html');
      if (wantsHtml) return reply.redirect(`/admin?next=${encodeURIComponent(request.url)}`, 303);
      return reply.code(401).send({ detail: 'Your session has ended; sign in again.' });
    }
    if (options.csrf && !sameSecret(presentedCsrf(request), principal.session.csrfToken)) {
      return reply
        .code(403)
        .type('text/plain; charset=utf-8')
        .send('The form was too old or not sent by this site (CSRF check failed). Go back, reload and try again.');
    }
  };
}

export function sessionOf(request: FastifyRequest): Session {
  if (request.principal?.kind !== 'session') throw new Error('requireAdmin() must run before this handler');
  return request.principal.session;
}
