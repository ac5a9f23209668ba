// The `serve` process: open the database, listen, bring the schema up (when told to), and shut down
// gracefully on SIGTERM/SIGINT. Everything about HTTP itself is in app.ts.
//
// Shutdown, in order (docs/OPERATIONS.md): readiness 503 at once → keep serving SHUTDOWN_DRAIN_SECONDS
// (every answer now carries `Connection: close`) → stop listening and let in-flight requests finish →
// close the pool → exit 0. Past SHUTDOWN_DRAIN_SECONDS + SHUTDOWN_TIMEOUT_SECONDS the process exits 1.
import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyBaseLogger } from 'fastify';
import { buildApp } from './app.js';
import type { Config } from './config.js';
import { openDatabase } from './db/database.js';
import { migrate } from './db/migrator.js';
import { Metrics, listenForMetrics } from './metrics.js';
import { Readiness } from './readiness.js';
import { scheduleRetention } from './retention/retention.js';

/** Retries `step` with capped exponential backoff until it succeeds or `stopped()` turns true. */
async function retryUntilDone(step: () => Promise<void>, log: FastifyBaseLogger, what: string, stopped: () => boolean) {
  for (let attempt = 1, delay = 250; !stopped(); attempt++, delay = Math.min(delay * 2, 10_000)) {
    try {
      await step();
      return;
    } catch (error) {
      log.warn({ attempt, retryInMs: delay, reason: (error as Error).message }, `${what} failed; retrying`);
      await sleep(delay);
    }
  }
}

export async function serve(config: Config): Promise<void> {
  const logRef: { current?: FastifyBaseLogger } = {};
  const db = await openDatabase(config.database, {
    timezone: config.timezone,
    onError: (error) => logRef.current?.warn({ reason: error.message }, 'database connection lost'),
  });
  const readiness = new Readiness(db);
  const metrics = new Metrics(db);
  const app = await buildApp({ config, db, readiness }, { metrics });
  logRef.current = app.log;
  let metricsServer: Server | undefined;

  let stopping = false;
  let stopRetention: (() => void) | undefined;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    readiness.beginShutdown();
    const deadline = setTimeout(
      () => {
        app.log.error({ signal }, 'graceful shutdown timed out; exiting');
        process.exit(1);
      },
      (config.shutdownDrainSeconds + config.shutdownTimeoutSeconds) * 1000,
    );
    deadline.unref();
    app.log.info({ signal, drainSeconds: config.shutdownDrainSeconds }, 'shutting down: readiness is now 503');
    // Keep serving while load balancers notice the failing readiness and stop sending traffic.
    if (config.shutdownDrainSeconds > 0) await sleep(config.shutdownDrainSeconds * 1000);
    stopRetention?.();
    await app.close(); // stops accepting, closes idle connections, lets in-flight requests finish
    await db.close();
    metricsServer?.close();
    app.log.info('shutdown complete');
    clearTimeout(deadline);
    // Leftover handles (a scraper's keep-alive socket, timers) must not hold the process past this point.
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));

  await app.listen({ port: config.port, host: config.host });
  if (config.metricsPort !== undefined) {
    try {
      metricsServer = await listenForMetrics(metrics, config.host, config.metricsPort, app.log);
    } catch (error) {
      await app.close();
      await db.close();
      throw new Error(
        `METRICS_PORT ${config.metricsPort}: cannot listen (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
        {
          cause: error,
        },
      );
    }
    app.log.info({ port: config.metricsPort }, 'metrics are served on their own port');
  }
  app.log.info(
    {
      database: config.database.kind === 'postgres' ? config.database.display : `embedded (${config.database.dataDir})`,
      timezone: config.timezone,
      authMode: config.authMode,
    },
    'barona is serving',
  );

  if (config.migrateOnStart) {
    await retryUntilDone(
      async () => {
        // On PostgreSQL, a connection without request time limits (see OpenOptions.requestTimeouts).
        const migrationDb =
          config.database.kind === 'postgres'
            ? await openDatabase(config.database, { timezone: config.timezone, requestTimeouts: false })
            : db;
        const applied = await migrate(migrationDb).finally(() => (migrationDb === db ? undefined : migrationDb.close()));
        if (applied.length > 0) app.log.info({ applied: applied.map((m) => `${m.version}_${m.name}`) }, 'migrations applied');
      },
      app.log,
      'migrating the database',
      () => stopping,
    );
  } else {
    // Report once whether the schema is usable; /readyz keeps answering 503 until it is.
    const report = await readiness.check();
    if (!report.ready) app.log.warn({ checks: report.checks }, 'not ready yet; run `barona migrate` if migrations are pending');
  }

  // The daily retention prune (RETENTION_DAYS): every replica looks, exactly one runs it.
  if (config.retentionDays !== undefined && !stopping) stopRetention = scheduleRetention(db, config.retentionDays, app.log);
}
