// SQL for everything stored about one person, for their export and their erasure: the person row, their
// memberships and excuses, their check-ins, and the audit records about them.
//
// A person's check-ins are those carrying their person id, and the free-name ones (no person id) whose
// names fold (person_fold, migration 0060) to the person's match_key: the same rule by which the register
// counts a free-name check-in for a member. A free name typed the other way round ("Wrenfield Ottilie")
// is theirs too, unless another person is called exactly that (then it is that person's).
import { auditColumns, type AuditEntry, tombstoneAuditRecords } from '../audit/audit-log.js';
import { checkinCsvFields, type CheckinEntry } from '../checkins/checkin-repository.js';
import type { Queryable } from '../../db/database.js';
import { calendarDays, sqlText, zonedIsoSql } from '../../domain/attendance-day.js';

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

/** The folded names a person's free-name check-ins carry: their match_key, and their names swapped. */
export interface NameKeys {
  /** The match_key first, then the swapped names when they are theirs. */
  keys: string[];
}

/**
 * Ids of the person's check-ins ($1 person id, $2 their name keys as text[]), live or deleted. Three
 * branches, so the first two use their indexes (person id; live free names). Deleted rows have no index
 * of their own: the third reads the table once, folding only the deleted free-name rows (about 0.1 s per
 * 200,000 check-ins), which a rare admin request can afford.
 */
const THEIR_CHECKINS = `
  SELECT id, 'person' AS matched_by FROM checkins WHERE person_id = $1
  UNION ALL
  SELECT id, 'name' FROM checkins
   WHERE person_id IS NULL AND deleted_at IS NULL AND person_fold(firstname || ' ' || lastname) = ANY ($2::text[])
  UNION ALL
  SELECT id, 'name' FROM checkins
   WHERE person_id IS NULL AND deleted_at IS NOT NULL AND person_fold(firstname || ' ' || lastname) = ANY ($2::text[])`;

/** The folded names of an audit record's before or after, compared with a person's name keys. */
const foldedNames = (column: string) => `person_fold(coalesce(${column}->>'firstname', '') || ' ' || coalesce(${column}->>'lastname', ''))`;

/**
 * Audit records about the person, given SQL placeholders for their id (as text), their check-ins' ids
 * (text[]) and their name keys (text[]): records of the person; records of their check-ins, and of
 * check-ins whose names were theirs before or after a correction; records of their memberships and
 * excuses (audited as changes of the group, naming the person by id).
 */
const ABOUT = {
  person: (p: { id: string }) => `entity = 'person' AND entity_id = ${p.id}`,
  checkins: (p: { ids: string; keys: string }) =>
    `entity = 'checkin' AND (entity_id = ANY (${p.ids}::text[]) OR ${foldedNames('before')} = ANY (${p.keys}::text[]) OR ${foldedNames('after')} = ANY (${p.keys}::text[]))`,
  groups: (p: { id: string }) => `entity = 'group' AND (before->>'personId' = ${p.id} OR after->>'personId' = ${p.id})`,
};

/**
 * One side (before or after) of a check-in's audit record as the person's export shows it: whole when it
 * is theirs (their person id, or names that fold to one of their keys); otherwise without its names and
 * person id, which are someone else's (a correction from or to another person's name).
 */
const ownSide = (column: string, p: { id: string; keys: string }) =>
  `CASE WHEN entity <> 'checkin' OR ${column} IS NULL OR ${column}->>'personId' = ${p.id} OR ${foldedNames(column)} = ANY (${p.keys}::text[])
        THEN ${column} ELSE ${column} - 'firstname' - 'lastname' - 'personId' END`;

/** What each kind of audit record holds about the person, replaced by the tombstone on erasure. */
const PERSONAL_KEYS = {
  person: ['firstname', 'lastname', 'externalRef', 'email'],
  checkins: ['firstname', 'lastname'],
  groups: ['reason'],
} as const;

/**
 * The person's name keys: their match_key, and their names folded the other way round unless that is the
 * same or another person's match_key. Undefined when there is no such person. `lock` holds the row until
 * the transaction ends.
 */
