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
// member of this group; a name two members share counts for neither.
//
// Days are attendance days (domain/attendance-day.ts, DAY_STARTS_AT in APP_TIMEZONE): a check-in belongs
// to the register day whose [start, end) holds it, so with DAY_STARTS_AT=04:00 a check-in at 02:00 counts
// for the day before. "Today" is the attendance day containing now. A group's start time on day D is
// AttendanceDays.timeOn(D, startTime): D's date at startTime in APP_TIMEZONE (DST-correct), or the next
// date's for a start time earlier than DAY_STARTS_AT (02:00 with 04:00 is the night at the end of D).
// Which days are scheduled, their bounds and start instants are computed here in TypeScript and given to
// the statement as arrays (one row per scheduled day); a check-in finds its day by width_bucket over the
// sorted day starts (a binary search, no per-row clock arithmetic), and times are written in APP_TIMEZONE
// by the attendance-day SQL helpers: nothing depends on the session time zone.
import type { Database, Queryable } from '../../db/database.js';
import { addDays, isoInZone, type AttendanceDays } from '../../domain/attendance-day.js';
import { csvFileName, csvHeader, csvLine, type CsvFileName, type CsvOptions } from '../../domain/csv.js';
import { findGroup, type Schedule } from './group-repository.js';
import { isScheduled } from './group-service.js';

/** The scheduled days of a range as the statement takes them: parallel arrays, in day order. */
export interface RegisterDays {
  day: string[];
  /** First instant of each day (ISO 8601, UTC), ascending: what a check-in's day is looked up in. */
  start: string[];
  end: string[];
  /** startTime on the day (null without one), and startTime + graceMinutes. */
  startsAt: (string | null)[];
  lateAfter: (string | null)[];
  /** The same two, written in APP_TIMEZONE as the register shows them. */
  startsAtText: (string | null)[];
  lateAfterText: (string | null)[];
}

/** The scheduled days from `from` to `to`, with their bounds and start instants (see the module comment). */
export function registerDays(days: AttendanceDays, schedule: Schedule, from: string, to: string): RegisterDays {
  const out: RegisterDays = { day: [], start: [], end: [], startsAt: [], lateAfter: [], startsAtText: [], lateAfterText: [] };
  for (let day = from; day <= to; day = addDays(day, 1)) {
    if (!isScheduled(schedule, day)) continue;
    const bounds = days.bounds(day);
    const startsAt = schedule.startTime === null ? null : days.timeOn(day, schedule.startTime);
    const lateAfter = startsAt === null ? null : new Date(Date.parse(startsAt) + schedule.graceMinutes * 60_000).toISOString();
    out.day.push(day);
    out.start.push(bounds.start);
    out.end.push(bounds.end);
    out.startsAt.push(startsAt);
    out.lateAfter.push(lateAfter);
    out.startsAtText.push(startsAt && isoInZone(startsAt, days.timezone));
    out.lateAfterText.push(lateAfter && isoInZone(lateAfter, days.timezone));
  }
  return out;
}

/** The counts of a set of cells by status (the totals of a day and of a member). */
const STATUS_COUNTS = (['present', 'late', 'absent', 'excused', 'upcoming'] as const)
  .map((status) => `count(*) FILTER (WHERE status = '${status}') AS ${status}`)
  .join(', ');

/**
 * The statement, for one part of the listed members (parts are consecutive runs of them in register
 * order, so the parts' member lists joined in part order are the whole list); `days` writes the check-in
 * times (their offsets within the range's bounds `span`) and the times of marks. Parameters: $1 group,
 * $2–$6 the RegisterDays arrays (day, start, end, startsAt, lateAfter), $7 from, $8 to, $9 one person or
 * null, $10 the part (1-based), $11 the number of parts. Answers one row: `members`, the part's member
 * objects as JSON text joined by commas, and `day_counts`, per day the part's counts of present, late,
 * absent, excused and upcoming.
 */
