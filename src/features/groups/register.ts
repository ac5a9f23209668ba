// The attendance register of a group: for each scheduled day in a range, each member's status
// (present, late, absent, excused, upcoming, not-member) with first arrival and last departure, whether
// only a departure was recorded, and who marked the cell by hand; per-member totals and attendance rate,
// per-day totals. Built by one SQL statement, JSON included, so 1,000 members × 31 days is one round trip
// and no per-cell work in JavaScript. This is the one place statuses are computed: the group's register,
// the sheet's "not arrived yet" and a person's attendance (one member, $4) all read it.
//
// A cell's status, first rule that applies:
//   not-member  the day is outside the membership (before `since`, after `until`): never counted;
//   excused     an excuse (table excuses, which the previous release shares);
//   present/late/absent as marked by hand (register_marks);
//   present/late from the first check-in: late when it is after startTime + graceMinutes, compared in
//               whole seconds (09:10:00.7 is 09:10:00, on time; 09:10:01 is late);
//   upcoming    a later day, or today until startTime + graceMinutes has passed (all of today for a
//               group without a start time);
//   absent      nobody arrived: also a day with only a check-out (checkoutOnly), unless marked.
//
// Which check-ins count for a member: those carrying the member's person_id, and free-name check-ins
// (no person_id) whose folded name (person_fold, migration 0060) is the folded name of exactly one
// member of this group; a name two members share counts for neither. Days are calendar days in the
// session time zone (APP_TIMEZONE): login::date is the local day, and date + time → timestamptz is the
// local start time of that day, so DST days are right.
import type { Queryable } from '../../db/database.js';
import { csvFileName, csvHeader, csvLine, type CsvFileName, type CsvOptions } from '../../domain/csv.js';

