// What /readyz reports: the database answers, its schema has no pending migration, the start-up tasks
// that requests depend on (the first admin, the BOOTSTRAP_API_TOKEN gate token) are done, and the process
// is not shutting down. Liveness (/healthz) deliberately depends on none of these.
import type { Database } from './db/database.js';
import { loadMigrations, schemaStatus, type Migration } from './db/migrator.js';

export interface ReadinessReport {
  ready: boolean;
  /** Why the process is not ready (the first failing check), absent when ready. */
  reason?: string;
  checks: { database: string; schema: string; startup: string; shutdown: string };
}

const CHECK_TIMEOUT_MS = 2_000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class Readiness {
  private shuttingDown = false;
  private schemaCurrent = false;
  private readonly migrations: Migration[] = loadMigrations();
  private readonly pendingStartup = new Set<string>();

  constructor(private readonly db: Database) {}

  beginShutdown(): void {
    this.shuttingDown = true;
  }

  /** A start-up task that must finish before the process is ready (e.g. registering the bootstrap token). */
  startupBegins(task: string): void {
    this.pendingStartup.add(task);
  }

  startupDone(task: string): void {
    this.pendingStartup.delete(task);
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  async check(): Promise<ReadinessReport> {
    if (this.shuttingDown) {
      // No database round trip: from the moment shutdown begins the answer is 503, at once.
      const checks = { database: 'not checked', schema: 'not checked', startup: 'not checked', shutdown: 'shutting down' };
      return { ready: false, reason: 'shutting down', checks };
    }
    const checks = { database: 'ok', schema: 'ok', startup: 'ok', shutdown: 'ok' };
    try {
      await withTimeout(this.db.query('SELECT 1'), CHECK_TIMEOUT_MS);
      if (!this.schemaCurrent) {
        // Once current, the schema cannot fall behind this process's migrations again.
        const status = await withTimeout(schemaStatus(this.db, this.migrations), CHECK_TIMEOUT_MS);
        this.schemaCurrent = status.pending.length === 0;
        if (!this.schemaCurrent) {
          checks.schema = `pending migrations: ${status.pending.map((m) => `${m.version}_${m.name}`).join(', ')}`;
        }
      }
    } catch (error) {
      checks.database = `unreachable: ${(error as Error).message}`;
      checks.schema = 'unknown';
    }
    if (this.pendingStartup.size > 0) checks.startup = `pending: ${[...this.pendingStartup].join(', ')}`;
    const failing = Object.entries(checks).find(([, value]) => value !== 'ok');
    return failing ? { ready: false, reason: `${failing[0]}: ${failing[1]}`, checks } : { ready: true, checks };
  }
}
