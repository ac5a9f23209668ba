// Times every request but probes (by method, route pattern and status) and makes the process's metrics available
// to the rest of the application as `app.metrics`.
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
    app.decorate('metrics', metrics);
    // A callback hook, not an async one: no promise per request for synchronous work.
    app.addHook('onResponse', (request, reply, done) => {
      // Probes are not traffic: an orchestrator's every few seconds would only dilute the figures.
      if (request.routeOptions.config?.probe === true) return done();
      // The route pattern (e.g. /table/view/:spec), never the raw URL: bounded label values.
      metrics.observeRequest(request.method, request.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
      done();
    });
  },
  { name: 'metrics' },
);
