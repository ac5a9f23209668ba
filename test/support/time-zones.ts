// Time zones for tests whose data and checks all belong to one local "today": entries seeded minutes
// before now, then a sheet of today read and checked. Run near that zone's midnight, such a test splits
// its data over two days and fails for a reason that is not the service's (the service's own handling
// of midnight is tested on its own: test/ui/day-rollover.test.ts, the attendance-day tests).

/** Minutes since local midnight in `zone` at `now`. */
export function minutesOfDay(zone: string, now = new Date()): number {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(
    now,
  );
  const part = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  return part('hour') * 60 + part('minute');
}

/**
 * The first of `zones` whose local time is at least `marginMinutes` away from midnight at `now`. Two
 * zones whose offsets differ by a few hours always give one.
 */
export function zoneAwayFromMidnight(zones: readonly string[], marginMinutes = 30, now = new Date()): string {
  for (const zone of zones) {
    const minutes = minutesOfDay(zone, now);
    if (minutes >= marginMinutes && minutes <= 24 * 60 - marginMinutes) return zone;
  }
  throw new Error(`every one of ${zones.join(', ')} is within ${marginMinutes} minutes of midnight at ${now.toISOString()}`);
}
