// SQL for people. Names are matched and searched through person_fold (migration 0060), the one folding
// rule, so a search term is folded by the same SQL as the names it is compared with.
import type { Queryable } from '../../db/database.js';
import { sqlText, zonedIsoSql } from '../../domain/attendance-day.js';
import { personFold } from '../checkins/person-name.js';

export interface Person {
  id: number;
  firstname: string;
  lastname: string;
  externalRef: string | null;
  email: string | null;
  badge: string;
  createdAt: string;
  updatedAt: string;
}

export interface PersonFields {
  firstname: string;
  lastname: string;
  externalRef: string | null;
  email: string | null;
}

/**
 * The columns of a person, times written in `timezone` (APP_TIMEZONE) whatever the session's time zone;
 * without it, in the session's time zone (what the groups feature still reads, until it passes its own).
 */
export function personColumns(timezone?: string): string {
  const at = (column: string) => (timezone === undefined ? `to_json(${column}) #>> '{}'` : zonedIsoSql(column, sqlText(timezone)));
  return `p.id, p.firstname, p.lastname, p.external_ref AS "externalRef", p.email, p.badge,
  ${at('p.created_at')} AS "createdAt", ${at('p.updated_at')} AS "updatedAt"`;
}

export const PERSON_COLUMNS = personColumns();

export async function insertPerson(db: Queryable, fields: PersonFields, badge: string, timezone?: string): Promise<Person> {
  const { rows } = await db.query<Person>(
    `INSERT INTO people AS p (firstname, lastname, external_ref, email, badge) VALUES ($1, $2, $3, $4, $5) RETURNING ${personColumns(timezone)}`,
    [fields.firstname, fields.lastname, fields.externalRef, fields.email, badge],
  );
  return rows[0]!;
}

/** Inserts many people in one statement (an import); answers them in no particular order. */
export async function insertPeople(
  db: Queryable,
  people: readonly { fields: PersonFields; badge: string }[],
  timezone?: string,
): Promise<Person[]> {
  if (people.length === 0) return [];
  const { rows } = await db.query<Person>(
    `INSERT INTO people AS p (firstname, lastname, external_ref, email, badge)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) RETURNING ${personColumns(timezone)}`,
    [
      people.map((p) => p.fields.firstname),
      people.map((p) => p.fields.lastname),
      people.map((p) => p.fields.externalRef),
      people.map((p) => p.fields.email),
      people.map((p) => p.badge),
    ],
  );
  return rows;
}

/** Updates many people in one statement (an import); answers them in no particular order. */
export async function updatePeople(
  db: Queryable,
  changes: readonly { id: number; fields: PersonFields }[],
  timezone?: string,
): Promise<Person[]> {
  if (changes.length === 0) return [];
  const { rows } = await db.query<Person>(
    `UPDATE people AS p SET firstname = u.fn, lastname = u.ln, external_ref = u.ref, email = u.email, updated_at = now()
       FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[]) AS u (id, fn, ln, ref, email)
      WHERE p.id = u.id RETURNING ${personColumns(timezone)}`,
    [
      changes.map((c) => c.id),
      changes.map((c) => c.fields.firstname),
      changes.map((c) => c.fields.lastname),
      changes.map((c) => c.fields.externalRef),
      changes.map((c) => c.fields.email),
    ],
  );
  return rows;
}

export async function findPerson(db: Queryable, id: number, lock = false, timezone?: string): Promise<Person | undefined> {
  const { rows } = await db.query<Person>(`SELECT ${personColumns(timezone)} FROM people p WHERE p.id = $1${lock ? ' FOR UPDATE' : ''}`, [
    id,
  ]);
  return rows[0];
}

/** The people holding any of `badges` (unknown codes are simply absent), in one query. */
export async function findPeopleByBadges(db: Queryable, badges: readonly string[], timezone?: string): Promise<Person[]> {
  const { rows } = await db.query<Person>(`SELECT ${personColumns(timezone)} FROM people p WHERE p.badge = ANY ($1::text[])`, [badges]);
  return rows;
}

export async function updatePerson(db: Queryable, id: number, fields: PersonFields, timezone?: string): Promise<Person | undefined> {
  const { rows } = await db.query<Person>(
    `UPDATE people AS p SET firstname = $2, lastname = $3, external_ref = $4, email = $5, updated_at = now()
      WHERE p.id = $1 RETURNING ${personColumns(timezone)}`,
    [id, fields.firstname, fields.lastname, fields.externalRef, fields.email],
  );
  return rows[0];
}

