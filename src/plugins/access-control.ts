// Who may call what. Every route declares its access where it is registered, in its options:
//
//   app.get('/api/v1/checkins', { config: { access: 'attendance:read' } }, handler)
//
//   public           anyone (probes, the sign-in page, static assets, the API document)
//   attendance:read  personal data: an admin session, or a gate token with the `read` scope
//   checkin          check-in writes: an admin session (with its CSRF token), or a gate token with the
//                    `checkin` scope, at the token's gate when it is bound to one
//   admin            API administration (corrections, deletions): an admin session with its CSRF token
//   admin-page       the admin pages: an admin session (CSRF on every write); a browser is sent to sign in
//
// AUTH_MODE=open keeps the seed's behaviour: the API levels (attendance:read, checkin, admin) are open
// to anyone; admin pages still need a session. In both modes a bearer token that is presented but unknown,
// expired or revoked is refused, and a request made with a session cookie must carry the session's CSRF
// token to change anything.
//
// Default deny: a route registered without a declaration makes buildApp() throw (assertAccessDeclared).
// The decision is made on the route the router matched (its hooks are attached to that route), so no
// spelling of a URL — percent-encoded letters, doubled or trailing slashes — reaches a route without its
// checks. Public routes get no hook at all.
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions, onRequestHookHandler, preHandlerHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import type { PluginContext } from '../app.js';
import { type Actor, type TokenScope } from '../domain/actor.js';
import { authenticateGateToken } from '../features/tokens/gate-tokens.js';
import { sameSecret } from '../domain/secrets.js';
import { findSession, SESSION_COOKIE, type Session } from '../features/staff/sessions.js';
import { problemDetails, sendProblem, speaksProblemDetails } from '../http/http-errors.js';

export type Access = 'public' | 'attendance:read' | 'checkin' | 'admin' | 'admin-page';

export const ACCESS_LEVELS: readonly Access[] = ['public', 'attendance:read', 'checkin', 'admin', 'admin-page'];

export type Principal =
  | { kind: 'session'; session: Session; actor: Actor }
  | { kind: 'token'; token: { id: number; name: string; gate: string; scopes: readonly TokenScope[] }; actor: Actor };

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call this route (see plugins/access-control.ts). Required on every route. */
    access?: Access;
  }
  interface FastifyRequest {
    /** Who is calling, once identify() has run: undefined = not looked up yet, null = nobody. */
    principal: Principal | null | undefined;
    /** AUTH_MODE=open: a caller without credentials may use the API (see domain/actor.ts). */
    openMode: boolean;
  }
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

function bearer(request: FastifyRequest): string | undefined | null {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1]! : null; // null: an Authorization header we cannot use
}

