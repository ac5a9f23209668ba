// Creates the first admin and registers BOOTSTRAP_API_TOKEN once the schema exists (migrations may still
// be running when the server starts listening, or may be applied later by `barona migrate`): retried until
// it succeeds. Until then /readyz answers 503, so nothing that depends on the token is routed here early.
// What "the first admin" is lives in auth/first-admin.ts; this is when and how often it is tried.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { PluginContext } from '../app.js';
import { ensureFirstAdmin } from '../features/staff/first-admin.js';

export const firstAdmin = fp(
  async (app: FastifyInstance, context: PluginContext) => {
    const TASK = 'first admin and bootstrap token';
    let timer: NodeJS.Timeout | undefined;
    let closed = false;
    context.readiness.startupBegins(TASK);
    const attempt = async (delay: number) => {
      try {
        await ensureFirstAdmin(context.db, context.config.auth, app.log);
        context.readiness.startupDone(TASK);
      } catch (error) {
        if (closed) return;
        // A missing table means migrations have not run yet: keep polling at a short interval so readiness
        // follows `barona migrate` closely. Anything else backs off.
        if ((error as { code?: string }).code === '42P01') {
          timer = setTimeout(() => void attempt(500), 500);
          return;
        }
        app.log.warn({ reason: (error as Error).message }, 'setting up the first admin failed; retrying');
        timer = setTimeout(() => void attempt(Math.min(delay * 2, 10_000)), delay);
      }
    };
    app.addHook('onReady', async () => {
      void attempt(500);
    });
    app.addHook('onClose', async () => {
      closed = true;
      clearTimeout(timer);
    });
  },
  { name: 'first-admin' },
);
