// Builds the HTTP application: framework settings, error handling, then every route module.
// The process concerns (listening, signals, database start-up) live in server.ts.
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { CheckinWriter } from './checkins/checkin-writer.js';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import { toProblem } from './http-errors.js';
import type { Readiness } from './readiness.js';
import { adminRoutes } from './routes/admin.js';
import { healthRoutes } from './routes/health.js';
import { seedTableRoutes } from './routes/seed-table.js';

/** What every route module is given. */
export interface AppContext {
  config: Config;
  db: Database;
  readiness: Readiness;
  /** Group-committing check-in writer; buildApp makes one from config.writeBatch when not given. */
  writer?: CheckinWriter;
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

  const writer =
    context.writer ??
    new CheckinWriter(context.db, {
      ...context.config.writeBatch,
      // PGlite has one connection; a pool lets as many batches run as it has connections.
      maxInFlight: context.config.database.kind === 'postgres' ? context.config.database.poolMax : 1,
    });
  // Requests still waiting for a batch are answered before the database is closed.
  app.addHook('onClose', () => writer.close());
  context = { ...context, writer };

  await app.register(healthRoutes, context);
  await app.register(seedTableRoutes, context);
  await app.register(adminRoutes, context);
  return app;
}
