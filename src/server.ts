// The `serve` process: open the database, listen, bring the schema up (when told to), and shut down
// gracefully on SIGTERM/SIGINT. Everything about HTTP itself is in app.ts.
//
// Shutdown, in order (docs/OPERATIONS.md): readiness 503 and live streams told to reconnect at once →
// keep serving SHUTDOWN_DRAIN_SECONDS (every answer now carries `Connection: close`) → stop listening, keep
// the established connections until each has had its last answer or been idle a second (at most
// SHUTDOWN_TIMEOUT_SECONDS, then what is left is destroyed) → close the pool → exit 0. Past
// SHUTDOWN_DRAIN_SECONDS + SHUTDOWN_TIMEOUT_SECONDS the process exits 1.
import type { Server } from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyBaseLogger } from 'fastify';
import { buildApp } from './app.js';
import type { Config } from './config.js';
import { type Database, openDatabase } from './db/database.js';
import { migrate } from './db/migrator.js';
import { Metrics, listenForMetrics } from './metrics.js';
import { Readiness } from './readiness.js';
import { RetentionService } from './features/retention/retention-service.js';
import { OutboxWorker } from './features/outbox/outbox-worker.js';
import { webhookHandler } from './features/webhooks/webhook-delivery.js';
import { mailHandler } from './features/mail/mail-transport.js';
import { MailService } from './features/mail/mail-service.js';
import { PersonService } from './features/people/person-service.js';
import { GroupService } from './features/groups/group-service.js';
import { serviceDeps } from './services.js';
import { showGeneratedPasswordWith } from './features/staff/first-admin.js';
import { useLogFormat } from './logging.js';
import { listenError, portIsFree } from './listening.js';

/** How long a connection idle across the listener's close is kept for its client to reuse it, then ended. */
export const IDLE_CONNECTION_GRACE_MS = 1_000;

/**
 * Stops accepting connections but keeps the established ones: a request that arrives on one is answered
 * (with `Connection: close`, see http/connection-ending.ts) and the connection ends after that answer; a
 * connection still idle IDLE_CONNECTION_GRACE_MS after the listener closed is ended then (every answer
 * from now on ends its connection, so only connections idle since before the close are left idle).
 * Closing idle keep-alive connections at once (what http.Server.close does) races a client that is
 * reusing one at that moment: its request meets a reset; the grace leaves a client that was between two
 * requests time to send the next one. Nothing is tracked per request for this: Node knows which
 * connections are idle. (Waiting for idle connections would not do: a browser keeps them for minutes,
 * whatever the `Keep-Alive` header says.) Whatever is still open after `timeoutMs` is destroyed.
 * Resolves with the number of connections destroyed.
 */
function closeConnectionsGracefully(server: Server, timeoutMs: number): Promise<number> {
  return new Promise((resolve) => {
    let idle: NodeJS.Timeout | undefined;
    const grace = setTimeout(() => {
      server.closeIdleConnections();
      idle = setInterval(() => server.closeIdleConnections(), 100);
    }, IDLE_CONNECTION_GRACE_MS);
    const timer = setTimeout(() => {
      clearTimeout(grace);
      clearInterval(idle);
      let destroyed = 0;
      server.getConnections((_error, count) => {
        destroyed = count;
        server.closeAllConnections();
        resolve(destroyed);
      });
    }, timeoutMs);
    // net.Server#close, not http.Server#close: the latter also closes idle keep-alive connections.
    net.Server.prototype.close.call(server, () => {
      clearTimeout(timer);
      clearTimeout(grace);
      clearInterval(idle);
      resolve(0);
    });
  });
}

/**
 * Waits until no new connection has arrived for `quietMs` (at most `maxMs`). Closing a listener resets
 * the connections the kernel has accepted but Node has not yet picked up; while the listener is quiet
 * there are none.
 */
function listenerQuiet(server: Server, quietMs: number, maxMs: number): Promise<void> {
  return new Promise((resolve) => {
    let quiet = setTimeout(done, quietMs);
    const limit = setTimeout(done, maxMs);
    const onConnection = () => {
      clearTimeout(quiet);
      quiet = setTimeout(done, quietMs);
    };
    server.on('connection', onConnection);
    function done() {
      clearTimeout(quiet);
      clearTimeout(limit);
      server.off('connection', onConnection);
      resolve();
    }
  });
}

/**
 * The start-up banner for a person at a terminal (stderr is a TTY): where to go, how to sign in, how to
 * stop, and the generated first-admin password when one was made (once; it is in no log line).
 */
class StartBanner {
  private shown = false;
  private password: { username: string; password: string } | undefined;

