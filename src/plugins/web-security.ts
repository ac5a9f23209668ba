// What every browser-facing answer shares: cookies, form bodies and strict security headers
// (Content-Security-Policy without inline scripts or styles, HSTS, no framing).
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import helmet from 'helmet';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A probe (/healthz, /readyz, /metrics): answered to machines only; its request line is logged at debug. */
    probe?: boolean;
    /** An API route (/api/v1/…, the seed's /table…): set from its URL when registered (see below). */
    api?: boolean;
  }
}

/** Strict-Transport-Security as on pages (no includeSubDomains: other services may live on sibling names). */
const HSTS = 'max-age=15552000';

const API_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cross-origin-resource-policy': 'same-origin',
  'strict-transport-security': HSTS,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
});

export const webSecurity = fp(
  async (app: FastifyInstance) => {
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
      strictTransportSecurity: { maxAge: 15_552_000, includeSubDomains: false }, // = HSTS
      referrerPolicy: { policy: 'same-origin' },
      frameguard: { action: 'deny' },
    });
    // API answers (JSON, CSV, text) are data, never a document a browser renders: they get the headers
    // OWASP's REST Security Cheat Sheet lists for APIs, five instead of a page's twelve with its longer
    // policy. Nothing may run, load or frame them, the type is not sniffed, HSTS holds, and another
    // site cannot embed them as a resource. Decided once per route, when it is registered.
    app.addHook('onRoute', (route) => {
      const url = route.url ?? route.path ?? '';
      if (url.startsWith('/api/v1/') || url === '/table' || url.startsWith('/table/')) route.config = { ...route.config, api: true };
    });
    app.addHook('onRequest', (request, reply, done) => {
      // (Probes are registered outside this plugin's context, app.ts: they answer orchestrators and
      // scrapers, never a browser.)
      const config = request.routeOptions.config;
      // Answers of every route that is not public can hold names: never kept by a browser (Back after
      // sign-out) or a shared cache. Public pages that show personal data say so themselves.
      const access = config?.access;
      if (access !== undefined && access !== 'public') reply.header('cache-control', 'no-store');
      if (config?.api === true) {
        // Among Fastify's own headers, not on the raw answer: Node then writes the head from the one
        // object Fastify hands it, instead of setting each of Fastify's headers again one by one beside
        // headers set on the raw answer. (No API route takes over the socket, which would skip them.)
        reply.headers(API_HEADERS);
        return done();
      }
      securityHeaders(request.raw, reply.raw, (error?: unknown) => done(error as Error | undefined));
    });
  },
  { name: 'web-security' },
);
