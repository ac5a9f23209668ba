// Calendar days in the configured time zone. A "day" is a local calendar date; PostgreSQL turns it into
// the [midnight, next midnight) range in the session time zone, which is DST-correct.

/** 'YYYY-MM-DD' for the instant `at` as seen in `timezone`. */
export function localDate(timezone: string, at: Date = new Date()): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: timezone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(at);
  const get = (type: string) => parts.find((part) => part.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** True when year, month and day form a real calendar date (e.g. not 2026-02-30). */
export function isCalendarDate(year: number, month: number, day: number): boolean {
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1) return false;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day <= daysInMonth;
}

/** 'YYYYMMDD' (the seed's format) → 'YYYY-MM-DD', or undefined when it is not a real date. */
export function parseCompactDate(value: string): string | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})$/.exec(value);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return isCalendarDate(year, month, day) ? `${match[1]}-${match[2]}-${match[3]}` : undefined;
}

/** 'YYYY-MM-DD' (ISO) → itself, or undefined when it is not a real date. */
export function parseIsoDate(value: string): string | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return undefined;
  return isCalendarDate(Number(match[1]), Number(match[2]), Number(match[3])) ? value : undefined;
}