/** Looks up (once per request) the bearer token or session cookie; null when there is neither or it is invalid. */
export async function identify(request: FastifyRequest, context: PluginContext): Promise<Principal | null> {
  if (request.principal !== undefined) return request.principal;
  let principal: Principal | null = null;
  const presented = bearer(request);
  if (typeof presented === 'string') {
    const token = await authenticateGateToken(context.db, presented);
    if (token) principal = { kind: 'token', token, actor: { kind: 'token', ...token } };
  } else if (presented === undefined) {
    const cookie = request.cookies[SESSION_COOKIE];
    if (cookie) {
      const session = await findSession(context.db, cookie, context.config.auth);
      if (session) {
        const actor: Actor = { kind: 'staff', id: session.userId, username: session.username, role: session.role, groups: session.groups };
        principal = { kind: 'session', session, actor };
      }
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

/** The signed-in admin of a request on an `admin-page` (or session-only) route. */
export function sessionOf(request: FastifyRequest): Session {
  if (request.principal?.kind !== 'session') throw new Error('only for routes whose access needs an admin session');
  return request.principal.session;
}

/**
 * Who is acting: the signed-in staff member, the gate token, or nobody (the open API of AUTH_MODE=open:
 * routes that need credentials have refused a request without them before this is asked).
 */
export function actorOf(request: FastifyRequest): Actor {
  return request.principal?.actor ?? (request.openMode ? OPEN_ANONYMOUS : ANONYMOUS);
}

const ANONYMOUS: Actor = { kind: 'anonymous', open: false };
const OPEN_ANONYMOUS: Actor = { kind: 'anonymous', open: true };

/** Refusals in the dialect of the route: problem details under /api, the seed's texts under /table. */
function refuse(request: FastifyRequest, reply: FastifyReply, status: 401 | 403, detail: string) {
  if (status === 401) reply.header('www-authenticate', 'Bearer realm="barona"');
  if (speaksProblemDetails(request)) {
    return sendProblem(reply, problemDetails(request, status, status === 401 ? 'Unauthorized' : 'Forbidden', detail));
  }
  const path = request.routeOptions.url ?? '';
  // The seed (Django REST Framework) answered with these exact texts.
  const seedDetail =
    status === 401 ? 'Authentication credentials were not provided.' : 'You do not have permission to perform this action.';
  return reply.code(status).send({ detail: path.startsWith('/table/') ? seedDetail : detail });
}

const SCOPE_OF: Partial<Record<Access, TokenScope>> = { 'attendance:read': 'read', checkin: 'checkin' };

const MISSING: Record<Exclude<Access, 'public' | 'admin-page'>, string> = {
  'attendance:read': 'Attendance data needs a gate token with the read scope or an admin session.',
  checkin: 'Check-ins need a gate token (Authorization: Bearer) or an admin session.',
  admin: 'This needs a signed-in staff member: sign in at /admin (GET /api/v1/session then gives the CSRF token).',
};

/** The hooks that enforce one API access level (attendance:read, checkin, admin). */
function apiHooks(access: 'attendance:read' | 'checkin' | 'admin', context: PluginContext) {
  const tokenMode = context.config.authMode === 'token';
  const scope = SCOPE_OF[access];
  const onRequest: onRequestHookHandler = async function (request, reply) {
    const presented = bearer(request);
    const principal = await identify(request, context);
    if (presented !== undefined && principal === null) {
      return refuse(request, reply, 401, 'The bearer token is not valid, has expired or has been revoked.');
    }
    if (!tokenMode) return;
    if (principal === null) return refuse(request, reply, 401, MISSING[access]);
    if (principal.kind === 'token') {
      if (access === 'admin') return refuse(request, reply, 403, 'Gate tokens cannot do this: it needs a signed-in staff member.');
      if (scope && !principal.token.scopes.includes(scope)) {
        return refuse(request, reply, 403, `This token does not have the ${scope} scope.`);
      }
    }
  };
  // Checked once the body is parsed: a form may carry the CSRF token, and the gate is in the body.
  const preHandler: preHandlerHookHandler = async function (request, reply) {
    if (READS.has(request.method)) return;
    const principal = request.principal;
    if (principal?.kind === 'session' && !sameSecret(presentedCsrf(request), principal.session.csrfToken)) {
      return refuse(request, reply, 403, 'Missing or wrong CSRF token (send the X-CSRF-Token header of this session).');
    }
    if (access === 'checkin' && principal?.kind === 'token' && principal.token.gate !== '') {
      const body = request.body as Record<string, unknown> | undefined;
      const gate = typeof body?.gate === 'string' ? body.gate.trim() : '';
      if (gate !== principal.token.gate) {
        return refuse(request, reply, 403, `This token may only check people in at gate "${principal.token.gate}".`);
      }
    }
  };
  return { onRequest, preHandler };
}

/**
 * The page a form was sent from: the Referer when it is one of our own pages on this host, else the
 * form's own URL when that is a page (GET /admin/x serves the form POST /admin/x is sent to), else the sheet.
 */
function formPage(request: FastifyRequest): string {
  const referer = request.headers.referer;
  if (typeof referer === 'string') {
    try {
      const url = new URL(referer);
      if (url.hostname === request.hostname && /^\/(admin|kiosk)(\/|$)/.test(url.pathname)) return url.pathname + url.search;
    } catch {
      // not a URL: fall through
    }
  }
  const path = request.url.split('?')[0]!;
  return /^\/admin\/[a-z]+$/.test(path) ? path : '/admin/sheet';
}

/** The hooks of the admin pages: a session is needed in every AUTH_MODE. */
function adminPageHooks(context: PluginContext) {
  const onRequest: onRequestHookHandler = async function (request, reply) {
    const principal = await identify(request, context);
    if (principal?.kind === 'session') return;
    const wantsHtml = request.method === 'GET' && (request.headers.accept ?? '').includes('text/html');
    if (wantsHtml) return reply.redirect(`/admin?next=${encodeURIComponent(request.url)}`, 303);
    // A form sent after the session ended (left open over lunch): sign in, then back to the page it was on.
    if (request.method === 'POST' && (request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      return reply.redirect(`/admin?expired&next=${encodeURIComponent(formPage(request))}`, 303);
    }
    return reply.code(401).send({ detail: 'Your session has ended; sign in again.' });
  };
  const preHandler: preHandlerHookHandler = async function (request, reply) {
    if (READS.has(request.method)) return;
    if (!sameSecret(presentedCsrf(request), sessionOf(request).csrfToken)) {
      return reply
        .code(403)
        .type('text/plain; charset=utf-8')
        .send('The form was too old or not sent by this site (CSRF check failed). Go back, reload and try again.');
    }
  };
  return { onRequest, preHandler };
}

const asArray = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/**
 * Access control for the whole application, registered before any route: every route's declared access
 * becomes hooks of that route, running before the route's own hooks.
 */
export const accessControl = fp(
  async (app: FastifyInstance, context: PluginContext) => {
    app.decorateRequest('principal', undefined);
    app.decorateRequest('openMode', context.config.authMode === 'open');
    // For public routes that behave differently for someone signed in (the sign-in page, the kiosk).
    app.decorate('identify', (request: FastifyRequest) => identify(request, context));
    const hooks = {
      'attendance:read': apiHooks('attendance:read', context),
      checkin: apiHooks('checkin', context),
      admin: apiHooks('admin', context),
      'admin-page': adminPageHooks(context),
    } as const;
    const routes: RouteOptions[] = [];
    app.addHook('onRoute', (route) => {
      routes.push(route);
      const access = route.config?.access;
      if (access === undefined || access === 'public') return;
      if (!ACCESS_LEVELS.includes(access)) throw new Error(`${route.method} ${route.url}: unknown access "${String(access)}"`);
      route.onRequest = [hooks[access].onRequest, ...asArray(route.onRequest)];
      route.preHandler = [hooks[access].preHandler, ...asArray(route.preHandler)];
    });
    app.decorate('assertAccessDeclared', () => {
      const undeclared = routes.filter((route) => route.config?.access === undefined);
      if (undeclared.length > 0) {
        const list = undeclared.map((route) => `${String(route.method)} ${route.url}`).join(', ');
        throw new Error(`routes without an access declaration (config.access): ${list}`);
      }
    });
  },
  { name: 'access-control' },
);

/**
 * Declares every route registered in this (encapsulated) instance public: for routes that a third-party
 * plugin registers (static assets, the API docs page), whose options we cannot write ourselves.
 */
export function declarePublic(instance: FastifyInstance): void {
  instance.addHook('onRoute', (route) => {
    route.config = { ...route.config, access: route.config?.access ?? 'public' };
  });
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Throws when a registered route has no access declaration (called once every route is registered). */
    assertAccessDeclared(): void;
    /** Who is calling (bearer token or session cookie), looked up once per request; null for nobody. */
    identify(request: FastifyRequest): Promise<Principal | null>;
  }
}
