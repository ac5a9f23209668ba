// What every browser-facing answer shares: cookies, form bodies and strict security headers
// (Content-Security-Policy without inline scripts or styles, HSTS, no framing).
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import helmet from 'helmet';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A probe (/healthz, /readyz, /metrics): answered to machines only, without a page's security headers. */
    probe?: boolean;
  }
}

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
      // No includeSubDomains: other services may live on sibling names.
      strictTransportSecurity: { maxAge: 15_552_000, includeSubDomains: false },
      referrerPolicy: { policy: 'same-origin' },
      frameguard: { action: 'deny' },
    });
    app.addHook('onRequest', (request, reply, done) => {
      const config = request.routeOptions.config;
      // Probes answer orchestrators and scrapers, never a browser: a page's headers would only cost.
      if (config?.probe === true) return done();
      // Answers of every route that is not public can hold names: never kept by a browser (Back after
      // sign-out) or a shared cache. Public pages that show personal data say so themselves.
      const access = config?.access;
      if (access !== undefined && access !== 'public') reply.header('cache-control', 'no-store');
      securityHeaders(request.raw, reply.raw, (error?: unknown) => done(error as Error | undefined));
    });
  },
  { name: 'web-security' },
);
