// The audit log's SQL: every change, with who (and in which role), when, and the record before and after.
// Records are inserted only through domain/changes.ts, inside the change they record.
import type { Queryable } from '../../db/database.js';
import { sqlText, zonedIsoSql } from '../../domain/attendance-day.js';
import { type Actor, actorLabel, actorRole } from '../../domain/actor.js';
import type { AuditRecord } from '../../domain/changes.js';

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  /** The actor's role when acting (owner, manager, leader, viewer, token, system, anonymous); null before roles. */
  actorRole: string | null;
  action: string;
  entity: string;
  entityId: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

/** The columns of an AuditEntry, for queries of audit_log: `at` written in `timezone` (APP_TIMEZONE) whatever the session's zone. */
export function auditColumns(timezone: string): string {
  return `id, ${zonedIsoSql('at', sqlText(timezone))} AS at, actor, actor_role AS "actorRole", action, entity, entity_id AS "entityId", before, after`;
}

/** The one writer of audit records: called by domain/changes.ts inside a change's transaction. */
export async function insertAuditRecord(tx: Queryable, actor: Actor, record: AuditRecord): Promise<void> {
  await tx.query(
    `INSERT INTO audit_log (actor, actor_role, action, entity, entity_id, before, after) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb)`,
    [
      actorLabel(actor),
      actorRole(actor),
      record.action,
      record.entity,
      String(record.entityId),
      record.before === undefined ? null : JSON.stringify(record.before),
      record.after === undefined ? null : JSON.stringify(record.after),
    ],
  );
}

/** Many records of one change in one statement (an import), in the order given. */
export async function insertAuditRecords(tx: Queryable, actor: Actor, records: readonly AuditRecord[]): Promise<void> {
  if (records.length === 0) return;
  const json = (value: unknown) => (value === undefined ? null : JSON.stringify(value));
  await tx.query(
    `INSERT INTO audit_log (actor, actor_role, action, entity, entity_id, before, after)
     SELECT $1, $2, r.action, r.entity, r.entity_id, r.before::jsonb, r.after::jsonb
       FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) WITH ORDINALITY AS r (action, entity, entity_id, before, after, ord)
      ORDER BY r.ord`,
    [
      actorLabel(actor),
      actorRole(actor),
      records.map((r) => r.action),
      records.map((r) => r.entity),
      records.map((r) => String(r.entityId)),
      records.map((r) => json(r.before)),
      records.map((r) => json(r.after)),
    ],
  );
}

/** What erased personal data reads as in audit records (retention and erasure alike). */
export const TOMBSTONE = '(erased)';

/** SQL for a before/after record with `keys` replaced by the tombstone (when it holds any of them). */
const tombstoned = (column: string, keys: readonly string[]) =>
  `CASE WHEN ${column} ?| array[${keys.map((key) => `'${key}'`).join(', ')}]
        THEN ${column} || '${JSON.stringify(Object.fromEntries(keys.map((key) => [key, TOMBSTONE])))}'::jsonb ELSE ${column} END`;

/**
 * Erases personal data from existing records: in the records `where` selects (an SQL condition on
 * audit_log, with `params`), every one of `keys` in before/after becomes the tombstone; who did what,
 * and when, stays. Run in the change (erasure, retention, a delete) that removes the data itself.
 * Returns how many records were touched.
 */
export async function tombstoneAuditRecords(
  tx: Queryable,
  where: string,
  params: readonly unknown[],
  keys: readonly string[],
): Promise<number> {
  const { rowCount } = await tx.query(
    `UPDATE audit_log SET before = ${tombstoned('before', keys)}, after = ${tombstoned('after', keys)} WHERE ${where}`,
    params,
  );
  return rowCount;
}

/** Audit records, newest first; times in `timezone` (APP_TIMEZONE). */
export async function listAudit(
  db: Queryable,
  timezone: string,
  filter: { entity?: string; entityId?: string; before?: number; limit?: number } = {},
): Promise<AuditEntry[]> {
  const { rows } = await db.query<AuditEntry>(
    `SELECT ${auditColumns(timezone)} FROM audit_log
      WHERE ($1::text IS NULL OR entity = $1) AND ($2::text IS NULL OR entity_id = $2) AND ($3::bigint IS NULL OR id < $3)
      ORDER BY id DESC LIMIT $4`,
    [filter.entity ?? null, filter.entityId ?? null, filter.before ?? null, filter.limit ?? 100],
  );
  return rows;
}
