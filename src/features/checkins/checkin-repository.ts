// SQL for check-ins. Times are written by PostgreSQL in APP_TIMEZONE, whatever the session's time zone
// (domain/attendance-day.ts builds that SQL): ISO 8601 with offset and microseconds, e.g.
// 2026-11-24T09:12:21.123456+01:00. Days are [start, end) instants computed in TypeScript
// (AttendanceDays.bounds) and given as timestamptz. The batch writes (insertCheckins, recordCheckins)
// answer in the session's zone; CheckinService writes their times again in APP_TIMEZONE (isoInZone).
// Soft-deleted rows (deleted_at set) are invisible to every read here.
import type { Queryable } from '../../db/database.js';
import { addDays, type AttendanceDays, type DayBounds } from '../../domain/attendance-day.js';
import { csvFieldSql } from '../../domain/csv.js';
import type { KeysetPosition, ListOrder } from '../../domain/keyset-cursor.js';
import { checkinCreatedOutbox } from '../webhooks/webhook-events.js';
import { nameKey } from './person-name.js';

export type Direction = 'in' | 'out';

export interface NewCheckin {
  firstname: string;
  lastname: string;
  gate: string;
  /** Default 'in'. */
  direction?: Direction;
  /** When it happened (ISO 8601); default: the database's now(). */
  occurredAt?: string;
  /** The person it belongs to, when the kiosk knew (badge or person id); names then come from the person. */
  personId?: number;
}

/** The versioned API's shape of an entry. */
export interface CheckinEntry {
  id: number;
  occurredAt: string;
  recordedAt: string;
  firstname: string;
  lastname: string;
  gate: string;
  direction: Direction;
  /** The person this entry belongs to (checked in by badge or person id, or linked by an admin); null for a walk-in. */
  personId: number | null;
}

/** Rows whose login falls in the day whose [start, end) instants are $1 and $2. */
export const ON_DAY = `login >= $1::timestamptz AND login < $2::timestamptz`;

const LIVE = 'deleted_at IS NULL';

/** The columns of an entry, times in APP_TIMEZONE (`within`: the day its rows lie in, which is cheaper). */
function entryColumns(days: AttendanceDays, within?: DayBounds): string {
  return `id, ${days.isoSql('login', within)} AS "occurredAt", ${days.isoSql('recorded_at')} AS "recordedAt",
  firstname, lastname, gate, direction, person_id::int AS "personId"`;
}

/**
 * The one place check-in rows are written (seed API and versioned API alike): many rows in one
 * statement, returned in input order. Ids are drawn from the table's own identity sequence before the
 * insert, so each returned row is matched to its input position by id and ordinality, not by trusting
 * the order of RETURNING (which SQL does not promise). name_key is computed here, in TypeScript. The
 * same statement writes the checkin.created events of the endpoints subscribed to them (the outbox), so
 * they commit with the rows; with no such endpoint that part inserts nothing.
 */
const INSERT_MANY = `
  WITH input AS MATERIALIZED (
    SELECT nextval((SELECT pg_get_serial_sequence('checkins', 'id'))::regclass) AS id, r.*
      FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::bigint[])
           WITH ORDINALITY AS r(firstname, lastname, gate, direction, name_key, occurred_at, person_id, ord)
  ), inserted AS (
    INSERT INTO checkins (id, firstname, lastname, gate, direction, name_key, login, person_id)
    SELECT id, firstname, lastname, gate, direction, name_key, coalesce(occurred_at, now()), person_id FROM input ORDER BY ord
    RETURNING id, login, recorded_at, firstname, lastname, gate, direction, person_id
  ), answer AS MATERIALIZED (
    SELECT inserted.id, to_json(inserted.login) #>> '{}' AS "occurredAt", to_json(inserted.recorded_at) #>> '{}' AS "recordedAt",
           inserted.firstname, inserted.lastname, inserted.gate, inserted.direction, inserted.person_id::int AS "personId", input.ord
      FROM inserted JOIN input USING (id)
  ), ${checkinCreatedOutbox('answer')}
  SELECT id, "occurredAt", "recordedAt", firstname, lastname, gate, direction, "personId" FROM answer ORDER BY ord`;

