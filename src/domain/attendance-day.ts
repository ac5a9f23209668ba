// Attendance days: the one definition of "a day" for the sheet, the day summary and its API, occupancy and
// the big screen. An attendance day D begins at the first instant at which the clock in APP_TIMEZONE
// shows D at DAY_STARTS_AT (HH:MM) or later, and ends where D + 1 begins; with the default 00:00 it is the
// calendar day (the seed's /table API keeps calendar days: AttendanceDays.calendar). So with 04:00 a
// check-in at 02:00 belongs to the day before, and a day is [start, end): contiguous, DST-correct (23 or
// 25 hours around a change; a start inside a skipped hour is the first instant after it; a start inside
// a repeated hour is its first occurrence).
//
// The bounds are computed here, in TypeScript, and handed to SQL as timestamptz values (`login >= $1 AND
// login < $2`), and times are written in APP_TIMEZONE by SQL fragments built here (isoSql): no query
// depends on the PostgreSQL session time zone, so a pooler that drops session settings cannot shift a day.
import { isCalendarDate } from './calendar.js';

/** An attendance day and its [start, end) instants. */
export interface DayBounds {
  /** 'YYYY-MM-DD' */
  day: string;
  /** First instant of the day, ISO 8601 in UTC (what SQL is given). */
  start: string;
  /** First instant of the next day. */
  end: string;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(timezone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timezone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timezone, formatter);
  }
  return formatter;
}

