// Probes for orchestrators: /healthz = the process is alive, /readyz = it can serve traffic; and
// /metrics for Prometheus, unless METRICS_PORT serves it on a port of its own (server.ts).
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../app.js';
import type { LogLevel } from '../config.js';

/** Probes are logged from `warn` up: their requests every few seconds would drown the info log. */
const PROBE_LOG_LEVEL: LogLevel = 'warn';
/** Log levels by how much they let through (silent: nothing). */
const VERBOSITY: Record<LogLevel, number> = { silent: 0, fatal: 1, error: 2, warn: 3, info: 4, debug: 5, trace: 6 };

export const healthRoutes: FastifyPluginAsync<AppContext> = async (app, { readiness, config }) => {
  // A route's own log level makes every request's child logger rebuild its methods (pino), so probes
  // get one only where it is quieter than LOG_LEVEL.
  const probe = {
    ...(VERBOSITY[config.logLevel] > VERBOSITY[PROBE_LOG_LEVEL] ? { logLevel: PROBE_LOG_LEVEL } : {}),
    config: { access: 'public', probe: true },
  } as const;
  // Liveness answers from the event loop alone: if this does not answer, the process is wedged.
  app.get('/healthz', probe, async (_request, reply) => reply.header('cache-control', 'no-store').send({ status: 'ok' }));

  app.get('/readyz', probe, async (_request, reply) => {
    const report = await readiness.check();
    if (!report.ready) reply.header('retry-after', '5');
    return reply
      .code(report.ready ? 200 : 503)
      .header('cache-control', 'no-store')
      .send({ status: report.ready ? 'ready' : 'not ready', ...(report.reason ? { reason: report.reason } : {}), checks: report.checks });
  });

  if (config.metricsPort === undefined) {
    app.get('/metrics', probe, async (_request, reply) => {
      const { contentType, body } = await app.metrics.render();
      return reply.type(contentType).send(body);
    });
  }
};