export async function insertCheckins(db: Queryable, checkins: readonly NewCheckin[]): Promise<CheckinEntry[]> {
  const { rows } = await db.query<CheckinEntry>(
    INSERT_MANY,
    [
      checkins.map((c) => c.firstname),
      checkins.map((c) => c.lastname),
      checkins.map((c) => c.gate),
      checkins.map((c) => c.direction ?? 'in'),
      checkins.map((c) => nameKey(c.firstname, c.lastname)),
      checkins.map((c) => c.occurredAt ?? null),
      checkins.map((c) => c.personId ?? null),
    ],
    { prepared: 'barona_insert_checkins' },
  );
  if (rows.length !== checkins.length) {
    // Cannot happen short of a trigger swallowing rows; refuse to guess which request got which row.
    throw new Error(`batch insert returned ${rows.length} rows for ${checkins.length} check-ins`);
  }
  return rows;
}

export async function findCheckin(db: Queryable, days: AttendanceDays, id: number): Promise<CheckinEntry | undefined> {
  const { rows } = await db.query<CheckinEntry>(`SELECT ${entryColumns(days)} FROM checkins WHERE id = $1 AND ${LIVE}`, [id]);
  return rows[0];
}

// ---- Checked batches ------------------------------------------------------------------------------

/** What identifies "one person at one gate" for the duplicate check's lock. */
export function personAtGate(personKey: string, gate: string): string {
  return JSON.stringify([personKey, gate]);
}

/** What record_checkins answered for one request (migrations/0020_record_checkins_function.sql). */
export interface RecordedCheckin {
  outcome: 'new' | 'duplicate' | 'replay' | 'replay-duplicate' | 'mismatch' | 'deleted';
  /** The entry that answers; for 'mismatch' and 'deleted' only its id (or null) is known. */
  entry: CheckinEntry;
}

export interface RecordRequest {
  checkin: NewCheckin;
  /** Duplicate window in seconds; 0 = no duplicate check. */
  windowSeconds: number;
  idempotency?: { key: string; requestHash: string };
}

/** How long an Idempotency-Key is remembered: a retry after this is a new request (the common 24 hours). */
export const IDEMPOTENCY_KEY_TTL_SECONDS = 24 * 3600;

/**
 * Records a batch of check-ins with their checks (person-at-gate locks, Idempotency-Keys, duplicate
 * detection) in one statement: the record_checkins_of_people function (migration 0070), which calls
 * record_checkins_expiring (forgets keys older than IDEMPOTENCY_KEY_TTL_SECONDS, then record_checkins)
 * and stores the person of each new entry. Answers in input order.
 */
export async function recordCheckins(db: Queryable, requests: readonly RecordRequest[]): Promise<RecordedCheckin[]> {
  const personKeys = requests.map((r) => nameKey(r.checkin.firstname, r.checkin.lastname));
  const { rows } = await db.query<CheckinEntry & { ord: number; outcome: RecordedCheckin['outcome'] }>(
    `WITH answer AS MATERIALIZED (
       SELECT ord::int AS ord, outcome, id, occurred_at AS "occurredAt", recorded_at AS "recordedAt", firstname, lastname, gate, direction,
              person_id::int AS "personId"
         FROM record_checkins_of_people($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::float8[],
                                        $8::text[], $9::text[], $10::text[], $11::float8, $12::bigint[])
     ), ${checkinCreatedOutbox(`(SELECT * FROM answer WHERE outcome = 'new')`)}
     SELECT ord, outcome, id, "occurredAt", "recordedAt", firstname, lastname, gate, direction, "personId" FROM answer`,
    [
      requests.map((r) => r.checkin.firstname),
      requests.map((r) => r.checkin.lastname),
      requests.map((r) => r.checkin.gate),
      requests.map((r) => r.checkin.direction ?? 'in'),
      personKeys,
      requests.map((r) => r.checkin.occurredAt ?? null),
      requests.map((r) => r.windowSeconds),
      requests.map((r, i) => (r.windowSeconds > 0 ? personAtGate(personKeys[i]!, r.checkin.gate) : null)),
      requests.map((r) => r.idempotency?.key ?? null),
      requests.map((r) => r.idempotency?.requestHash ?? null),
      IDEMPOTENCY_KEY_TTL_SECONDS,
      requests.map((r) => r.checkin.personId ?? null),
    ],
    { prepared: 'barona_record_checkins' },
  );
  const answers: (RecordedCheckin | undefined)[] = new Array(requests.length).fill(undefined);
  for (const { ord, outcome, ...entry } of rows) answers[ord - 1] = { outcome, entry };
  if (answers.some((answer) => answer === undefined) || rows.length !== requests.length) {
    // Cannot happen short of a trigger swallowing rows; refuse to guess which request got which row.
    throw new Error(`record_checkins answered ${rows.length} rows for ${requests.length} check-ins`);
  }
  return answers as RecordedCheckin[];
}

