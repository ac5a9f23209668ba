// SQL for everything stored about one person, for their export and their erasure: the person row, their
// memberships and excuses, their check-ins, and the audit records about them.
//
// A person's check-ins are those carrying their person id, and the free-name ones (no person id) whose
// names fold (person_fold, migration 0060) to the person's match_key: the same rule by which the register
// counts a free-name check-in for a member.
import { AUDIT_COLUMNS, type AuditEntry } from '../audit/audit-log.js';
import { CHECKIN_CSV_FIELDS, type CheckinEntry } from '../checkins/checkin-repository.js';
import type { Queryable } from '../../db/database.js';
import { tombstoned } from '../retention/retention.js';

/** How a check-in was found to be the person's. */
export type MatchedBy = 'person' | 'name';

export type PersonCheckin = CheckinEntry & { deletedAt: string | null; matchedBy: MatchedBy };

export interface Membership {
  groupId: number;
  groupName: string;
  addedAt: string;
}

export interface PersonExcuse {
  groupId: number;
  groupName: string;
  date: string;
  reason: string;
  excusedBy: string;
  excusedAt: string;
}

/**
 * Ids of the person's check-ins ($1 person id, $2 their match_key), live or deleted. Three branches, so
 * the first two use their indexes (person id; live free names). Deleted rows have no index of their
 * own: the third reads the table once, folding only the deleted free-name rows (about 0.1 s per
 * 200,000 check-ins), which a rare admin request can afford.
 */
const THEIR_CHECKINS = `
  SELECT id, 'person' AS matched_by FROM checkins WHERE person_id = $1
  UNION ALL
  SELECT id, 'name' FROM checkins
   WHERE person_id IS NULL AND deleted_at IS NULL AND person_fold(firstname || ' ' || lastname) = $2
  UNION ALL
  SELECT id, 'name' FROM checkins
   WHERE person_id IS NULL AND deleted_at IS NOT NULL AND person_fold(firstname || ' ' || lastname) = $2`;

/** The folded names of an audit record's before or after, compared with a match_key. */
const foldedNames = (column: string) => `person_fold(coalesce(${column}->>'firstname', '') || ' ' || coalesce(${column}->>'lastname', ''))`;

/**
 * Audit records about the person, given SQL placeholders for their id (as text), their check-ins' ids
 * (text[]) and their match_key: records of the person; records of their check-ins, and of check-ins
 * whose names were theirs before or after a correction; records of their memberships and excuses
 * (audited as changes of the group, naming the person by id).
 */
const ABOUT = {
  person: (p: { id: string }) => `entity = 'person' AND entity_id = ${p.id}`,
  checkins: (p: { ids: string; key: string }) =>
    `entity = 'checkin' AND (entity_id = ANY (${p.ids}::text[]) OR ${foldedNames('before')} = ${p.key} OR ${foldedNames('after')} = ${p.key})`,
  groups: (p: { id: string }) => `entity = 'group' AND (before->>'personId' = ${p.id} OR after->>'personId' = ${p.id})`,
};

/** What each kind of audit record holds about the person, replaced by the tombstone on erasure. */
const PERSONAL_KEYS = {
  person: ['firstname', 'lastname', 'externalRef', 'email'],
  checkins: ['firstname', 'lastname'],
  groups: ['reason'],
} as const;

