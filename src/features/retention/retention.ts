// Retention of personal data (RETENTION_DAYS, off by default). Check-ins are names of people: those
// whose local day (APP_TIMEZONE) lies more than RETENTION_DAYS days before today are deleted, with the
// Idempotency-Keys that point at them; audit entries about check-ins keep who did what and when, but the
// names in their before/after records are replaced by a tombstone. Whole days go at once, so a day's
// sheet is never half there.
//
// The service runs it once a day: every replica looks every hour, and the one that holds the advisory
// lock and claims today's row in retention_runs does the work. `barona prune [--dry-run]` runs it by hand.
import type { Database, Queryable } from '../../db/database.js';

/** Arbitrary but fixed, distinct from the migration lock. */
const RETENTION_LOCK_KEY = 74_201_909;
/** Check-ins deleted per transaction: a first prune of millions of rows never holds one long transaction. */
const BATCH = 5_000;
/** How often each replica looks whether today's prune has run. */
const CHECK_EVERY_MS = 60 * 60 * 1000;
export const TOMBSTONE = '(erased)';

export interface PruneCounts {
  checkins: number;
  idempotencyKeys: number;
  auditEntries: number;
}

export interface PrunePlan extends PruneCounts {
  /** Check-ins before this instant (local midnight) go. */
  cutoff: string;
  /** The local days of the oldest and newest check-in that would go (null when none). */
  firstDay: string | null;
  lastDay: string | null;
}

const CUTOFF = `(current_date - $1::int)::timestamptz`;
/** Audit records of check-ins that still carry names. */
const NAMES_IN = (column: string) =>
  `(${column} ? 'firstname' OR ${column} ? 'lastname') AND ${column}->>'firstname' IS DISTINCT FROM '${TOMBSTONE}'`;
/**
 * SQL for a before/after record of the audit log with `keys` replaced by the tombstone (all of them,
 * when the record holds any); records without those keys are left as they are. Also used by a
 * person's erasure (people/person-privacy.ts).
 */
export const tombstoned = (column: string, keys: readonly string[]) =>
  `CASE WHEN ${column} ?| array[${keys.map((key) => `'${key}'`).join(', ')}]
        THEN ${column} || '${JSON.stringify(Object.fromEntries(keys.map((key) => [key, TOMBSTONE])))}'::jsonb ELSE ${column} END`;
const SCRUB = (column: string) => tombstoned(column, ['firstname', 'lastname']);
const AUDIT_NAMES = `entity = 'checkin' AND ((${NAMES_IN('before')}) OR (${NAMES_IN('after')}))`;

/** What a prune with `days` would remove now (nothing is changed). */
export async function planPrune(db: Queryable, days: number): Promise<PrunePlan> {
  const { rows } = await db.query<{
    cutoff: string;
    checkins: number;
    first_day: string | null;
    last_day: string | null;
    keys: number;
    audit: number;
  }>(
    `WITH doomed AS (SELECT id, login FROM checkins WHERE login < ${CUTOFF})
     SELECT to_json(${CUTOFF}) #>> '{}' AS cutoff,
            (SELECT count(*) FROM doomed)::int AS checkins,
            (SELECT min(login)::date::text FROM doomed) AS first_day,
            (SELECT max(login)::date::text FROM doomed) AS last_day,
            (SELECT count(*) FROM checkin_idempotency_keys k
              WHERE k.created_at < ${CUTOFF} OR k.checkin_id IN (SELECT id FROM doomed))::int AS keys,
            (SELECT count(*) FROM audit_log a
              WHERE ${AUDIT_NAMES} AND (a.at < ${CUTOFF} OR a.entity_id IN (SELECT id::text FROM doomed)))::int AS audit`,
    [days],
  );
  const row = rows[0]!;
  return {
    cutoff: row.cutoff,
    checkins: row.checkins,
    idempotencyKeys: row.keys,
    auditEntries: row.audit,
    firstDay: row.first_day,
    lastDay: row.last_day,
  };
}