// ---- Corrections ----------------------------------------------------------------------------------

export interface CheckinCorrection {
  firstname: string;
  lastname: string;
  gate: string;
  direction: Direction;
  personId: number | null;
  /** A new time (ISO 8601); absent keeps it. */
  occurredAt?: string;
}

/** The live entry `id`, locked until the transaction ends (for a read-modify-write correction). */
export async function findCheckinForUpdate(tx: Queryable, days: AttendanceDays, id: number): Promise<CheckinEntry | undefined> {
  const { rows } = await tx.query<CheckinEntry>(`SELECT ${entryColumns(days)} FROM checkins WHERE id = $1 AND ${LIVE} FOR UPDATE`, [id]);
  return rows[0];
}

/** Overwrites the corrigible fields of a live entry (name_key follows the names), including the linked person and its time. */
export async function updateCheckin(
  db: Queryable,
  days: AttendanceDays,
  id: number,
  values: CheckinCorrection,
): Promise<CheckinEntry | undefined> {
  const { rows } = await db.query<CheckinEntry>(
    `UPDATE checkins SET firstname = $2, lastname = $3, gate = $4, direction = $5, name_key = $6, person_id = $7,
            login = coalesce($8::timestamptz, login)
      WHERE id = $1 AND ${LIVE}
      RETURNING ${entryColumns(days)}`,
    [
      id,
      values.firstname,
      values.lastname,
      values.gate,
      values.direction,
      nameKey(values.firstname, values.lastname),
      values.personId,
      values.occurredAt ?? null,
    ],
  );
  return rows[0];
}

/** Marks a live entry deleted; false when there is none with that id. */
export async function softDeleteCheckin(db: Queryable, id: number): Promise<boolean> {
  const { rowCount } = await db.query(`UPDATE checkins SET deleted_at = now() WHERE id = $1 AND ${LIVE}`, [id]);
  return rowCount === 1;
}

/** Undoes a soft delete; undefined when the entry is unknown or not deleted. */
export async function restoreCheckin(db: Queryable, days: AttendanceDays, id: number): Promise<CheckinEntry | undefined> {
  const { rows } = await db.query<CheckinEntry>(
    `UPDATE checkins SET deleted_at = NULL WHERE id = $1 AND deleted_at IS NOT NULL RETURNING ${entryColumns(days)}`,
    [id],
  );
  return rows[0];
}

/**
 * Whether the live entry `id` was stored by a request whose Idempotency-Key is stored under `keyPrefix`
 * (the caller's part of the stored key, checkin-service.ts), and stored anew: a key answered with an
 * earlier entry (a duplicate) recorded nothing. Keys live for a day; the entry's undo window is shorter.
 */
export async function recordedWithKey(db: Queryable, id: number, keyPrefix: string): Promise<boolean> {
  const { rows } = await db.query<{ recorded: boolean }>(
    `SELECT EXISTS (
       SELECT 1 FROM checkin_idempotency_keys
        WHERE checkin_id = $1 AND NOT duplicate AND starts_with(key, $2)
     ) AS recorded`,
    [id, keyPrefix],
  );
  return rows[0]?.recorded ?? false;
}

