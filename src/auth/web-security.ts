// Everything the browser-facing parts share, installed once on the root instance: cookies, form bodies,
// security headers, the access-control hooks, and the first admin.
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import helmet from 'helmet';
import type { AppContext } from '../app.js';
import { installAccessControl } from '../plugins/access-control.js';
import { installApiAudit } from './api-audit.js';
import { ensureFirstAdmin } from './first-admin.js';

/** Routes (as the router matched them) whose answers can hold personal data. */
const PERSONAL_DATA_ROUTE = /^\/(admin|kiosk)(\/|$)|^\/api\/v1\/|^\/table\/view\//;

export async function installWebSecurity(app: FastifyInstance, context: AppContext): Promise<void> {
  await app.register(cookie);
  await app.register(formbody, { bodyLimit: 16 * 1024 });
  // helmet builds its header middleware once here; the hook only applies it. (@fastify/helmet rebuilt
  // the middleware, CSP parsing included, for every request: measurable on small responses.)
  const securityHeaders = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    // No includeSubDomains: other services may live on sibling names.
    strictTransportSecurity: { maxAge: 15_552_000, includeSubDomains: false },
    referrerPolicy: { policy: 'same-origin' },
    frameguard: { action: 'deny' },
  });
  app.addHook('onRequest', (request, reply, done) => {
    // Pages and answers that can hold names are never kept by a browser (Back after sign-out) or a cache.
    if (PERSONAL_DATA_ROUTE.test(request.routeOptions.url ?? '')) reply.header('cache-control', 'no-store');
    securityHeaders(request.raw, reply.raw, (error?: unknown) => done(error as Error | undefined));
  });
  installAccessControl(app, context);
  installApiAudit(app, context);
  startFirstAdmin(app, context);
}

/**
 * Creates the first admin and registers BOOTSTRAP_API_TOKEN once the schema exists (migrations may still
 * be running when the server starts listening, or may be applied later by `barona migrate`): retried until
 * it succeeds. Until then /readyz answers 503, so nothing that depends on the token is routed here early.
 */
function startFirstAdmin(app: FastifyInstance, context: AppContext): void {
  const TASK = 'first admin and bootstrap token';
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  context.readiness.startupBegins(TASK);
  const attempt = async (delay: number) => {
    try {
      await ensureFirstAdmin(context.db, context.config.auth, app.log);
      context.readiness.startupDone(TASK);
    } catch (error) {
      if (closed) return;
      // A missing table means migrations have not run yet: keep polling at a short interval so readiness
      // follows `barona migrate` closely. Anything else backs off.
      if ((error as { code?: string }).code === '42P01') {
        timer = setTimeout(() => void attempt(500), 500);
        return;
      }
      app.log.warn({ reason: (error as Error).message }, 'setting up the first admin failed; retrying');
      timer = setTimeout(() => void attempt(Math.min(delay * 2, 10_000)), delay);
    }
  };
  app.addHook('onReady', async () => {
    void attempt(500);
  });
  app.addHook('onClose', async () => {
    closed = true;
    clearTimeout(timer);
  });
}

/** True when the browser reached us over HTTPS (directly, or through a proxy that says so). */
export function isHttps(request: FastifyRequest): boolean {
  if (request.protocol === 'https') return true;
  const forwarded = request.headers['x-forwarded-proto'];
  return typeof forwarded === 'string' && forwarded.split(',')[0]!.trim().toLowerCase() === 'https';
}

export function setCookie(
  context: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  name: string,
  value: string,
  maxAgeSeconds?: number,
) {
  const mode = context.config.auth.cookieSecure;
  reply.setCookie(name, value, {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure: mode === 'always' || (mode === 'auto' && isHttps(request)),
    ...(maxAgeSeconds === undefined ? {} : { maxAge: maxAgeSeconds }),
  });
}

export function clearCookie(reply: FastifyReply, name: string) {
  reply.clearCookie(name, { path: '/', httpOnly: true, sameSite: 'strict' });
}