export async function findNameKeys(db: Queryable, id: number, lock = false): Promise<NameKeys | undefined> {
  const { rows } = await db.query<{ key: string; swapped: string | null }>(
    `SELECT p.match_key AS key,
            CASE WHEN s.swapped <> p.match_key AND NOT EXISTS (SELECT 1 FROM people o WHERE o.match_key = s.swapped AND o.id <> p.id)
                 THEN s.swapped END AS swapped
       FROM people p CROSS JOIN LATERAL (SELECT person_fold(p.lastname || ' ' || p.firstname) AS swapped) s
      WHERE p.id = $1${lock ? ' FOR UPDATE OF p' : ''}`,
    [id],
  );
  const row = rows[0];
  return row && { keys: row.swapped === null ? [row.key] : [row.key, row.swapped] };
}

/** Their check-ins, times written in `timezone` (APP_TIMEZONE) whatever the session's time zone. */
export async function listTheirCheckins(db: Queryable, id: number, names: NameKeys, timezone: string): Promise<PersonCheckin[]> {
  const at = (column: string) => zonedIsoSql(column, sqlText(timezone));
  const { rows } = await db.query<PersonCheckin>(
    `SELECT c.id, ${at('c.login')} AS "occurredAt", ${at('c.recorded_at')} AS "recordedAt",
            c.firstname, c.lastname, c.gate, c.direction, c.person_id::int AS "personId",
            ${at('c.deleted_at')} AS "deletedAt", m.matched_by AS "matchedBy"
       FROM (${THEIR_CHECKINS}) m JOIN checkins c ON c.id = m.id
      ORDER BY c.login, c.id`,
    [id, names.keys],
  );
  return rows;
}

/** The CSV columns of theirCheckinsCsv. */
export const THEIR_CHECKINS_CSV_COLUMNS = 'deleted_at,matched_by';

/**
 * Their check-ins as RFC 4180 lines (CRLF), in time order, rendered by PostgreSQL with the export's field
 * rule; times in `timezone` (APP_TIMEZONE) whatever the session's time zone.
 */
export async function theirCheckinsCsv(db: Queryable, id: number, names: NameKeys, timezone: string): Promise<string> {
  const days = calendarDays(timezone);
  const { rows } = await db.query<{ csv: string }>(
    `SELECT coalesce(string_agg(concat_ws(',', ${checkinCsvFields(days)}, coalesce(${days.isoSql('deleted_at')}, ''), matched_by) || E'\\r\\n',
                                '' ORDER BY login, id), '') AS csv
       FROM (${THEIR_CHECKINS}) m JOIN checkins USING (id)`,
    [id, names.keys],
  );
  return rows[0]!.csv;
}

/** The person's groups; only those of `groups` when given (a leader's). Times in `timezone` (APP_TIMEZONE). */
export async function listMemberships(db: Queryable, id: number, timezone: string, groups?: readonly number[]): Promise<Membership[]> {
  const { rows } = await db.query<Membership>(
    `SELECT g.id AS "groupId", g.name AS "groupName", ${zonedIsoSql('m.added_at', sqlText(timezone))} AS "addedAt"
       FROM group_members m JOIN groups g ON g.id = m.group_id
      WHERE m.person_id = $1 AND ($2::bigint[] IS NULL OR m.group_id = ANY ($2::bigint[])) ORDER BY g.id`,
    [id, groups ?? null],
  );
  return rows;
}

/** How many groups (of `groups`, when given) each of `ids` belongs to (people without one are left out). */
export async function countMemberships(db: Queryable, ids: readonly number[], groups?: readonly number[]): Promise<Map<number, number>> {
  const { rows } = await db.query<{ id: number; groups: number }>(
    `SELECT person_id AS id, count(*)::int AS groups FROM group_members
      WHERE person_id = ANY ($1::bigint[]) AND ($2::bigint[] IS NULL OR group_id = ANY ($2::bigint[]))
      GROUP BY person_id`,
    [ids, groups ?? null],
  );
  return new Map(rows.map((row) => [Number(row.id), row.groups]));
}