/** An entry whether deleted or not (the admin pages show deleted entries so they can be restored). */
export type StoredCheckin = CheckinEntry & { deletedAt: string | null };

export async function findStoredCheckin(db: Queryable, days: AttendanceDays, id: number): Promise<StoredCheckin | undefined> {
  const { rows } = await db.query<StoredCheckin>(
    `SELECT ${entryColumns(days)}, ${days.isoSql('deleted_at')} AS "deletedAt" FROM checkins WHERE id = $1`,
    [id],
  );
  return rows[0];
}

// ---- Lists -----------------------------------------------------------------------------------------

export interface CheckinFilter {
  /** The attendance day. */
  day: DayBounds;
  gate?: string;
  /** Name words folded by person_fold (person-name.ts searchTerms); every one must occur in the folded name. */
  nameTerms?: string[];
  /** Only entries of people who are members of one of these groups (what a leader reads). */
  ofGroups?: readonly number[];
}

/** Escapes LIKE wildcards so a search for "50%" finds exactly that. */
function likeContains(term: string): string {
  return `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * One page of a day's live entries from `position` (keyset pagination), walking up (`asc`: ids after
 * it) or down (`desc`: ids before it); no position starts at the lowest or highest id. The day's index
 * narrows the rows first, so folding each of the day's names for a search (person_fold of "firstname
 * lastname", the same rule as the register's matching) is cheap.
 */
export async function listCheckins(
  db: Queryable,
  days: AttendanceDays,
  filter: CheckinFilter,
  position: KeysetPosition | undefined,
  walk: ListOrder,
  limit: number,
): Promise<CheckinEntry[]> {
  const params: unknown[] = [filter.day.start, filter.day.end, limit];
  const where = [ON_DAY, LIVE];
  if (position !== undefined) {
    params.push('after' in position ? position.after : position.before);
    where.push(`id ${'after' in position ? '>' : '<'} $${params.length}`);
  }
  if (filter.gate !== undefined) {
    params.push(filter.gate);
    where.push(`gate = $${params.length}`);
  }
  if (filter.nameTerms && filter.nameTerms.length > 0) {
    params.push(filter.nameTerms.map(likeContains));
    where.push(`person_fold(firstname || ' ' || lastname) LIKE ALL ($${params.length}::text[])`);
  }
  if (filter.ofGroups !== undefined) {
    params.push(filter.ofGroups);
    where.push(`person_id IN (SELECT person_id FROM group_members WHERE group_id = ANY ($${params.length}::bigint[]))`);
  }
  const { rows } = await db.query<CheckinEntry>(
    `SELECT ${entryColumns(days, filter.day)} FROM checkins WHERE ${where.join(' AND ')} ORDER BY id ${walk === 'desc' ? 'DESC' : 'ASC'} LIMIT $3`,
    params,
  );
  return rows;
}

/** The gates a day's sheet can filter by: those of the day's live entries and the managed list, sorted. */
export async function gatesOfDay(db: Queryable, day: DayBounds): Promise<string[]> {
  const { rows } = await db.query<{ gate: string }>(
    `SELECT gate FROM checkins WHERE ${ON_DAY} AND ${LIVE} AND gate <> ''
     UNION SELECT name FROM gates
     ORDER BY 1`,
    [day.start, day.end],
  );
  return rows.map((row) => row.gate);
}

export interface ExportRange {
  /** First and last attendance day, inclusive (DAY_STARTS_AT in APP_TIMEZONE: see domain/attendance-day.ts). */
  from: string;
  to: string;
  gate?: string;
}

/** Where an export chunk ends: the (login, id) of its last row (login in UTC, exact to the microsecond). */
export interface ExportPosition {
  occurredAt: string;
  id: number;
}

/** One chunk of an export: its CSV lines, ready to send, and where it ended. */
export interface ExportChunk {
  /** RFC 4180 lines (CRLF), one per entry, in (login, id) order. */
  csv: string;
  rows: number;
  last: ExportPosition;
}

/** The CSV columns of a check-in, in the order checkinCsvFields renders them. */
export const CHECKIN_CSV_COLUMNS = 'id,occurred_at,recorded_at,firstname,lastname,gate,direction';

/**
 * SQL rendering the CSV fields of one row of checkins (without the line end): times in APP_TIMEZONE
 * whatever the session's time zone, text by the one guard of domain/csv.ts. Given the attendance days the
 * rows' logins lie in, their few UTC offsets are written into the SQL (an export writes millions of rows);
 * without them each time's offset is looked up.
 */
export function checkinCsvFields(days: AttendanceDays, within?: { from: string; to: string }): string {
  if (!within) {
    return `concat_ws(',', id, ${days.isoSql('login')}, ${days.isoSql('recorded_at')},
  ${csvFieldSql('firstname')}, ${csvFieldSql('lastname')}, ${csvFieldSql('gate')}, direction)`;
  }
  // recorded_at is mostly at or a little after login: within the days and the day after them.
  const recorded = days.isoSqlMostlyWithin('recorded_at', days.span(within.from, addDays(within.to, 1)));
  return `concat_ws(',', id, ${days.isoSql('login', days.span(within.from, within.to))}, ${recorded},
  ${csvFieldSql('firstname')}, ${csvFieldSql('lastname')}, ${csvFieldSql('gate')}, direction)`;
}

/** What every chunk of one export asks: its instants and its fields' SQL, worked out once per export. */
export interface ExportQuery {
  span: DayBounds;
  fields: string;
  gate?: string;
}

/**
 * The query of an export of attendance days `range.from` to `range.to`: from the start of the first to
 * the end of the last (DAY_STARTS_AT in APP_TIMEZONE), given to SQL as instants.
 */
export function exportQuery(days: AttendanceDays, range: ExportRange): ExportQuery {
  return { span: days.span(range.from, range.to), fields: checkinCsvFields(days, range), gate: range.gate };
}

/**
 * One chunk of an export in (login, id) order after `after`, as CSV text built by PostgreSQL: one string
 * per chunk instead of an object per row keeps the export fast and its memory flat. Walking the
 * (login, id) index keeps every chunk a short index range scan however large the export.
 */
export async function exportChunk(
  db: Queryable,
  query: ExportQuery,
  after: ExportPosition | undefined,
  limit: number,
): Promise<ExportChunk | undefined> {
  const { span } = query;
  const params: unknown[] = [span.start, span.end, limit];
  const where = ['login >= $1::timestamptz', 'login < $2::timestamptz', LIVE];
  if (after) {
    params.push(after.occurredAt, after.id);
    where.push(`(login, id) > ($${params.length - 1}::timestamptz, $${params.length}::bigint)`);
  }
  if (query.gate !== undefined) {
    params.push(query.gate);
    where.push(`gate = $${params.length}`);
  }
  const { rows } = await db.query<{ csv: string | null; rows: number; lastAt: string | null; lastId: number | null }>(
    `WITH chunk AS MATERIALIZED (
       SELECT id, login, recorded_at, firstname, lastname, gate, direction
         FROM checkins WHERE ${where.join(' AND ')} ORDER BY login, id LIMIT $3
     ), last AS (
       SELECT (to_json(login AT TIME ZONE 'UTC') #>> '{}') || 'Z' AS at, id FROM chunk ORDER BY login DESC, id DESC LIMIT 1
     )
     SELECT string_agg(${query.fields} || E'\\r\\n', '' ORDER BY login, id) AS csv,
            count(*)::int AS rows,
            (SELECT at FROM last) AS "lastAt",
            (SELECT id FROM last) AS "lastId"
       FROM chunk`,
    params,
  );
  const chunk = rows[0];
  if (!chunk || chunk.rows === 0 || chunk.csv === null || chunk.lastAt === null || chunk.lastId === null) return undefined;
  return { csv: chunk.csv, rows: chunk.rows, last: { occurredAt: chunk.lastAt, id: Number(chunk.lastId) } };
}

// ---- Day summary -----------------------------------------------------------------------------------

export interface DaySummaryRow {
  total: number;
  checkIns: number;
  checkOuts: number;
  people: number;
  inside: number;
  perGate: { gate: string; total: number; checkIns: number; checkOuts: number }[];
  perHour: { start: string; localTime: string; total: number; checkIns: number; checkOuts: number }[];
}

/**
 * Totals of one attendance day, of one gate when `gate` is given. Hours are counted from the day's start
 * in absolute hours, so a day with a DST change has 23 or 25 of them, each labelled with its own UTC offset.
 * A person is inside when they have more check-ins than check-outs up to now, at any gate (people leave
 * by another door than they came in), so nobody counts twice and the count is never negative.
 */
export async function daySummary(db: Queryable, days: AttendanceDays, day: DayBounds, gate?: string): Promise<DaySummaryRow> {
  const { rows } = await db.query<{ summary: string }>(
    `WITH bounds AS (
       SELECT $1::timestamptz AS day_start, $2::timestamptz AS day_end
     ), venue AS (
       SELECT c.login, c.gate, c.direction, c.name_key,
              floor(extract(epoch FROM c.login - b.day_start) / 3600)::int AS hour_index
         FROM checkins c, bounds b
        WHERE c.login >= b.day_start AND c.login < b.day_end AND c.deleted_at IS NULL
     ), day AS (
       SELECT * FROM venue WHERE $3::text IS NULL OR gate = $3::text
     ), hours AS (
       SELECT i AS hour_index, b.day_start + make_interval(hours => i) AS start
         FROM bounds b, generate_series(0, (extract(epoch FROM b.day_end - b.day_start) / 3600)::int - 1) AS i
     )
     SELECT json_build_object(
       'total', (SELECT count(*) FROM day),
       'checkIns', (SELECT count(*) FROM day WHERE direction = 'in'),
       'checkOuts', (SELECT count(*) FROM day WHERE direction = 'out'),
       'people', (SELECT count(DISTINCT name_key) FROM day),
       'inside', (SELECT count(*) FROM (
                    SELECT name_key FROM venue WHERE login <= now() GROUP BY name_key
                    HAVING count(*) FILTER (WHERE direction = 'in') > count(*) FILTER (WHERE direction = 'out')) p),
       'perGate', (SELECT coalesce(json_agg(json_build_object(
                     'gate', gate, 'total', total, 'checkIns', ins, 'checkOuts', outs) ORDER BY gate), '[]')
                     FROM (SELECT gate, count(*) AS total, count(*) FILTER (WHERE direction = 'in') AS ins,
                                  count(*) FILTER (WHERE direction = 'out') AS outs
                             FROM day GROUP BY gate) g),
       'perHour', (SELECT json_agg(json_build_object(
                     'start', ${days.isoSql('start', day)}, 'localTime', ${days.localTimeSql('start')},
                     'total', total, 'checkIns', ins, 'checkOuts', outs) ORDER BY hour_index)
                     FROM (SELECT h.hour_index, h.start, count(d.login) AS total,
                                  count(d.login) FILTER (WHERE d.direction = 'in') AS ins,
                                  count(d.login) FILTER (WHERE d.direction = 'out') AS outs
                             FROM hours h LEFT JOIN day d ON d.hour_index = h.hour_index
                            GROUP BY h.hour_index, h.start) x)
     )::text AS summary`,
    [day.start, day.end, gate ?? null],
  );
  return JSON.parse(rows[0]!.summary) as DaySummaryRow;
}

/**
 * Whether the person of a check-out arrived earlier on its attendance day: a live check-in with the same
 * name key, at any gate, from the start of that day up to the check-out.
 */
export async function arrivedBefore(db: Queryable, days: AttendanceDays, checkout: CheckinEntry): Promise<boolean> {
  const { rows } = await db.query<{ arrived: boolean }>(
    `SELECT EXISTS (
       SELECT 1 FROM checkins
        WHERE name_key = $1 AND direction = 'in' AND ${LIVE} AND id <> $3
          AND login >= $4::timestamptz AND login <= $2::timestamptz
     ) AS arrived`,
    [nameKey(checkout.firstname, checkout.lastname), checkout.occurredAt, checkout.id, days.bounds(days.dayOf(checkout.occurredAt)).start],
  );
  return rows[0]?.arrived ?? false;
}