/** The person's match_key; undefined when there is no such person. `lock` holds the row until the transaction ends. */
export async function findMatchKey(db: Queryable, id: number, lock = false): Promise<string | undefined> {
  const { rows } = await db.query<{ key: string }>(`SELECT match_key AS key FROM people WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
  return rows[0]?.key;
}

export async function listTheirCheckins(db: Queryable, id: number, key: string): Promise<PersonCheckin[]> {
  const { rows } = await db.query<PersonCheckin>(
    `SELECT c.id, to_json(c.login) #>> '{}' AS "occurredAt", to_json(c.recorded_at) #>> '{}' AS "recordedAt",
            c.firstname, c.lastname, c.gate, c.direction, c.person_id::int AS "personId",
            to_json(c.deleted_at) #>> '{}' AS "deletedAt", m.matched_by AS "matchedBy"
       FROM (${THEIR_CHECKINS}) m JOIN checkins c ON c.id = m.id
      ORDER BY c.login, c.id`,
    [id, key],
  );
  return rows;
}

/** The CSV columns of theirCheckinsCsv. */
export const THEIR_CHECKINS_CSV_COLUMNS = 'deleted_at,matched_by';

/** Their check-ins as RFC 4180 lines (CRLF), in time order, rendered by PostgreSQL with the export's field rule. */
export async function theirCheckinsCsv(db: Queryable, id: number, key: string): Promise<string> {
  const { rows } = await db.query<{ csv: string }>(
    `SELECT coalesce(string_agg(concat_ws(',', ${CHECKIN_CSV_FIELDS}, coalesce(to_json(deleted_at) #>> '{}', ''), matched_by) || E'\\r\\n',
                                '' ORDER BY login, id), '') AS csv
       FROM (${THEIR_CHECKINS}) m JOIN checkins USING (id)`,
    [id, key],
  );
  return rows[0]!.csv;
}

export async function listMemberships(db: Queryable, id: number): Promise<Membership[]> {
  const { rows } = await db.query<Membership>(
    `SELECT g.id AS "groupId", g.name AS "groupName", to_json(m.added_at) #>> '{}' AS "addedAt"
       FROM group_members m JOIN groups g ON g.id = m.group_id
      WHERE m.person_id = $1 ORDER BY g.id`,
    [id],
  );
  return rows;
}

/** How many groups each of `ids` belongs to (people without a group are left out). */
export async function countMemberships(db: Queryable, ids: readonly number[]): Promise<Map<number, number>> {
  const { rows } = await db.query<{ id: number; groups: number }>(
    `SELECT person_id AS id, count(*)::int AS groups FROM group_members WHERE person_id = ANY ($1::bigint[]) GROUP BY person_id`,
    [ids],
  );
  return new Map(rows.map((row) => [Number(row.id), row.groups]));
}

export async function listTheirExcuses(db: Queryable, id: number): Promise<PersonExcuse[]> {
  const { rows } = await db.query<PersonExcuse>(
    `SELECT g.id AS "groupId", g.name AS "groupName", to_char(e.day, 'YYYY-MM-DD') AS date, e.reason,
            e.excused_by AS "excusedBy", to_json(e.excused_at) #>> '{}' AS "excusedAt"
       FROM excuses e JOIN groups g ON g.id = e.group_id
      WHERE e.person_id = $1 ORDER BY e.day, g.id`,
    [id],
  );
  return rows;
}

export async function listAuditAbout(db: Queryable, id: number, key: string, checkinIds: readonly number[]): Promise<AuditEntry[]> {
  const { rows } = await db.query<AuditEntry>(
    `SELECT ${AUDIT_COLUMNS} FROM audit_log
      WHERE (${ABOUT.person({ id: '$1' })}) OR (${ABOUT.checkins({ ids: '$2', key: '$3' })}) OR (${ABOUT.groups({ id: '$1' })})
      ORDER BY id`,
    [String(id), checkinIds.map(String), key],
  );
  return rows;
}

export interface ErasedCounts {
  checkins: number;
  memberships: number;
  excuses: number;
  auditEntriesAnonymised: number;
}

/**
 * Deletes the person, their excuses, memberships and check-ins (with the Idempotency-Keys pointing at
 * them), and replaces what the audit records about them hold of them by the retention's tombstone.
 * Run inside a transaction that holds the person's row (findMatchKey with lock).
 */
export async function eraseTheirData(tx: Queryable, id: number, key: string): Promise<ErasedCounts> {
  const { rows } = await tx.query<{ id: number }>(
    `SELECT id FROM checkins WHERE id IN (SELECT id FROM (${THEIR_CHECKINS}) m) ORDER BY id FOR UPDATE`,
    [id, key],
  );
  const checkinIds = rows.map((row) => Number(row.id));
  let auditEntriesAnonymised = 0;
  const about = [
    { where: ABOUT.person({ id: '$1' }), params: [String(id)], keys: PERSONAL_KEYS.person },
    { where: ABOUT.checkins({ ids: '$1', key: '$2' }), params: [checkinIds.map(String), key], keys: PERSONAL_KEYS.checkins },
    { where: ABOUT.groups({ id: '$1' }), params: [String(id)], keys: PERSONAL_KEYS.groups },
  ];
  for (const { where, params, keys } of about) {
    const scrubbed = await tx.query(
      `UPDATE audit_log SET before = ${tombstoned('before', keys)}, after = ${tombstoned('after', keys)} WHERE ${where}`,
      params,
    );
    auditEntriesAnonymised += scrubbed.rowCount;
  }
  await tx.query(`DELETE FROM checkin_idempotency_keys WHERE checkin_id = ANY ($1::bigint[])`, [checkinIds]);
  const checkins = await tx.query(`DELETE FROM checkins WHERE id = ANY ($1::bigint[])`, [checkinIds]);
  const excuses = await tx.query(`DELETE FROM excuses WHERE person_id = $1`, [id]);
  const memberships = await tx.query(`DELETE FROM group_members WHERE person_id = $1`, [id]);
  await tx.query(`DELETE FROM people WHERE id = $1`, [id]);
  return { checkins: checkins.rowCount, memberships: memberships.rowCount, excuses: excuses.rowCount, auditEntriesAnonymised };
}
