// The SQL of retention (RETENTION_DAYS): what a prune would remove, the prune itself (check-ins of whole
// attendance days before the cut-off, their Idempotency-Keys, and the names in audit records about them),
// the advisory lock that lets one prune run at a time, and the retention_runs row of each day's run.
// The cut-off instant and today's attendance day are computed in TypeScript (RetentionService), so no
// statement depends on the session's time zone.
import type { Queryable } from '../../db/database.js';
import type { AttendanceDays } from '../../domain/attendance-day.js';
import { TOMBSTONE, tombstoneAuditRecords } from '../audit/audit-log.js';

/** Arbitrary but fixed, distinct from the migration lock. */
const RETENTION_LOCK_KEY = 74_201_909;
/** Check-ins deleted per statement: each statement of a first prune of millions of rows stays short. */
const BATCH = 5_000;

export interface PruneCounts {
  checkins: number;
  idempotencyKeys: number;
  auditEntries: number;
}

/** Where a prune cuts: today's attendance day, and the start of the first attendance day that stays. */
export interface Cutoff {
  today: string;
  /** ISO 8601 instant. */
  at: string;
}

export interface PrunePlan extends PruneCounts {
  /** Check-ins before this instant (the start of an attendance day, in APP_TIMEZONE) go. */
  cutoff: string;
  /** The attendance days of the oldest and newest check-in that would go (null when none). */
  firstDay: string | null;
  lastDay: string | null;
}

const CUTOFF = `$1::timestamptz`;
/** Audit records of check-ins that still carry names. */
const NAMES_IN = (column: string) =>
  `(${column} ? 'firstname' OR ${column} ? 'lastname') AND ${column}->>'firstname' IS DISTINCT FROM '${TOMBSTONE}'`;
/** What a check-in's audit record holds of the person: erased with the check-in, or past the cut-off. */
const NAME_KEYS = ['firstname', 'lastname'];
const AUDIT_NAMES = `entity = 'checkin' AND ((${NAMES_IN('before')}) OR (${NAMES_IN('after')}))`;

/** What a prune at `cutoff` would remove now (nothing is changed). */
export async function planPrune(db: Queryable, days: AttendanceDays, cutoff: Cutoff): Promise<PrunePlan> {
  const { rows } = await db.query<{
    cutoff: string;
    checkins: number;
    first: string | null;
    last: string | null;
    keys: number;
    audit: number;
  }>(
    `WITH doomed AS (SELECT id, login FROM checkins WHERE login < ${CUTOFF})
     SELECT ${days.isoSql(CUTOFF)} AS cutoff,
            (SELECT count(*) FROM doomed)::int AS checkins,
            (SELECT to_json(min(login) AT TIME ZONE 'UTC') #>> '{}' FROM doomed) AS first,
            (SELECT to_json(max(login) AT TIME ZONE 'UTC') #>> '{}' FROM doomed) AS last,
            (SELECT count(*) FROM checkin_idempotency_keys k
              WHERE k.created_at < ${CUTOFF} OR k.checkin_id IN (SELECT id FROM doomed))::int AS keys,
            (SELECT count(*) FROM audit_log a
              WHERE ${AUDIT_NAMES} AND (a.at < ${CUTOFF} OR a.entity_id IN (SELECT id::text FROM doomed)))::int AS audit`,
    [cutoff.at],
  );
  const row = rows[0]!;
  const dayOf = (utc: string | null) => (utc === null ? null : days.dayOf(`${utc}Z`));
  return {
    cutoff: row.cutoff,
    checkins: row.checkins,
    idempotencyKeys: row.keys,
    auditEntries: row.audit,
    firstDay: dayOf(row.first),
    lastDay: dayOf(row.last),
  };
}

/**
 * Deletes and anonymises what planPrune lists, in batches of BATCH check-ins, in the caller's
 * transaction; returns the counts.
 */
export async function pruneExpired(tx: Queryable, cutoff: Cutoff): Promise<PruneCounts> {
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
      const { rows } = await tx.query<{ id: number }>(
        `SELECT id FROM checkins WHERE ${which} AND login < ${CUTOFF} ORDER BY login LIMIT $2 FOR UPDATE`,
        [cutoff.at, BATCH],
      );
      const ids = rows.map((row) => String(row.id));
      const keys = await tx.query(`DELETE FROM checkin_idempotency_keys WHERE checkin_id = ANY ($1::bigint[])`, [ids]);
      const audit = await tombstoneAuditRecords(tx, `${AUDIT_NAMES} AND entity_id = ANY ($1::text[])`, [ids], NAME_KEYS);
      const gone = await tx.query(`DELETE FROM checkins WHERE id = ANY ($1::bigint[])`, [ids]);
      if (add({ checkins: gone.rowCount, keys: keys.rowCount, audit }) < BATCH) break;
    }
  }
  // Older keys of entries that stay (nobody retries a request that old) and older audit entries.
  const keys = await tx.query(`DELETE FROM checkin_idempotency_keys WHERE created_at < ${CUTOFF}`, [cutoff.at]);
  counts.idempotencyKeys += keys.rowCount;
  counts.auditEntries += await tombstoneAuditRecords(tx, `${AUDIT_NAMES} AND at < ${CUTOFF}`, [cutoff.at], NAME_KEYS);
  return counts;
}

/**
 * Takes the retention lock until the caller's transaction ends; false when another prune holds it. A
 * transaction-level lock on the key earlier versions hold at session level: the two exclude each other,
 * so replicas of both versions side by side still prune one at a time.
 */
export async function tryRetentionLock(tx: Queryable): Promise<boolean> {
  const { rows } = await tx.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS locked', [RETENTION_LOCK_KEY]);
  return rows[0]!.locked;
}

/**
 * Claims today's row of retention_runs; undefined when it is not to be claimed. The daily run claims it
 * only when no run has today (or one started more than an hour ago and never finished: an earlier
 * version's run that failed half-way); a run by hand (`again`) always does, and adds its counts to the
 * day's.
 */
export async function claimRun(
  tx: Queryable,
  days: AttendanceDays,
  retentionDays: number,
  cutoff: Cutoff,
  again: boolean,
): Promise<{ day: string; cutoff: string } | undefined> {
  const { rows } = await tx.query<{ day: string; cutoff: string }>(
    `INSERT INTO retention_runs AS r (day, retention_days, cutoff) VALUES ($4::date, $2, ${CUTOFF})
     ON CONFLICT (day) DO UPDATE SET started_at = now(), finished_at = NULL, retention_days = $2, cutoff = EXCLUDED.cutoff
      WHERE $3::boolean OR (r.finished_at IS NULL AND r.started_at < now() - interval '1 hour')
     RETURNING to_char(day, 'YYYY-MM-DD') AS day, ${days.isoSql('cutoff')} AS cutoff`,
    [cutoff.at, retentionDays, again, cutoff.today],
  );
  return rows[0];
}

export async function finishRun(tx: Queryable, day: string, counts: PruneCounts): Promise<void> {
  await tx.query(
    `UPDATE retention_runs
        SET finished_at = now(),
            checkins_deleted = coalesce(checkins_deleted, 0) + $2,
            idempotency_keys_deleted = coalesce(idempotency_keys_deleted, 0) + $3,
            audit_entries_anonymised = coalesce(audit_entries_anonymised, 0) + $4
      WHERE day = $1::date`,
    [day, counts.checkins, counts.idempotencyKeys, counts.auditEntries],
  );
}
