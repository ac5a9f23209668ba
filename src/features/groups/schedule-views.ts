// A group's schedule in words ("Mon, Wed and Fri, 2026-09-01 to 2026-12-18, plus 2 more days; starts
// 08:15, late after 5 minutes") and the calendar names the group pages share.
import type { Schedule } from './group-repository.js';

/** ISO weekday (1 = Monday … 7 = Sunday) → short name; index 0 unused. */
export const WEEKDAY_SHORT = ['', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;
export const WEEKDAY_LONG = ['', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;
export const MONTH_SHORT = ['', 'Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/** "a, b and c". */
function list(items: string[]): string {
  return items.length < 2 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/** Ascending ISO weekdays as names, three or more in a row as a span: [1,2,3,4,5,7] → ['Mon–Fri', 'Sun']. */
function weekdayRuns(weekdays: number[]): string[] {
  const runs: number[][] = [];
  for (const day of weekdays) {
    const last = runs.at(-1);
    if (last && day === last.at(-1)! + 1) last.push(day);
    else runs.push([day]);
  }
  return runs.flatMap((run) =>
    run.length >= 3 ? [`${WEEKDAY_SHORT[run[0]!]}–${WEEKDAY_SHORT[run.at(-1)!]}`] : run.map((day) => WEEKDAY_SHORT[day]!),
  );
}

/** How many explicit dates are named before "and N more". */
const DATES_SHOWN = 3;

export function scheduleInWords(schedule: Schedule): string {
  const parts: string[] = [];
  if (schedule.weekdays.length > 0 && schedule.from && schedule.to) {
    const days = schedule.weekdays.length === 7 ? 'Every day' : list(weekdayRuns(schedule.weekdays));
    parts.push(`${days}, ${schedule.from} to ${schedule.to}`);
  }
  if (schedule.dates.length > 0) {
    const named = schedule.dates.slice(0, DATES_SHOWN);
    const more = schedule.dates.length - named.length;
    const dates = more > 0 ? `${named.join(', ')} and ${more} more` : list(named);
    parts.push(parts.length > 0 ? `plus ${dates}` : dates);
  }
  if (parts.length === 0) return 'No days scheduled yet';
  const when = parts.join(', ');
  if (!schedule.startTime) return when;
  const grace = schedule.graceMinutes === 0 ? 'no grace period' : `late after ${schedule.graceMinutes} min`;
  return `${when}; starts ${schedule.startTime}, ${grace}`;
}

/** 'YYYY-MM-DD' shifted by whole days. */
export function addDays(date: string, days: number): string {
  const at = new Date(`${date}T00:00:00Z`);
  at.setUTCDate(at.getUTCDate() + days);
  return at.toISOString().slice(0, 10);
}

/** The calendar month around a day: its first and last day. */
export function monthAround(date: string): { from: string; to: string } {
  const [year, month] = [Number(date.slice(0, 4)), Number(date.slice(5, 7))];
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return { from: `${date.slice(0, 7)}-01`, to: `${date.slice(0, 7)}-${String(last).padStart(2, '0')}` };
}

/** The ranges before and after one: whole months stay whole months, other ranges shift by their length. */
export function neighbourRanges(range: { from: string; to: string }): {
  previous: { from: string; to: string };
  next: { from: string; to: string };
} {
  const month = monthAround(range.from);
  if (month.from === range.from && month.to === range.to) {
    return { previous: monthAround(addDays(range.from, -1)), next: monthAround(addDays(range.to, 1)) };
  }
  const length = (Date.parse(`${range.to}T00:00:00Z`) - Date.parse(`${range.from}T00:00:00Z`)) / 86_400_000 + 1;
  return {
    previous: { from: addDays(range.from, -length), to: addDays(range.from, -1) },
    next: { from: addDays(range.to, 1), to: addDays(range.to, length) },
  };
}

/**
 * The register's range when none is asked for: the current month, or, when the schedule lies wholly
 * before or after today, the month of its last or first day (so a finished course opens on its end).
 */
export function defaultRange(schedule: Schedule, today: string): { from: string; to: string } {
  const starts = [schedule.from, schedule.dates[0]].filter((day): day is string => Boolean(day)).sort();
  const ends = [schedule.to, schedule.dates.at(-1)].filter((day): day is string => Boolean(day)).sort();
  if (starts.length > 0 && today < starts[0]!) return monthAround(starts[0]!);
  if (ends.length > 0 && today > ends.at(-1)!) return monthAround(ends.at(-1)!);
  return monthAround(today);
}
