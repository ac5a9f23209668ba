// Times every request of the context it is registered in (by method, route pattern and status). The
// probes live outside that context (app.ts): an orchestrator's every few seconds would only dilute the
// figures. The process's metrics are `app.metrics` (decorated in app.ts) for the rest of the application.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Metrics } from '../metrics.js';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics;
  }
}

export const requestMetrics = fp(
  async (app: FastifyInstance, { metrics }: { metrics: Metrics }) => {
    // A callback hook, not an async one: no promise per request for synchronous work.
    app.addHook('onResponse', (request, reply, done) => {
      // The route pattern (e.g. /table/view/:spec), never the raw URL: bounded label values.
      metrics.observeRequest(request.method, request.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
      done();
    });
  },
  { name: 'metrics' },
);