/** The wall clock of `timezone` at instant `ms`, as if it were UTC milliseconds (whole seconds). */
function wallClock(timezone: string, ms: number): number {
  const parts: Record<string, number> = {};
  for (const part of formatterOf(timezone).formatToParts(new Date(ms))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const wall = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  // Date.UTC maps years 0–99 to 1900–1999; no attendance is that old, but be exact anyway.
  return parts.year! < 100 ? new Date(wall).setUTCFullYear(parts.year!) : wall;
}

/** The offset read from the time zone database (Intl): exact, and a few microseconds a call. */
function offsetRead(timezone: string, ms: number): number {
  const whole = Math.floor(ms / 1000) * 1000;
  return Math.round((wallClock(timezone, whole) - whole) / 1000);
}

/** Per time zone, the stretches of one offset (OffsetRun, below) learnt lately (newest first): most instants asked about are near now. */
const learnt = new Map<string, OffsetRun[]>();
const RUNS_KEPT = 16;
const RUN_REACH = 12 * HOUR;

/**
 * Seconds east of UTC that `timezone` is at instant `ms` (e.g. 3600 for Europe/Berlin in winter). Every
 * check-in asks this for its day and its times, so the day around an instant is learnt once: when the
 * offsets 12 hours before and after are the same as the instant's, no change lies between (two changes
 * within a day happen nowhere; offsetRuns relies on the same), and every instant in it has that offset.
 */
export function zoneOffsetSeconds(timezone: string, ms: number): number {
  const runs = learnt.get(timezone);
  if (runs) for (const run of runs) if (ms >= run.from && ms < run.to) return run.offset;
  const offset = offsetRead(timezone, ms);
  if (offsetRead(timezone, ms - RUN_REACH) === offset && offsetRead(timezone, ms + RUN_REACH) === offset) {
    const kept = runs ?? [];
    kept.unshift({ from: ms - RUN_REACH, to: ms + RUN_REACH, offset });
    if (kept.length > RUNS_KEPT) kept.pop();
    learnt.set(timezone, kept);
  }
  return offset;
}

/** ±HH:MM (±HH:MM:SS when the offset has seconds), as PostgreSQL writes an offset in JSON. */
export function formatOffset(seconds: number): string {
  const abs = Math.abs(seconds);
  const pad = (n: number) => String(n).padStart(2, '0');
  const text = `${seconds < 0 ? '-' : '+'}${pad(Math.floor(abs / 3600))}:${pad(Math.floor((abs % 3600) / 60))}`;
  return abs % 60 === 0 ? text : `${text}:${pad(abs % 60)}`;
}

/**
 * The first instant at which the clock of `timezone` shows `wall` (UTC milliseconds of a local date and
 * time) or later: the instant itself when it exists (the earlier one when it exists twice), the end of
 * the gap when the clock skipped it.
 */
export function instantOfWallClock(timezone: string, wall: number): number {
  // Offsets a day either side cover every real transition (Kiritimati and Samoa skipped a whole day).
  const offsets = new Set([zoneOffsetSeconds(timezone, wall - DAY), zoneOffsetSeconds(timezone, wall + DAY)]);
  const candidates = [...offsets]
    .map((offset) => wall - offset * 1000)
    .filter((instant) => wallClock(timezone, instant) === wall)
    .sort((a, b) => a - b);
  if (candidates.length > 0) return candidates[0]!;
  // In a gap: the transition is between the two readings; find the first instant whose clock is past `wall`.
  let low = wall - Math.max(...offsets) * 1000;
  let high = wall - Math.min(...offsets) * 1000;
  if (high < low) [low, high] = [high, low];
  while (high - low > 1000) {
    const middle = Math.floor((low + high) / 2000) * 1000;
    if (wallClock(timezone, middle) >= wall) high = middle;
    else low = middle;
  }
  return wallClock(timezone, low) >= wall ? low : high;
}

/** The instants a day's bounds are kept within: 0001-01-01 to 9999-12-31 in UTC, which both JavaScript and PostgreSQL read. */
const FIRST_INSTANT = new Date(0).setUTCFullYear(1, 0, 1);
const LAST_INSTANT = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * ISO 8601 (UTC) of an instant, within the years 1 to 9999: beyond them (the end of 9999-12-31 west of
 * UTC, the start of 0001-01-01 east of it) JavaScript writes a year PostgreSQL refuses ('+010000', '0000')
 * and reads none back, and no check-in can lie there anyway, so the bound is held at the edge.
 */
function instantText(ms: number): string {
  return new Date(Math.min(LAST_INSTANT, Math.max(FIRST_INSTANT, ms))).toISOString();
}

/** 'YYYY-MM-DD' of UTC milliseconds. */
function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** 'YYYY-MM-DD' → its UTC midnight in milliseconds. */
function dateMs(day: string): number {
  const [year, month, date] = day.split('-').map(Number) as [number, number, number];
  if (!isCalendarDate(year, month, date)) throw new RangeError(`not a calendar date: ${day}`);
  // Not Date.UTC, which reads the years 0–99 as 1900–1999.
  return new Date(0).setUTCFullYear(year, month - 1, date);
}

/** The day after (or `delta` days after) 'YYYY-MM-DD'. */
export function addDays(day: string, delta: number): string {
  return isoDate(dateMs(day) + delta * DAY);
}

/** 'HH:MM' → minutes after midnight, or undefined when it is not a time of day (00:00–23:59). */
export function parseDayStart(value: string): number | undefined {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(value);
  return match ? Number(match[1]) * 60 + Number(match[2]) : undefined;
}

/** A run of instants with one UTC offset: [from, to) in milliseconds (±Infinity when open). */
interface OffsetRun {
  from: number;
  to: number;
  offset: number;
}

const BOUNDS_KEPT = 64;

/** Attendance days of one time zone and day start; see the module comment. */
export class AttendanceDays {
  readonly startMinutes: number;
  private readonly kept = new Map<string, DayBounds>();

  constructor(
    readonly timezone: string,
    /** DAY_STARTS_AT, 'HH:MM'. */
    readonly startsAt = '00:00',
    /** The clock "today" is read from (milliseconds since the epoch). */
    private readonly now: () => number = Date.now,
  ) {
    const minutes = parseDayStart(startsAt);
    if (minutes === undefined) throw new RangeError(`not a time of day (HH:MM): ${startsAt}`);
    this.startMinutes = minutes;
    formatterOf(timezone); // throws RangeError for an unknown time zone
  }

  /** Calendar days (midnight to midnight) in `timezone`: the seed API's days. */
  static calendar(timezone: string): AttendanceDays {
    return new AttendanceDays(timezone, '00:00');
  }

  /** The [start, end) instants of day 'YYYY-MM-DD'. */
  bounds(day: string): DayBounds {
    let bounds = this.kept.get(day);
    if (!bounds) {
      // The next date as milliseconds, not as text: the day after 9999-12-31 is no 'YYYY-MM-DD'.
      const startOf = (midnight: number) => instantOfWallClock(this.timezone, midnight + this.startMinutes * MINUTE);
      const midnight = dateMs(day);
      bounds = { day, start: instantText(startOf(midnight)), end: instantText(startOf(midnight + DAY)) };
      if (this.kept.size >= BOUNDS_KEPT) this.kept.delete(this.kept.keys().next().value!);
      this.kept.set(day, bounds);
    }
    return bounds;
  }

  /**
   * The instant (ISO 8601, UTC) at which attendance day `day` shows the local time `time` (HH:MM) in
   * APP_TIMEZONE: on the day's own calendar date, or, for a time earlier than DAY_STARTS_AT, on the next
   * one (day D runs from D at DAY_STARTS_AT to D + 1 at DAY_STARTS_AT), so it always lies within the day.
   * DST-correct as `bounds` is: a time the clock skipped is the first instant after the gap, a repeated
   * one its first occurrence. A group's start time on a register day is this.
   */
  timeOn(day: string, time: string): string {
    const minutes = parseDayStart(time);
    if (minutes === undefined) throw new RangeError(`not a time of day (HH:MM): ${time}`);
    const date = minutes < this.startMinutes ? addDays(day, 1) : day;
    return instantText(instantOfWallClock(this.timezone, dateMs(date) + minutes * MINUTE));
  }

  /** The [start, end) instants of the days `from` to `to` (inclusive) together; `day` is `from`. */
  span(from: string, to: string): DayBounds {
    return { day: from, start: this.bounds(from).start, end: this.bounds(to).end };
  }

  /** The attendance day instant `at` belongs to. */
  dayOf(at: Date | number | string): string {
    const ms = typeof at === 'number' ? at : new Date(at).getTime();
    const whole = Math.floor(ms / 1000) * 1000;
    const calendarDay = isoDate(whole + zoneOffsetSeconds(this.timezone, whole) * 1000);
    return ms < Date.parse(this.bounds(calendarDay).start) ? addDays(calendarDay, -1) : calendarDay;
  }

  /** The attendance day containing now. */
  today(): string {
    return this.dayOf(this.now());
  }

  /** Today's bounds. */
  current(): DayBounds {
    return this.bounds(this.today());
  }

  /** Milliseconds from now until today ends (the next rollover). */
  untilNextDay(): number {
    return Math.max(0, Date.parse(this.current().end) - this.now());
  }

  /** The runs of one UTC offset that cover [from, to) (milliseconds): one, or more around a DST change. */
  private offsetRuns(from: number, to: number): OffsetRun[] {
    const first = zoneOffsetSeconds(this.timezone, from);
    const last = zoneOffsetSeconds(this.timezone, to - 1);
    if (first === last && to - from <= 26 * HOUR) return [{ from, to, offset: first }];
    if (to - from <= 1000) return [{ from, to, offset: first }];
    const middle = Math.floor((from + to) / 2000) * 1000;
    const runs = [...this.offsetRuns(from, middle), ...this.offsetRuns(middle, to)];
    // Join neighbours with one offset.
    return runs.reduce<OffsetRun[]>((joined, run) => {
      const previous = joined.at(-1);
      if (previous && previous.offset === run.offset && previous.to === run.from) previous.to = run.to;
      else joined.push({ ...run });
      return joined;
    }, []);
  }

  /**
   * SQL writing the timestamptz `column` in APP_TIMEZONE as ISO 8601 with its offset and microseconds,
   * exactly as PostgreSQL's JSON does in a session of that time zone (2026-11-24T09:12:21.123456+01:00),
   * whatever the session's time zone. Given the day the values lie in, the day's few UTC offsets are
   * written into the SQL (cheap per row: a day sheet writes thousands); without it, each value's offset
   * is looked up (exact for any instant, a few microseconds more per row).
   */
  isoSql(column: string, within?: DayBounds): string {
    const local = (offset: number) =>
      `(to_json(${column} AT TIME ZONE INTERVAL '${offset} seconds') #>> '{}') || '${formatOffset(offset)}'`;
    if (within) {
      const runs = this.offsetRuns(Date.parse(within.start), Date.parse(within.end));
      if (runs.length === 1) return local(runs[0]!.offset);
      const cases = runs
        .slice(0, -1)
        .map((run) => `WHEN ${column} < '${new Date(run.to).toISOString()}'::timestamptz THEN ${local(run.offset)}`);
      return `CASE ${cases.join(' ')} ELSE ${local(runs.at(-1)!.offset)} END`;
    }
    return zonedIsoSql(column, sqlText(this.timezone));
  }

  /**
   * isoSql as JSON text: the quoted ISO 8601 string, or `null` for NULL. For statements that write
   * thousands of values into JSON they assemble as text (json_build_object costs microseconds a call):
   * to_json of the local timestamp already is the quoted text, so only the offset is put before its
   * closing quote.
   */
  isoJsonSql(column: string, within: DayBounds): string {
    const local = (offset: number) =>
      `left(to_json(${column} AT TIME ZONE INTERVAL '${offset} seconds')::text, -1) || '${formatOffset(offset)}"'`;
    const runs = this.offsetRuns(Date.parse(within.start), Date.parse(within.end));
    const written =
      runs.length === 1
        ? local(runs[0]!.offset)
        : `CASE ${runs
            .slice(0, -1)
            .map((run) => `WHEN ${column} < '${new Date(run.to).toISOString()}'::timestamptz THEN ${local(run.offset)}`)
            .join(' ')} ELSE ${local(runs.at(-1)!.offset)} END`;
    return `coalesce(${written}, 'null')`;
  }

  /**
   * isoSql for a column whose values mostly lie within `within` (a check-in's recorded_at near its day):
   * those use the day's few offsets written into the SQL, the others (and any value, exactly) have their
   * offset looked up. NULL stays NULL.
   */
  isoSqlMostlyWithin(column: string, within: DayBounds): string {
    return `CASE WHEN ${column} >= '${within.start}'::timestamptz AND ${column} < '${within.end}'::timestamptz
      THEN ${this.isoSql(column, within)} ELSE ${this.isoSql(column)} END`;
  }

  /** SQL for the local time of day (HH24:MI) of timestamptz `column` in APP_TIMEZONE. */
  localTimeSql(column: string): string {
    return `to_char(${column} AT TIME ZONE ${sqlText(this.timezone)}, 'HH24:MI')`;
  }
}

/** A string as an SQL literal (for values this module computed or the configuration validated). */
export function sqlText(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * SQL writing the timestamptz `column` in the time zone named by the SQL expression `zone` (a literal or
 * a parameter such as `$3::text`), as PostgreSQL's JSON writes a timestamptz in a session of that zone.
 */
export function zonedIsoSql(column: string, zone: string): string {
  const offset = `(date_part('epoch', ${column} AT TIME ZONE ${zone}) - date_part('epoch', ${column}))::int`;
  return `((to_json(${column} AT TIME ZONE ${zone}) #>> '{}') || (SELECT CASE WHEN o < 0 THEN '-' ELSE '+' END
    || to_char(make_interval(secs => abs(o)), CASE WHEN o % 60 = 0 THEN 'HH24:MI' ELSE 'HH24:MI:SS' END) FROM (SELECT ${offset} AS o) z))`;
}

/** The attendance days of a configuration (one per time zone and day start, shared by the services). */
const configured = new Map<string, AttendanceDays>();

export function attendanceDays(config: { timezone: string; dayStartsAt: string }): AttendanceDays {
  const key = `${config.timezone} ${config.dayStartsAt}`;
  let days = configured.get(key);
  if (!days) {
    days = new AttendanceDays(config.timezone, config.dayStartsAt);
    configured.set(key, days);
  }
  return days;
}

/** Calendar days of a time zone (the seed API's). */
export function calendarDays(timezone: string): AttendanceDays {
  return attendanceDays({ timezone, dayStartsAt: '00:00' });
}

const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?(Z|[+-]\d{2}(?::?\d{2}){0,2})$/;

/**
 * An ISO 8601 instant (as PostgreSQL or a client wrote it, with any offset) written again in `timezone`
 * the way PostgreSQL's JSON writes a timestamptz in a session of that zone: the same instant, the same
 * fraction of a second, that zone's offset. Text that is not such an instant is returned as it is.
 */
export function isoInZone(text: string, timezone: string): string {
  // The rows of one write batch share their transaction's time, and an entry's two times are mostly the
  // same: the last answer is kept (a pure function of its two arguments).
  if (text === lastIso.text && timezone === lastIso.timezone) return lastIso.written;
  const written = writeIsoInZone(text, timezone);
  lastIso = { text, timezone, written };
  return written;
}

let lastIso = { text: '', timezone: '', written: '' };

function writeIsoInZone(text: string, timezone: string): string {
  const match = ISO_INSTANT.exec(text);
  if (!match) return text;
  const [, year, month, day, hour, minute, second, fraction = '', zone] = match;
  let offset = 0;
  if (zone !== 'Z') {
    const [h = '0', m = '0', s = '0'] = zone!.slice(1).match(/\d{2}/g) ?? [];
    offset = (zone!.startsWith('-') ? -1 : 1) * (Number(h) * 3600 + Number(m) * 60 + Number(s));
  }
  const wall = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second));
  const instant = wall - offset * 1000;
  const local = zoneOffsetSeconds(timezone, instant);
  const written = new Date(instant + local * 1000).toISOString().slice(0, 19);
  const digits = fraction.replace(/0+$/, '');
  return `${written}${digits === '.' ? '' : digits}${formatOffset(local)}`;
}