  constructor(private readonly config: Config) {
    showGeneratedPasswordWith((username, password) => {
      this.password = { username, password };
      if (this.shown) this.write(this.passwordLines());
    });
  }

  show(): void {
    if (this.shown) return;
    this.shown = true;
    const host = ['0.0.0.0', '::'].includes(this.config.host) ? 'localhost' : this.config.host;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${this.config.port}`;
    const lines = [
      '',
      `  Barona is running at ${url}`,
      `  Admin sign-in: ${url}/admin${this.config.authMode === 'open' ? ' (the API is open: AUTH_MODE=open)' : ''}`,
      ...this.passwordLines(),
      '  Stop with Ctrl+C.',
      '',
    ];
    this.write(lines);
  }

  private passwordLines(): string[] {
    if (!this.password) return [];
    const { username, password } = this.password;
    this.password = undefined;
    return [`  First admin: "${username}", password ${password}`, '  (shown only this once: sign in and change it on the Admins page)'];
  }

  private write(lines: string[]) {
    if (lines.length > 0) process.stderr.write(`${lines.join('\n')}\n`);
  }
}

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

/**
 * Tries the database with capped backoff until it answers (→ undefined) or `withinMs` has passed (→ the
 * last reason it did not), or `stopped()` turns true.
 */
async function firstContact(db: Database, withinMs: number, log: FastifyBaseLogger, stopped: () => boolean): Promise<string | undefined> {
  const deadline = Date.now() + withinMs;
  for (let attempt = 1, delay = 250; ; attempt++, delay = Math.min(delay * 2, 5_000)) {
    try {
      await db.query('SELECT 1');
      return undefined;
    } catch (error) {
      const reason = (error as Error).message;
      const left = deadline - Date.now();
      if (left <= 0) return reason;
      if (stopped()) return undefined;
      log.warn({ attempt, retryInMs: Math.min(delay, left), reason }, 'the database is not reachable yet; retrying');
      await sleep(Math.min(delay, left));
    }
  }
}

/**
 * A database created with the C (or POSIX) character type folds only ASCII letters in lower(), so
 * "ŻÓŁĆ" typed at a kiosk would not match the roster's "Żółć" (person_fold) nor be found by search.
 * Said once at start; the service works either way.
 */
async function warnOnByteCtype(db: Database, log: FastifyBaseLogger): Promise<void> {
  try {
    const { rows } = await db.query<{ ctype: string }>(`SELECT datctype AS ctype FROM pg_database WHERE datname = current_database()`);
    const ctype = rows[0]?.ctype ?? '';
    if (ctype === 'C' || ctype === 'POSIX') {
      log.warn(
        { ctype },
        'the database character type is C: names with non-ASCII capitals (Ż, Ł, Д) are matched case-sensitively; create the database with a UTF-8 LC_CTYPE such as C.UTF-8 (see docs/OPERATIONS.md)',
      );
    }
  } catch {
    // Not reachable yet: readiness reports that; this note is not worth a retry.
  }
}

export async function serve(config: Config): Promise<void> {
  useLogFormat(config.logFormat);
  const banner = process.stderr.isTTY ? new StartBanner(config) : undefined;
  const logRef: { current?: FastifyBaseLogger } = {};
  // Before the database is opened (a first PGlite start takes seconds): a taken port ends the start now.
  // (cli.ts has looked already, before loading this module; this look is for callers of serve().)
  await portIsFree(config.host, config.port);
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
  let outbox: OutboxWorker | undefined;
  let stopAlerts: (() => void) | undefined;
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
    // Live streams (the sheet) would hold their connections to the end: each is told to reconnect, to a
    // replica that is not stopping, and closed now; one opened during the drain is sent off at once.
    const streams = app.liveStreams.endAll();
    app.log.info({ signal, drainSeconds: config.shutdownDrainSeconds, streams }, 'shutting down: readiness is now 503');
    // Keep serving while load balancers notice the failing readiness and stop sending traffic.
    if (config.shutdownDrainSeconds > 0) await sleep(config.shutdownDrainSeconds * 1000);
    stopRetention?.();
    stopAlerts?.();
    // Attempts under way are cut short and recorded as failed (retried later, by this or another replica).
    await outbox?.stop();
    // During the drain every answer ends its connection, so clients reconnect (through the load
    // balancer, to another replica). Before the listener closes, answers keep their connections again
    // until clients have stopped opening new ones here: none is then caught half-accepted by the close.
    // Everything after the drain shares SHUTDOWN_TIMEOUT_SECONDS, less a second to close the pool.
    const connectionsEndAt = Date.now() + Math.max(500, config.shutdownTimeoutSeconds * 1000 - 1000);
    app.connectionEnding.keep(true);
    await listenerQuiet(app.server, 250, Math.min(2_000, config.shutdownTimeoutSeconds * 250));
    app.connectionEnding.keep(false);
    const left = await closeConnectionsGracefully(app.server, Math.max(250, connectionsEndAt - Date.now()));
    if (left > 0) app.log.warn({ connections: left }, 'connections still open at the shutdown timeout were closed');
    await app.close(); // nothing is connected any more: runs the onClose hooks (the check-in writer)
    await db.close();
    metricsServer?.close();
    app.log.info('shutdown complete');
    clearTimeout(deadline);
    // Leftover handles (a scraper's keep-alive socket, timers) must not hold the process past this point.
    process.exit(0);
  };
  // A repeated signal during the shutdown (a second Ctrl+C, an impatient supervisor) changes nothing:
  // the shutdown already under way ends in time or at its deadline.
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    // Close what start-up opened (the pool, PGlite, LISTEN, timers), so the process ends with this line.
    await app.close().catch(() => {});
    await db.close().catch(() => {});
    throw listenError(config.host, config.port, error);
  }
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

  // A database never reached since the start is a failed start (a wrong host, a database that is not
  // there): after DATABASE_START_TIMEOUT_SECONDS the process ends with one line, so the orchestrator
  // restarts it and the operator sees why. Once reached, an outage is waited out (readiness says 503).
  if (config.database.kind === 'postgres' && config.databaseStartTimeoutSeconds > 0) {
    const unreachable = await firstContact(db, config.databaseStartTimeoutSeconds * 1000, app.log, () => stopping);
    if (unreachable !== undefined && !stopping) {
      stopping = true;
      await app.close().catch(() => {});
      await db.close().catch(() => {});
      metricsServer?.close();
      throw new Error(
        `the database at ${config.database.display} was not reachable for ${config.databaseStartTimeoutSeconds} s (${unreachable}); DATABASE_START_TIMEOUT_SECONDS=0 waits for it`,
      );
    }
  }

  if (config.migrateOnStart) {
    await retryUntilDone(
      async () => {
        // On PostgreSQL, the direct connection without request time limits (see OpenOptions).
        const migrationDb =
          config.database.kind === 'postgres'
            ? await openDatabase(config.database, { timezone: config.timezone, requestTimeouts: false, direct: true })
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

  if (config.database.kind === 'postgres') void warnOnByteCtype(db, app.log);

  // The daily retention prune (RETENTION_DAYS): every replica looks, exactly one runs it.
  if (config.retentionDays !== undefined && !stopping) {
    const announcer = { announce: () => app.attendanceEvents.changed() };
    stopRetention = new RetentionService(serviceDeps(db, config, announcer)).schedule(app.log);
  }
  // The outbox's deliveries (webhooks, e-mail): every replica polls, each message goes to one of them.
  // Its hourly housekeeping also forgets the mail schedulers' claims long past (configured or not: rows
  // claimed while e-mail was on are forgotten after it is turned off too).
  if (!stopping) {
    const deps = serviceDeps(db, config);
    const mail = new MailService(deps, new PersonService(deps), new GroupService(deps));
    outbox = new OutboxWorker(
      db,
      deps.changes,
      {
        webhook: webhookHandler(db, {
          allowPrivateNetworks: config.webhooks.allowPrivateNetworks,
          onDisabled: (endpointId) => app.log.warn({ endpointId }, 'webhook disabled: every delivery failed for a day'),
        }),
        // E-mail only when configured: otherwise nothing is queued (and nothing would be claimed).
        ...(config.mail ? { mail: mailHandler(config.mail, { db }) } : {}),
      },
      { log: app.log, housekeeping: [mail.housekeeping()] },
    ).start();
    // Absence alerts and register reports: every replica looks each minute; each (group, person, day)
    // alert and each (group, schedule, period) report is queued once.
    if (config.mail) {
      const stops = [mail.scheduleAbsenceAlerts(app.log), mail.scheduleRegisterReports(app.log)];
      stopAlerts = () => stops.forEach((stop) => stop());
    }
  }
  if (banner) {
    // The banner comes once the first admin exists (part of readiness), so it can carry its password;
    // a password generated later still reaches the terminal (StartBanner).
    for (let waited = 0; waited < 15_000 && !stopping && !(await readiness.check()).ready; waited += 200) await sleep(200);
    if (!stopping) banner.show();
  }
}
