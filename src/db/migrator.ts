// Versioned plain-SQL migrations from migrations/NNNN_description.sql.
// Each file runs in its own transaction and is recorded in schema_migrations with a checksum;
// a session-level advisory lock makes concurrent runs (two pods, two `barona migrate`) safe.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Database, Queryable } from './database.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

/** Arbitrary but fixed: every Barona process agrees on it. */
const MIGRATION_LOCK_KEY = 74_201_907;

export interface Migration {
  version: string;
  name: string;
  sql: string;
  checksum: string;
}

export interface SchemaStatus {
  applied: { version: string; name: string; appliedAt: string }[];
  pending: Migration[];
  /** Applied migrations whose file has changed since, or that no longer exist. */
  problems: string[];
  /**
   * Applied migrations numbered after this release's last one: the database was migrated by a newer
   * release (a rollback). Migrations are expand-only, so this release still works on that schema.
   */
  newer: { version: string; name: string }[];
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .sort()
    .map((file) => {
      const match = /^(\d{4})_([a-z0-9_]+)\.sql$/.exec(file);
      if (!match) throw new MigrationError(`migration file name ${file} does not match NNNN_description.sql`);
      const sql = readFileSync(new URL(file, `file://${dir.endsWith('/') ? dir : `${dir}/`}`), 'utf8');
      return {
        version: match[1]!,
        name: match[2]!,
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
      };
    });
}

const CREATE_LEDGER = `
  CREATE TABLE IF NOT EXISTS schema_migrations (
    version    text PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`;

async function ledgerExists(db: Queryable): Promise<boolean> {
  const { rows } = await db.query<{ exists: boolean }>(`SELECT to_regclass('schema_migrations') IS NOT NULL AS exists`);
  return rows[0]?.exists ?? false;
}

export async function schemaStatus(db: Queryable, migrations = loadMigrations()): Promise<SchemaStatus> {
  const applied = (await ledgerExists(db))
    ? (
        await db.query<{ version: string; name: string; checksum: string; applied_at: string }>(
          `SELECT version, name, checksum, to_json(applied_at) #>> '{}' AS applied_at
             FROM schema_migrations ORDER BY version`,
        )
      ).rows
    : [];
  const byVersion = new Map(migrations.map((m) => [m.version, m]));
  const problems: string[] = [];
  const newer: { version: string; name: string }[] = [];
  const last = migrations.at(-1)?.version ?? '';
  for (const row of applied) {
    const file = byVersion.get(row.version);
    if (!file && row.version > last) newer.push({ version: row.version, name: row.name });
    else if (!file) problems.push(`migration ${row.version}_${row.name} is applied but its file is missing`);
    else if (file.checksum !== row.checksum)
      problems.push(`migration ${row.version}_${row.name}.sql was changed after it was applied (checksum mismatch)`);
  }
  const appliedVersions = new Set(applied.map((row) => row.version));
  return {
    applied: applied.map((row) => ({ version: row.version, name: row.name, appliedAt: row.applied_at })),
    pending: migrations.filter((m) => !appliedVersions.has(m.version)),
    problems,
    newer,
  };
}

/** Applies every pending migration; returns the ones this call applied (none when another run did). */
export async function migrate(db: Database, migrations = loadMigrations()): Promise<Migration[]> {
  // Through a pooler in transaction mode the lock below could be taken on one server connection and
  // released on another (or never): migrations go direct (openDatabase's `direct` option).
  if (db.poolMode === 'transaction') {
    throw new MigrationError('migrations need a direct connection (DATABASE_DIRECT_URL), not one through a pooler in transaction mode');
  }
  return db.withConnection(async (conn) => {
    // Waiting for another run's lock, or building an index, may take longer than a request may.
    await conn.query('SET statement_timeout = 0');
    await conn.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await conn.query(CREATE_LEDGER);
      // Read the ledger only once the lock is held: a concurrent run may just have applied everything.
      const status = await schemaStatus(conn, migrations);
      if (status.problems.length > 0) throw new MigrationError(status.problems.join('; '));
      // After a rollback the schema is ahead of this release: nothing to do. Applying an older pending
      // migration behind a newer one would change the schema out of order, so that is refused.
      if (status.newer.length > 0 && status.pending.length > 0) {
        throw new MigrationError(
          `the database was migrated by a newer release (${status.newer.map((m) => `${m.version}_${m.name}`).join(', ')}), ` +
            `yet ${status.pending.map((m) => `${m.version}_${m.name}`).join(', ')} of this release is not applied: migrate with the newer release`,
        );
      }
      for (const migration of status.pending) {
        await conn.query('BEGIN');
        try {
          await conn.exec(migration.sql);
          await conn.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
            migration.version,
            migration.name,
            migration.checksum,
          ]);
          await conn.query('COMMIT');
        } catch (error) {
          await conn.query('ROLLBACK');
          throw new MigrationError(`migration ${migration.version}_${migration.name} failed: ${(error as Error).message}`);
        }
      }
      return status.pending;
    } finally {
      await conn.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
      await conn.query('RESET statement_timeout');
    }
  });
}