export const REGISTER_SQL = `
WITH g AS (
  SELECT id, name, starts_on, ends_on, weekdays, dates, start_time, grace_minutes FROM groups WHERE id = $1
), days AS MATERIALIZED (
  SELECT d::date AS day,
         (d::date + g.start_time)::timestamptz AS starts_at,
         (d::date + g.start_time)::timestamptz + make_interval(mins => g.grace_minutes) AS late_after
    FROM g, generate_series($2::date::timestamp, $3::date::timestamp, interval '1 day') AS d
   WHERE d::date = ANY (g.dates)
      OR (d::date BETWEEN g.starts_on AND g.ends_on AND extract(isodow FROM d)::smallint = ANY (g.weekdays))
), everyone AS MATERIALIZED (
  SELECT p.id, p.firstname, p.lastname, p.external_ref, p.match_key, m.since, m.until
    FROM group_members m JOIN people p ON p.id = m.person_id
   WHERE m.group_id = $1
), members AS MATERIALIZED (
  -- The whole register lists the members of the range; one person's ($4) is listed whatever the range.
  SELECT * FROM everyone
   WHERE CASE WHEN $4::bigint IS NULL THEN (since IS NULL OR since <= $3::date) AND (until IS NULL OR until >= $2::date)
              ELSE id = $4::bigint END
), by_name AS MATERIALIZED (
  -- Unique among every member of the group, whoever the register is read for.
  SELECT match_key, min(id) AS person_id FROM everyone GROUP BY match_key HAVING count(*) = 1
), span AS (
  SELECT min(day)::timestamptz AS lo, (max(day) + 1)::timestamptz AS hi FROM days
), hits AS MATERIALIZED (
  -- Per member, an index probe: check-ins carrying the member's person id (checkins_person_id_idx),
  -- and free-name check-ins with the member's folded name (checkins_live_free_name_idx), so no check-in
  -- is folded here and other people's check-ins are never read. OFFSET 0 keeps each probe a
  -- parameterised index scan instead of a scan of every check-in in the range.
  SELECT m.id AS person_id, c.login::date AS day, c.login, c.direction
    FROM span, members m
   CROSS JOIN LATERAL (SELECT login, direction FROM checkins
                        WHERE person_id = m.id AND login >= span.lo AND login < span.hi AND deleted_at IS NULL OFFSET 0) c
  UNION ALL
  SELECT n.person_id, c.login::date AS day, c.login, c.direction
    FROM span, by_name n
   CROSS JOIN LATERAL (SELECT login, direction FROM checkins
                        WHERE person_fold(firstname || ' ' || lastname) = n.match_key AND person_id IS NULL AND deleted_at IS NULL
                          AND login >= span.lo AND login < span.hi OFFSET 0) c
   WHERE n.person_id IN (SELECT id FROM members)
), per_day AS (
  SELECT person_id, day,
         min(login) FILTER (WHERE direction = 'in') AS first_in,
         max(login) FILTER (WHERE direction = 'out') AS last_out
    FROM hits GROUP BY person_id, day
), cells AS MATERIALIZED (
  SELECT m.id AS person_id, d.day, pd.first_in, pd.last_out, e.reason,
         (pd.last_out IS NOT NULL AND pd.first_in IS NULL) AS checkout_only,
         CASE WHEN e.reason IS NOT NULL THEN json_build_object('by', e.excused_by, 'at', e.excused_at, 'reason', e.reason)
              WHEN k.status IS NOT NULL THEN json_build_object('by', k.marked_by, 'at', k.marked_at, 'reason', k.reason) END AS marked,
         CASE WHEN d.day < m.since OR d.day > m.until THEN 'not-member'
              WHEN e.reason IS NOT NULL THEN 'excused'
              WHEN k.status IS NOT NULL THEN k.status
              WHEN pd.first_in IS NOT NULL THEN
                CASE WHEN date_trunc('second', pd.first_in) > d.late_after THEN 'late' ELSE 'present' END
              WHEN d.day > current_date OR (d.day = current_date AND (d.late_after IS NULL OR now() <= d.late_after)) THEN 'upcoming'
              ELSE 'absent' END AS status
    FROM members m CROSS JOIN days d
    LEFT JOIN per_day pd ON pd.person_id = m.id AND pd.day = d.day
    LEFT JOIN excuses e ON e.group_id = $1 AND e.person_id = m.id AND e.day = d.day
    LEFT JOIN register_marks k ON k.group_id = $1 AND k.person_id = m.id AND k.day = d.day
), day_rows AS (
  SELECT d.day, json_build_object(
           'date', d.day, 'startsAt', d.starts_at, 'lateAfter', d.late_after,
           'totals', json_build_object(
             'present', count(c.status) FILTER (WHERE c.status = 'present'),
             'late', count(c.status) FILTER (WHERE c.status = 'late'),
             'absent', count(c.status) FILTER (WHERE c.status = 'absent'),
             'excused', count(c.status) FILTER (WHERE c.status = 'excused'),
             'upcoming', count(c.status) FILTER (WHERE c.status = 'upcoming'))) AS item
    FROM days d LEFT JOIN cells c ON c.day = d.day
   GROUP BY d.day, d.starts_at, d.late_after
), member_rows AS (
  SELECT m.lastname, m.firstname, m.id, json_build_object(
           'person', json_build_object('id', m.id, 'firstname', m.firstname, 'lastname', m.lastname, 'externalRef', m.external_ref),
           'membership', json_build_object('since', m.since, 'until', m.until),
           'attendance', coalesce(json_agg(json_build_object(
                           'date', c.day, 'status', c.status, 'firstIn', c.first_in, 'lastOut', c.last_out, 'excuse', c.reason,
                           'checkoutOnly', c.checkout_only, 'marked', c.marked)
                           ORDER BY c.day) FILTER (WHERE c.day IS NOT NULL), '[]'),
           'totals', json_build_object(
             'present', count(c.status) FILTER (WHERE c.status = 'present'),
             'late', count(c.status) FILTER (WHERE c.status = 'late'),
             'absent', count(c.status) FILTER (WHERE c.status = 'absent'),
             'excused', count(c.status) FILTER (WHERE c.status = 'excused'),
             'upcoming', count(c.status) FILTER (WHERE c.status = 'upcoming')),
           'rate', CASE WHEN count(c.status) FILTER (WHERE c.status IN ('present', 'late', 'absent')) = 0 THEN NULL
                        ELSE round(count(c.status) FILTER (WHERE c.status IN ('present', 'late'))::numeric
                                   / count(c.status) FILTER (WHERE c.status IN ('present', 'late', 'absent')), 4) END) AS item
    FROM members m LEFT JOIN cells c ON c.person_id = m.id
   GROUP BY m.id, m.lastname, m.firstname, m.external_ref, m.since, m.until
)
SELECT json_build_object(
         'group', json_build_object('id', g.id, 'name', g.name),
         'from', $2::date, 'to', $3::date, 'timezone', current_setting('TimeZone'),
         'days', (SELECT coalesce(json_agg(item ORDER BY day), '[]') FROM day_rows),
         'members', (SELECT coalesce(json_agg(item ORDER BY lastname, firstname, id), '[]') FROM member_rows))::text AS register
  FROM g`;

export type AttendanceStatus = 'present' | 'late' | 'absent' | 'excused' | 'upcoming' | 'not-member';
/** What a hand can set a cell to. */
export type MarkStatus = 'present' | 'late' | 'absent' | 'excused';
export const MARK_STATUSES: readonly MarkStatus[] = ['present', 'late', 'absent', 'excused'];