export function registerSql(days: AttendanceDays, span: { day: string; start: string; end: string }): string {
  return `
WITH days AS MATERIALIZED (
  SELECT d.ord::int AS ord, d.day, to_json(d.day)::text AS day_json, d.day_start, d.day_end, d.starts_at, d.late_after,
         -- Late from the second after the boundary: the arrival is compared in whole seconds (startTime and
         -- graceMinutes are whole minutes, so the boundary is a whole second).
         d.late_after + interval '1 second' AS late_from
    FROM unnest($2::date[], $3::timestamptz[], $4::timestamptz[], $5::timestamptz[], $6::timestamptz[])
         WITH ORDINALITY AS d(day, day_start, day_end, starts_at, late_after, ord)
), everyone AS MATERIALIZED (
  -- listed: the whole register lists the members of the range; one person's ($9) is listed whatever the
  -- range. part: which run of the listed members, in register order, this member is in.
  SELECT e.*, CASE WHEN e.listed THEN ntile($11::int) OVER (PARTITION BY e.listed ORDER BY e.lastname, e.firstname, e.id) END AS part
    FROM (SELECT p.id, p.firstname, p.lastname, p.external_ref, p.match_key, m.since, m.until,
                 CASE WHEN $9::bigint IS NULL THEN (m.since IS NULL OR m.since <= $8::date) AND (m.until IS NULL OR m.until >= $7::date)
                      ELSE p.id = $9::bigint END AS listed
            FROM group_members m JOIN people p ON p.id = m.person_id
           WHERE m.group_id = $1) e
), members AS MATERIALIZED (
  SELECT id, firstname, lastname, external_ref, since, until FROM everyone WHERE listed AND part = $10::int
), by_name AS MATERIALIZED (
  -- A folded name unique among every member of the group, whoever the register is read for; kept when
  -- that member is in this part.
  SELECT match_key, min(id) AS person_id FROM everyone GROUP BY match_key HAVING count(*) = 1 AND bool_or(listed AND part = $10::int)
), span AS (
  SELECT min(day_start) AS lo, max(day_end) AS hi FROM days
), hits AS (
  -- Per member, an index probe: check-ins carrying the member's person id (checkins_person_id_idx),
  -- and free-name check-ins with the member's folded name (checkins_live_free_name_idx), so no check-in
  -- is folded here and other people's check-ins are never read. OFFSET 0 keeps each probe a
  -- parameterised index scan instead of a scan of every check-in in the range.
  SELECT m.id AS person_id, c.login, c.direction
    FROM span, members m
   CROSS JOIN LATERAL (SELECT login, direction FROM checkins
                        WHERE person_id = m.id AND login >= span.lo AND login < span.hi AND deleted_at IS NULL OFFSET 0) c
  UNION ALL
  SELECT n.person_id, c.login, c.direction
    FROM span, by_name n
   CROSS JOIN LATERAL (SELECT login, direction FROM checkins
                        WHERE person_fold(firstname || ' ' || lastname) = n.match_key AND person_id IS NULL AND deleted_at IS NULL
                          AND login >= span.lo AND login < span.hi OFFSET 0) c
), per_day AS (
  -- A check-in's day: the last scheduled day starting at or before it (width_bucket: a binary search in
  -- the sorted starts), if it has not ended yet (check-ins between scheduled days count for none).
  SELECT person_id, ord,
         min(login) FILTER (WHERE direction = 'in') AS first_in,
         max(login) FILTER (WHERE direction = 'out') AS last_out
    FROM (SELECT h.person_id, h.login, h.direction, width_bucket(h.login, $3::timestamptz[]) AS ord FROM hits h) b
   WHERE ord > 0 AND login < ($4::timestamptz[])[ord]
   GROUP BY person_id, ord
), statuses AS (
  SELECT m.id AS person_id, d.ord, d.day, d.day_json, pd.first_in, pd.last_out, e.reason,
         (pd.last_out IS NOT NULL AND pd.first_in IS NULL) AS checkout_only,
         CASE WHEN e.reason IS NOT NULL THEN json_build_object('by', e.excused_by, 'at', ${days.isoSql('e.excused_at')}, 'reason', e.reason)
              WHEN k.status IS NOT NULL THEN json_build_object('by', k.marked_by, 'at', ${days.isoSql('k.marked_at')}, 'reason', k.reason) END AS marked,
         CASE WHEN d.day < m.since OR d.day > m.until THEN 'not-member'
              WHEN e.reason IS NOT NULL THEN 'excused'
              WHEN k.status IS NOT NULL THEN k.status
              WHEN pd.first_in IS NOT NULL THEN CASE WHEN pd.first_in >= d.late_from THEN 'late' ELSE 'present' END
              -- A later day, or today until startTime + graceMinutes has passed (the whole day without one).
              WHEN CASE WHEN d.late_after IS NULL THEN now() < d.day_end ELSE now() <= d.late_after END THEN 'upcoming'
              ELSE 'absent' END AS status
    FROM members m CROSS JOIN days d
    LEFT JOIN per_day pd ON pd.person_id = m.id AND pd.ord = d.ord
    LEFT JOIN excuses e ON e.group_id = $1 AND e.person_id = m.id AND e.day = d.day
    LEFT JOIN register_marks k ON k.group_id = $1 AND k.person_id = m.id AND k.day = d.day
), cells AS MATERIALIZED (
  -- Each cell written as JSON text here (json_build_object per cell would cost more than the rest of
  -- the statement): dates, statuses and times are text PostgreSQL wrote, user text goes through to_json.
  SELECT person_id, ord, status,
         '{"date":' || day_json || ',"status":"' || status || '","firstIn":' || ${days.isoJsonSql('first_in', span)}
           || ',"lastOut":' || ${days.isoJsonSql('last_out', span)} || ',"excuse":' || coalesce(to_json(reason)::text, 'null')
           || ',"checkoutOnly":' || checkout_only::text || ',"marked":' || coalesce(marked::text, 'null') || '}' AS cell
    FROM statuses
), day_counts AS (
  SELECT ord,
         ${STATUS_COUNTS}
    FROM cells GROUP BY ord
), member_cells AS (
  -- Per member, over the narrow cells alone (grouped by person id, not by every column of a member).
  SELECT person_id, string_agg(cell, ',' ORDER BY ord) AS attendance,
         ${STATUS_COUNTS}
    FROM cells GROUP BY person_id
), member_rows AS (
  SELECT m.lastname, m.firstname, m.id, '{"person":'
           || json_build_object('id', m.id, 'firstname', m.firstname, 'lastname', m.lastname, 'externalRef', m.external_ref)::text
           || ',"membership":' || json_build_object('since', m.since, 'until', m.until)::text
           || ',"attendance":[' || coalesce(mc.attendance, '') || ']'
           || ',"totals":{"present":' || coalesce(mc.present, 0) || ',"late":' || coalesce(mc.late, 0)
           || ',"absent":' || coalesce(mc.absent, 0) || ',"excused":' || coalesce(mc.excused, 0)
           || ',"upcoming":' || coalesce(mc.upcoming, 0) || '},"rate":'
           || CASE WHEN coalesce(mc.present + mc.late + mc.absent, 0) = 0 THEN 'null'
                   ELSE round((mc.present + mc.late)::numeric / (mc.present + mc.late + mc.absent), 4)::text END
           || '}' AS item
    FROM members m LEFT JOIN member_cells mc ON mc.person_id = m.id
)
SELECT (SELECT coalesce(string_agg(item, ',' ORDER BY lastname, firstname, id), '') FROM member_rows) AS members,
       (SELECT coalesce(json_agg(json_build_array(coalesce(c.present, 0), coalesce(c.late, 0), coalesce(c.absent, 0),
                                                  coalesce(c.excused, 0), coalesce(c.upcoming, 0)) ORDER BY d.ord), '[]')
          FROM days d LEFT JOIN day_counts c ON c.ord = d.ord)::text AS day_counts`;
}

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

