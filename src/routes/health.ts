// Probes for orchestrators: /healthz = the process is alive, /readyz = it can serve traffic.
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../app.js';

export const healthRoutes: FastifyPluginAsync<AppContext> = async (app, { readiness }) => {
  app.get('/healthz', { logLevel: 'warn' }, async () => ({ status: 'ok' }));

  app.get('/readyz', { logLevel: 'warn' }, async (_request, reply) => {
    const report = await readiness.check();
    return reply.code(report.ready ? 200 : 503).send({ status: report.ready ? 'ready' : 'not ready', checks: report.checks });
  });
};
