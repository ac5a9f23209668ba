// Probes for orchestrators: /healthz = the process is alive, /readyz = it can serve traffic.
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../app.js';

export const healthRoutes: FastifyPluginAsync<AppContext> = async (app, { readiness }) => {
  // Liveness answers from the event loop alone: if this does not answer, the process is wedged.
  app.get('/healthz', { logLevel: 'warn', config: { access: 'public' } }, async (_request, reply) =>
    reply.header('cache-control', 'no-store').send({ status: 'ok' }),
  );

  app.get('/readyz', { logLevel: 'warn', config: { access: 'public' } }, async (_request, reply) => {
    const report = await readiness.check();
    if (!report.ready) reply.header('retry-after', '5');
    return reply
      .code(report.ready ? 200 : 503)
      .header('cache-control', 'no-store')
      .send({ status: report.ready ? 'ready' : 'not ready', ...(report.reason ? { reason: report.reason } : {}), checks: report.checks });
  });
};