export async function listTheirExcuses(db: Queryable, id: number, timezone: string): Promise<PersonExcuse[]> {
  const { rows } = await db.query<PersonExcuse>(
    `SELECT g.id AS "groupId", g.name AS "groupName", to_char(e.day, 'YYYY-MM-DD') AS date, e.reason,
            e.excused_by AS "excusedBy", ${zonedIsoSql('e.excused_at', sqlText(timezone))} AS "excusedAt"
       FROM excuses e JOIN groups g ON g.id = e.group_id
      WHERE e.person_id = $1 ORDER BY e.day, g.id`,
    [id],
  );
  return rows;
}

/** The audit records about the person, each check-in record without the names of other people (ownSide); times in `timezone`. */
export async function listAuditAbout(
  db: Queryable,
  id: number,
  names: NameKeys,
  checkinIds: readonly number[],
  timezone: string,
): Promise<AuditEntry[]> {
  const own = { id: '$1', keys: '$3' };
  const { rows } = await db.query<AuditEntry>(
    `SELECT id, at, actor, "actorRole", action, entity, "entityId", ${ownSide('before', own)} AS before, ${ownSide('after', own)} AS after
       FROM (SELECT ${auditColumns(timezone)} FROM audit_log
              WHERE (${ABOUT.person({ id: '$1' })}) OR (${ABOUT.checkins({ ids: '$2', keys: '$3' })}) OR (${ABOUT.groups({ id: '$1' })})) a
      ORDER BY id`,
    [String(id), checkinIds.map(String), names.keys],
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
 * Run inside a transaction that holds the person's row (findNameKeys with lock).
 */
export async function eraseTheirData(tx: Queryable, id: number, names: NameKeys): Promise<ErasedCounts> {
  const { rows } = await tx.query<{ id: number }>(
    `SELECT id FROM checkins WHERE id IN (SELECT id FROM (${THEIR_CHECKINS}) m) ORDER BY id FOR UPDATE`,
    [id, names.keys],
  );
  const checkinIds = rows.map((row) => Number(row.id));
  let auditEntriesAnonymised = 0;
  const about = [
    { where: ABOUT.person({ id: '$1' }), params: [String(id)], keys: PERSONAL_KEYS.person },
    { where: ABOUT.checkins({ ids: '$1', keys: '$2' }), params: [checkinIds.map(String), names.keys], keys: PERSONAL_KEYS.checkins },
    { where: ABOUT.groups({ id: '$1' }), params: [String(id)], keys: PERSONAL_KEYS.groups },
  ];
  for (const { where, params, keys } of about) {
    auditEntriesAnonymised += await tombstoneAuditRecords(tx, where, params, keys);
  }
  await tx.query(`DELETE FROM checkin_idempotency_keys WHERE checkin_id = ANY ($1::bigint[])`, [checkinIds]);
  const checkins = await tx.query(`DELETE FROM checkins WHERE id = ANY ($1::bigint[])`, [checkinIds]);
  const excuses = await tx.query(`DELETE FROM excuses WHERE person_id = $1`, [id]);
  const memberships = await tx.query(`DELETE FROM group_members WHERE person_id = $1`, [id]);
  await tx.query(`DELETE FROM people WHERE id = $1`, [id]);
  return { checkins: checkins.rowCount, memberships: memberships.rowCount, excuses: excuses.rowCount, auditEntriesAnonymised };
}

/**
 * What an ordinary delete leaves in the audit log about the person: their names (who was removed), not
 * their e-mail, external reference or excuse reasons, which are replaced by the tombstone in every
 * record about them. Their check-ins stay, as walk-ins, with the names they were recorded with.
 */
export async function forgetContactDetails(tx: Queryable, id: number): Promise<void> {
  const about = [
    { where: ABOUT.person({ id: '$1' }), keys: ['externalRef', 'email'] },
    { where: ABOUT.groups({ id: '$1' }), keys: PERSONAL_KEYS.groups },
  ];
  for (const { where, keys } of about) {
    await tombstoneAuditRecords(tx, where, [String(id)], keys);
  }
}
