// Builds the HTTP application: framework settings, error handling, then every route module.
// The process concerns (listening, signals, database start-up) live in server.ts.
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import { CheckinWriter } from './checkins/checkin-writer.js';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import { toProblem } from './http-errors.js';
import { RequestLogController, loggerOptions } from './logging.js';
import { Metrics, instrumentApp } from './metrics.js';
import { limitWrites } from './rate-limit.js';
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
import { apiRoutes } from './routes/api.js';
import { healthRoutes } from './routes/health.js';
import { registerOpenApi } from './routes/openapi.js';
import { seedTableRoutes } from './routes/seed-table.js';

/** What every route module is given. */
export interface AppContext {
  config: Config;
  db: Database;
  readiness: Readiness;
  /** Group-committing check-in writer: every check-in is written through it (checkin-writer.ts). */
  writer: CheckinWriter;
}

/** What buildApp is given: the writer is made from config.writeBatch when absent. */
export type AppInput = Omit<AppContext, 'writer'> & { writer?: CheckinWriter };

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface BuildOptions {
  logger?: boolean;
  /** The process's metrics (server.ts shares them with the METRICS_PORT listener); made here when absent. */
  metrics?: Metrics;
  /** More route modules, registered after the built-in ones (for embedding the app, and tests). */
  routes?: FastifyPluginAsync<AppContext>[];
}

export async function buildApp(input: AppInput, options: BuildOptions = {}): Promise<FastifyInstance> {
  const { config } = input;
  const app = Fastify({
    // Names are personal data and credentials are secrets: neither is logged (see logging.ts).
    logger: options.logger === false ? false : loggerOptions(config.logLevel),
    logController: new RequestLogController(),
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true },
    bodyLimit: 64 * 1024,
    // Slow or stalled clients cannot hold a connection: headers and whole requests have deadlines.
    requestTimeout: config.httpRequestTimeoutSeconds * 1000,
    http: { headersTimeout: config.httpHeadersTimeoutSeconds * 1000, connectionsCheckingInterval: 1_000 },
    trustProxy: config.trustProxy,
    // A request that reaches us while closing (on a connection accepted just before) is served, not
    // refused: the pool is still open until every in-flight request has finished.
    return503OnClosing: false,
    // Honour an incoming X-Request-Id (from a proxy) when it is sane; otherwise make one.
    requestIdHeader: false,
    genReqId: (request) => {
      const incoming = request.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
  });

  // Node hands CONNECT to a 'connect' listener and drops the connection silently without one: answer it.
  app.server.on('connect', (_request, socket) => {
    socket.end('HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD, POST, OPTIONS\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // Once shutdown has begun, every answer ends its keep-alive connection, so no client reuses a
    // connection the server is about to close.
    if (input.readiness.isShuttingDown) reply.header('connection', 'close');
  });
  // The OpenAPI document sees the routes registered after it: all of them.
  await registerOpenApi(app);
  instrumentApp(app, options.metrics ?? new Metrics(input.db), { serveEndpoint: config.metricsPort === undefined });
  await limitWrites(app, config.rateLimitWritesPerMinute);

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const problem = toProblem(error);
    if (problem.status >= 500) request.log.error({ err: error }, problem.title);
    // The detail of a client error can quote the request body (e.g. a JSON syntax error): not logged.
    else request.log.info({ code: (error as { code?: string }).code, status: problem.status }, problem.title);
    if (problem.status === 503) reply.header('retry-after', '5');
    if ((request.routeOptions.url ?? request.url).startsWith('/api/')) {
      return reply
        .code(problem.status)
        .type('application/problem+json')
        .send({ type: 'about:blank', title: problem.title, status: problem.status, detail: problem.detail, instance: request.url });
    }
    return reply.code(problem.status).send({ detail: problem.detail });
  });

  const writer =
    input.writer ??
    new CheckinWriter(input.db, {
      ...config.writeBatch,
      // PGlite has one connection; a pool lets as many batches run as it has connections.
      maxInFlight: config.database.kind === 'postgres' ? config.database.poolMax : 1,
    });
  // Requests still waiting for a batch are answered before the database is closed.
  app.addHook('onClose', () => writer.close());
  const context: AppContext = { ...input, writer };

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
  await app.register(apiRoutes, { ...context, prefix: '/api' });
  for (const routes of options.routes ?? []) await app.register(routes, context);
  // Default deny: a route that does not say who may call it stops the start.
  app.assertAccessDeclared();
  return app;
}