export async function setBadge(db: Queryable, id: number, badge: string, timezone?: string): Promise<Person | undefined> {
  const { rows } = await db.query<Person>(
    `UPDATE people AS p SET badge = $2, updated_at = now() WHERE p.id = $1 RETURNING ${personColumns(timezone)}`,
    [id, badge],
  );
  return rows[0];
}

/** Deletes a person with their memberships and excuses; their check-ins stay, as walk-ins. */
export async function deletePerson(db: Queryable, id: number): Promise<boolean> {
  const { rowCount } = await db.query(`DELETE FROM people WHERE id = $1`, [id]);
  return rowCount === 1;
}

/** SQL: the person is a member of one of the groups (a bigint[] placeholder). */
const MEMBER_OF_ANY = (personId: string, groups: string) =>
  `EXISTS (SELECT 1 FROM group_members m WHERE m.person_id = ${personId} AND m.group_id = ANY (${groups}::bigint[]))`;

/**
 * One page of people in id order after `afterId`. Every search word, folded by the person_fold rule
 * (personFold, its TypeScript twin, tested against the database), must occur in the folded names or
 * external reference: word order and punctuation do not matter. Folded words hold no LIKE wildcard
 * (the rule removes %, _ and the backslash). The words go in as one array parameter, and the index on
 * (id) INCLUDE (search_key) of migration 0080 lets a rare word be looked for in the index alone. With
 * `groups` (a leader's), only members of those groups.
 */
export async function listPeople(
  db: Queryable,
  words: string[],
  afterId: number,
  limit: number,
  groups?: readonly number[],
  timezone?: string,
): Promise<Person[]> {
  const likes = words.map(personFold).filter((term) => term !== '');
  const params: unknown[] = [afterId, limit, likes.map((term) => `%${term}%`)];
  const inGroups = groups === undefined ? '' : ` AND ${MEMBER_OF_ANY('p.id', `$${params.push(groups)}`)}`;
  const { rows } = await db.query<Person>(
    `SELECT ${personColumns(timezone)} FROM people p
      WHERE p.id > $1 AND p.search_key LIKE ALL ($3::text[])${inGroups}
      ORDER BY p.id LIMIT $2`,
    params,
  );
  return rows;
}

/** Where a page in name order starts: after this person's sort key (folded last, first name) and id. */
export interface NameKeyset {
  lastname: string;
  firstname: string;
  id: number;
}

/** The sort key of the name order: folded by person_fold, compared byte-wise (the same on every database). */
const NAME_ORDER = `person_fold(p.lastname) COLLATE "C", person_fold(p.firstname) COLLATE "C", p.id`;

/**
 * One page of people in name order (last name, then first name, folded as searches are, so "Żółć" sorts
 * as "zolc"; the id breaks ties) after `after`; the same filters as listPeople. Each row carries its sort
 * key for the next page's cursor.
 */
export async function listPeopleByName(
  db: Queryable,
  words: string[],
  after: NameKeyset | undefined,
  limit: number,
  groups?: readonly number[],
): Promise<(Person & { sortKey: NameKeyset })[]> {
  const likes = words.map(personFold).filter((term) => term !== '');
  const params: unknown[] = [limit, likes.map((term) => `%${term}%`)];
  const where = ['p.search_key LIKE ALL ($2::text[])'];
  if (after !== undefined) {
    where.push(
      `(${NAME_ORDER}) > ($${params.push(after.lastname)}::text COLLATE "C", $${params.push(after.firstname)}::text COLLATE "C", $${params.push(after.id)}::bigint)`,
    );
  }
  if (groups !== undefined) where.push(MEMBER_OF_ANY('p.id', `$${params.push(groups)}`));
  const { rows } = await db.query<Person & { sortLast: string; sortFirst: string }>(
    `SELECT ${PERSON_COLUMNS}, person_fold(p.lastname) AS "sortLast", person_fold(p.firstname) AS "sortFirst" FROM people p
      WHERE ${where.join(' AND ')}
      ORDER BY ${NAME_ORDER} LIMIT $1`,
    params,
  );
  return rows.map(({ sortLast, sortFirst, ...person }) => ({
    ...person,
    sortKey: { lastname: sortLast, firstname: sortFirst, id: person.id },
  }));
}

/** Whether the person is a member of one of `groups`. */
export async function isMemberOfAny(db: Queryable, id: number, groups: readonly number[]): Promise<boolean> {
  const { rows } = await db.query(`SELECT 1 FROM people p WHERE p.id = $1 AND ${MEMBER_OF_ANY('p.id', '$2')}`, [id, groups]);
  return rows.length > 0;
}
