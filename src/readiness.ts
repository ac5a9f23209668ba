// What /readyz reports: the database answers, its schema has no pending migration, and the process is
// not shutting down. Liveness (/healthz) deliberately depends on none of these.
import type { Database } from './db/database.js';
import { loadMigrations, schemaStatus, type Migration } from './db/migrator.js';

export interface ReadinessReport {
  ready: boolean;
  checks: { database: string; schema: string; shutdown: string };
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

  constructor(private readonly db: Database) {}

  beginShutdown(): void {
    this.shuttingDown = true;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  async check(): Promise<ReadinessReport> {
    const checks = { database: 'ok', schema: 'ok', shutdown: this.shuttingDown ? 'shutting down' : 'ok' };
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
    const ready = Object.values(checks).every((value) => value === 'ok');
    return { ready, checks };
  }
}