/** Registers of more cells than this are computed in two parts at once, on two connections. */
const CELLS_PER_PART = 4_000;

/**
 * In how many parts a register of `cells` cells is computed: two for a large one on a pool of PostgreSQL
 * connections (they run at once), one otherwise (a transaction or the embedded database has one
 * connection, on which parts would only run in turn).
 */
export function registerParts(db: Queryable, cells: number): 1 | 2 {
  return cells > CELLS_PER_PART && (db as Partial<Database>).kind === 'postgres' ? 2 : 1;
}

/**
 * The register as JSON text, ready to send; undefined when the group does not exist. With `personId`,
 * only that member's row (whatever the range), matched to check-ins exactly as in the whole register.
 * The group's schedule is read first (its days are computed here); then the statement runs, for a large
 * register as two halves of the member list on two pool connections at once (each half is most of the
 * work: matching check-ins and writing cells), and the halves' member lists and day counts are joined
 * here. On a single connection (a transaction, the embedded database) the halves simply run in turn.
 */
export async function registerJson(
  db: Queryable,
  days: AttendanceDays,
  groupId: number,
  from: string,
  to: string,
  personId?: number,
): Promise<string | undefined> {
  const group = await findGroup(db, days.timezone, groupId);
  if (!group) return undefined;
  const scheduled = registerDays(days, group.schedule, from, to);
  const parts = personId === undefined ? registerParts(db, scheduled.day.length * group.memberCount) : 1;
  const sql = registerSql(days, days.span(from, to));
  const results = await Promise.all(
    Array.from({ length: parts }, (_, index) =>
      db.query<{ members: string; day_counts: string }>(sql, [
        groupId,
        scheduled.day,
        scheduled.start,
        scheduled.end,
        scheduled.startsAt,
        scheduled.lateAfter,
        from,
        to,
        personId ?? null,
        index + 1,
        parts,
      ]),
    ),
  );
  const counts = results.map(({ rows }) => JSON.parse(rows[0]!.day_counts) as number[][]);
  const dayRows = scheduled.day.map((date, d) => {
    const [present, late, absent, excused, upcoming] = [0, 1, 2, 3, 4].map((k) =>
      counts.reduce((sum, part) => sum + (part[d]?.[k] ?? 0), 0),
    );
    return {
      date,
      startsAt: scheduled.startsAtText[d] ?? null,
      lateAfter: scheduled.lateAfterText[d] ?? null,
      totals: { present, late, absent, excused, upcoming },
    };
  });
  const members = results
    .map(({ rows }) => rows[0]!.members)
    .filter((text) => text !== '')
    .join(',');
  return `{"group":${JSON.stringify({ id: groupId, name: group.name })},"from":${JSON.stringify(from)},"to":${JSON.stringify(to)},"timezone":${JSON.stringify(days.timezone)},"days":${JSON.stringify(dayRows)},"members":[${members}]}`;
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
export async function dayArrivals(db: Queryable, days: AttendanceDays, groupId: number, day: string): Promise<DayArrivals | undefined> {
  const json = await registerJson(db, days, groupId, day, day);
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
