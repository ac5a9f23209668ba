// Probes for orchestrators: /healthz = the process is alive, /readyz = it can serve traffic; and
// /metrics for Prometheus, unless METRICS_PORT serves it on a port of its own (server.ts).
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../app.js';

export const healthRoutes: FastifyPluginAsync<AppContext> = async (app, { readiness, config }) => {
  // Registered at the root (app.ts), outside the application's hooks: not counted in the request metrics,
  // no cookies, sessions or page security headers. Marked as probes: not logged below LOG_LEVEL=debug
  // (logging.ts).
  const probe = { config: { access: 'public', probe: true } } as const;
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