/** Deletes and anonymises what planPrune lists, in batches; returns the counts. */
export async function prune(db: Database, days: number): Promise<PruneCounts> {
  const counts: PruneCounts = { checkins: 0, idempotencyKeys: 0, auditEntries: 0 };
  const add = (row: { checkins: number; keys: number; audit: number }) => {
    counts.checkins += row.checkins;
    counts.idempotencyKeys += row.keys;
    counts.auditEntries += row.audit;
    return row.checkins;
  };
  // Live rows through the day index, in batches; soft-deleted ones (few) in one go.
  for (const which of ['deleted_at IS NULL', 'deleted_at IS NOT NULL']) {
    for (;;) {
      const { rows } = await db.query<{ checkins: number; keys: number; audit: number }>(
        `WITH doomed AS (SELECT id FROM checkins WHERE ${which} AND login < ${CUTOFF} ORDER BY login LIMIT $2 FOR UPDATE),
              keys AS (DELETE FROM checkin_idempotency_keys WHERE checkin_id IN (SELECT id FROM doomed) RETURNING 1),
              audit AS (UPDATE audit_log SET before = ${SCRUB('before')}, after = ${SCRUB('after')}
                         WHERE ${AUDIT_NAMES} AND entity_id IN (SELECT id::text FROM doomed) RETURNING 1),
              gone AS (DELETE FROM checkins WHERE id IN (SELECT id FROM doomed) RETURNING 1)
         SELECT (SELECT count(*) FROM gone)::int AS checkins, (SELECT count(*) FROM keys)::int AS keys,
                (SELECT count(*) FROM audit)::int AS audit`,
        [days, BATCH],
      );
      if (add(rows[0]!) < BATCH) break;
    }
  }
  // Older keys of entries that stay (nobody retries a request that old) and older audit entries.
  const keys = await db.query(`DELETE FROM checkin_idempotency_keys WHERE created_at < ${CUTOFF}`, [days]);
  counts.idempotencyKeys += keys.rowCount;
  const audit = await db.query(
    `UPDATE audit_log SET before = ${SCRUB('before')}, after = ${SCRUB('after')} WHERE ${AUDIT_NAMES} AND at < ${CUTOFF}`,
    [days],
  );
  counts.auditEntries += audit.rowCount;
  return counts;
}

/** Runs `work` while holding the retention lock; `undefined` when another process holds it. */
async function withRetentionLock<T>(db: Database, work: () => Promise<T>): Promise<T | undefined> {
  return db.withConnection(async (conn) => {
    const { rows } = await conn.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [RETENTION_LOCK_KEY]);
    if (!rows[0]!.locked) return undefined;
    try {
      return await work();
    } finally {
      await conn.query('SELECT pg_advisory_unlock($1)', [RETENTION_LOCK_KEY]);
    }
  });
}

export type PruneRun = { ran: false; reason: 'locked' | 'done today' } | { ran: true; day: string; cutoff: string; counts: PruneCounts };

/** Today's prune, when no replica has run it yet (or one started more than an hour ago and never finished). */
export async function pruneOncePerDay(db: Database, days: number): Promise<PruneRun> {
  const result = await withRetentionLock(db, async (): Promise<PruneRun> => {
    const { rows } = await db.query<{ day: string; cutoff: string }>(
      `INSERT INTO retention_runs AS r (day, retention_days, cutoff) VALUES (current_date, $1, ${CUTOFF})
       ON CONFLICT (day) DO UPDATE SET started_at = now(), retention_days = $1, cutoff = EXCLUDED.cutoff
        WHERE r.finished_at IS NULL AND r.started_at < now() - interval '1 hour'
       RETURNING day::text AS day, to_json(cutoff) #>> '{}' AS cutoff`,
      [days],
    );
    if (rows.length === 0) return { ran: false, reason: 'done today' };
    const counts = await prune(db, days);
    await db.query(
      `UPDATE retention_runs SET finished_at = now(), checkins_deleted = $2, idempotency_keys_deleted = $3, audit_entries_anonymised = $4
        WHERE day = $1::date`,
      [rows[0]!.day, counts.checkins, counts.idempotencyKeys, counts.auditEntries],
    );
    return { ran: true, day: rows[0]!.day, cutoff: rows[0]!.cutoff, counts };
  });
  return result ?? { ran: false, reason: 'locked' };
}

export interface RetentionLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

/** The daily prune in the service: looks now and every hour; returns a function that stops it. */
export function scheduleRetention(db: Database, days: number, log: RetentionLog): () => void {
  let stopped = false;
  let running: Promise<void> | undefined;
  const check = () => {
    if (stopped || running) return;
    running = pruneOncePerDay(db, days)
      .then((run) => {
        if (run.ran) {
          log.info(
            {
              retentionDays: days,
              day: run.day,
              cutoff: run.cutoff,
              checkinsDeleted: run.counts.checkins,
              idempotencyKeysDeleted: run.counts.idempotencyKeys,
              auditEntriesAnonymised: run.counts.auditEntries,
            },
            'retention: pruned check-ins older than the retention period',
          );
        }
      })
      .catch((error: Error) => log.warn({ reason: error.message }, 'retention: prune failed; retrying within the hour'))
      .finally(() => (running = undefined));
  };
  const first = setTimeout(check, 1_000);
  const timer = setInterval(check, CHECK_EVERY_MS);
  first.unref();
  timer.unref();
  return () => {
    stopped = true;
    clearTimeout(first);
    clearInterval(timer);
  };
}