/** Who set a cell by hand, when and why (an excuse is one too). */
export interface CellMark {
  by: string;
  at: string;
  reason: string | null;
}

export interface RegisterCell {
  date: string;
  status: AttendanceStatus;
  firstIn: string | null;
  lastOut: string | null;
  /** The reason, when excused. */
  excuse: string | null;
  /** A check-out but no check-in on the day: never present or late by itself. */
  checkoutOnly: boolean;
  marked: CellMark | null;
}

export interface StatusTotals {
  present: number;
  late: number;
  absent: number;
  excused: number;
  upcoming: number;
}

export interface Register {
  group: { id: number; name: string };
  from: string;
  to: string;
  timezone: string;
  days: { date: string; startsAt: string | null; lateAfter: string | null; totals: StatusTotals }[];
  members: {
    person: { id: number; firstname: string; lastname: string; externalRef: string | null };
    membership: { since: string | null; until: string | null };
    attendance: RegisterCell[];
    totals: StatusTotals;
    rate: number | null;
  }[];
}

/**
 * The register as JSON text, ready to send; undefined when the group does not exist. With `personId`,
 * only that member's row (whatever the range), matched to check-ins exactly as in the whole register.
 */
export async function registerJson(
  db: Queryable,
  groupId: number,
  from: string,
  to: string,
  personId?: number,
): Promise<string | undefined> {
  const { rows } = await db.query<{ register: string }>(REGISTER_SQL, [groupId, from, to, personId ?? null]);
  return rows[0]?.register;
}

// ---- CSV -------------------------------------------------------------------------------------------

/**
 * One row per member, one column per scheduled day (its status), then the member's totals and rate, in
 * the one CSV format of every export (domain/csv.ts: formula guard, quoting, byte-order mark).
 */
export function registerCsv(register: Register, options: CsvOptions = {}): string {
  const header = [
    'lastname',
    'firstname',
    'externalRef',
    ...register.days.map((d) => d.date),
    'present',
    'late',
    'absent',
    'excused',
    'rate',
  ];
  const lines = [csvHeader(header, options)];
  for (const member of register.members) {
    const { person, totals } = member;
    lines.push(
      csvLine([
        person.lastname,
        person.firstname,
        person.externalRef,
        ...member.attendance.map((cell) => cell.status),
        totals.present,
        totals.late,
        totals.absent,
        totals.excused,
        member.rate === null ? '' : member.rate.toFixed(4),
      ]),
    );
  }
  return lines.join('');
}

/** The register's file name: barona-register-{group id}-{from}_to_{to}.csv. */
export function registerFileName(register: Pick<Register, 'group' | 'from' | 'to'>): CsvFileName {
  return csvFileName(`barona-register-${register.group.id}-${register.from}_to_${register.to}`);
}

// ---- Who has not arrived yet -------------------------------------------------------------------------

/** One day of a group's register, as the attendance sheet's "not arrived yet" list shows it. */
export interface DayArrivals {
  group: { id: number; name: string };
  /** False when the group is not expected on the day (nothing else is then known). */
  scheduled: boolean;
  /** When the group starts on the day (ISO 8601 with offset), or null without a start time. */
  startsAt: string | null;
  members: number;
  /** Present or late. */
  arrived: number;
  excused: number;
  /** Members with no check-in on the day and no excuse, by last and first name. */
  waiting: { id: number; firstname: string; lastname: string; externalRef: string | null }[];
}

/**
 * Who of a group has not arrived on `day`: the register of that one day (the same matching of check-ins
 * to members, the same excuses), read as a list. Undefined when the group does not exist.
 */
export async function dayArrivals(db: Queryable, groupId: number, day: string): Promise<DayArrivals | undefined> {
  const json = await registerJson(db, groupId, day, day);
  if (json === undefined) return undefined;
  const register = JSON.parse(json) as Register;
  const scheduled = register.days[0];
  const cells = register.members.map((member) => ({ person: member.person, status: member.attendance[0]?.status }));
  const count = (...statuses: AttendanceStatus[]) => cells.filter((cell) => cell.status && statuses.includes(cell.status)).length;
  return {
    group: register.group,
    scheduled: scheduled !== undefined,
    startsAt: scheduled?.startsAt ?? null,
    members: register.members.length,
    arrived: count('present', 'late'),
    excused: count('excused'),
    waiting: cells.filter((cell) => cell.status === 'absent' || cell.status === 'upcoming').map((cell) => cell.person),
  };
}
