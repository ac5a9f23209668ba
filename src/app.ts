// Builds the HTTP application: framework settings, error handling, then every route module.
// The process concerns (listening, signals, database start-up) live in server.ts.
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import { toProblem } from './http-errors.js';
import type { Readiness } from './readiness.js';
import { installWebSecurity } from './auth/web-security.js';
import { adminRoutes } from './routes/admin.js';
import { adminEntryRoutes } from './routes/admin-entries.js';
import { adminSheetRoutes } from './routes/admin-sheet.js';
import { adminTokenRoutes } from './routes/admin-tokens.js';
import { adminUserRoutes } from './routes/admin-users.js';
import { uiAssetRoutes } from './routes/ui-assets.js';
import { uiKioskRoutes } from './routes/ui-kiosk.js';
import { uiLiveRoutes } from './routes/ui-live.js';
import { healthRoutes } from './routes/health.js';
import { seedTableRoutes } from './routes/seed-table.js';

/** What every route module is given. */
export interface AppContext {
  config: Config;
  db: Database;
  readiness: Readiness;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export async function buildApp(context: AppContext, options: { logger?: boolean } = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger:
      options.logger === false
        ? false
        : {
            level: context.config.logLevel,
            // Names are personal data and credentials are secrets: neither is logged.
            redact: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
          },
    routerOptions: { ignoreTrailingSlash: true },
    bodyLimit: 64 * 1024,
    requestTimeout: 30_000,
    // Honour an incoming X-Request-Id (from a proxy) when it is sane; otherwise make one.
    requestIdHeader: false,
    genReqId: (request) => {
      const incoming = request.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const problem = toProblem(error);
    if (problem.status >= 500) request.log.error({ err: error }, problem.title);
    else request.log.info({ code: (error as { code?: string }).code }, problem.detail);
    if (problem.status === 503) reply.header('retry-after', '5');
    if (request.url.startsWith('/api/')) {
      return reply
        .code(problem.status)
        .type('application/problem+json')
        .send({ type: 'about:blank', title: problem.title, status: problem.status, detail: problem.detail, instance: request.url });
    }
    return reply.code(problem.status).send({ detail: problem.detail });
  });

  // Cookies, form bodies, security headers and access control, for every route registered after this.
  await installWebSecurity(app, context);
  // Live-update events for the attendance sheet; registered early so it sees every write route.
  await app.register(uiLiveRoutes, context);

  await app.register(healthRoutes, context);
  await app.register(seedTableRoutes, context);
  await app.register(adminRoutes, context);
  await app.register(adminSheetRoutes, context);
  await app.register(adminEntryRoutes, context);
  await app.register(adminUserRoutes, context);
  await app.register(adminTokenRoutes, context);
  await app.register(uiKioskRoutes, context);
  await app.register(uiAssetRoutes, context);
  return app;
}
