// Attendance days: bounds and membership, DST change days, a +14:00 zone, a start in a skipped hour.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AttendanceDays, formatOffset, instantOfWallClock, isoInZone, parseDayStart, zoneOffsetSeconds } from './attendance-day.js';

const iso = (text: string) => new Date(text).toISOString();

describe('attendance days', () => {
  test('with the default start a day is the calendar day, midnight to midnight', () => {
    const days = new AttendanceDays('Europe/Berlin');
    assert.deepEqual(days.bounds('2026-07-01'), {
      day: '2026-07-01',
      start: iso('2026-07-01T00:00:00+02:00'),
      end: iso('2026-07-02T00:00:00+02:00'),
    });
    assert.equal(days.dayOf('2026-07-01T23:59:59.999+02:00'), '2026-07-01');
    assert.equal(days.dayOf('2026-07-02T00:00:00+02:00'), '2026-07-02');
  });

  test('DAY_STARTS_AT=04:00: a check-in at 02:00 belongs to the day before', () => {
    const days = new AttendanceDays('Europe/Berlin', '04:00');
    assert.equal(days.dayOf('2026-07-02T02:00:00+02:00'), '2026-07-01');
    assert.equal(days.dayOf('2026-07-02T03:59:59+02:00'), '2026-07-01');
    assert.equal(days.dayOf('2026-07-02T04:00:00+02:00'), '2026-07-02');
    assert.deepEqual(days.bounds('2026-07-01'), {
      day: '2026-07-01',
      start: iso('2026-07-01T04:00:00+02:00'),
      end: iso('2026-07-02T04:00:00+02:00'),
    });
  });

  test('DST change days in Europe/Berlin have 23 and 25 hours, whatever the start', () => {
    for (const start of ['00:00', '04:00', '23:30']) {
      const days = new AttendanceDays('Europe/Berlin', start);
      const hours = (day: string) => (Date.parse(days.bounds(day).end) - Date.parse(days.bounds(day).start)) / 3_600_000;
      // The changes happen at 02:00/03:00 on the 29th and the 25th: a day starting later holds them the day before.
      const spring = start === '00:00' ? '2026-03-29' : '2026-03-28';
      const autumn = start === '00:00' ? '2026-10-25' : '2026-10-24';
      assert.equal(hours(spring), 23, `spring ${start}`);
      assert.equal(hours(autumn), 25, `autumn ${start}`);
      assert.equal(hours('2026-07-01'), 24);
    }
    const days = new AttendanceDays('Europe/Berlin', '04:00');
    assert.equal(days.bounds('2026-03-29').start, iso('2026-03-29T04:00:00+02:00'));
    assert.equal(days.bounds('2026-03-28').end, iso('2026-03-29T04:00:00+02:00'));
    assert.equal(days.dayOf('2026-10-25T02:30:00+01:00'), '2026-10-24');
  });

  test('a start inside the skipped hour begins where the clock jumps; inside the repeated hour, at its first occurrence', () => {
    const days = new AttendanceDays('Europe/Berlin', '02:30');
    // 29 March 2026: 02:00 CET jumps to 03:00 CEST (01:00 UTC).
    assert.equal(days.bounds('2026-03-29').start, '2026-03-29T01:00:00.000Z');
    assert.equal(days.dayOf('2026-03-29T00:59:59Z'), '2026-03-28');
    assert.equal(days.dayOf('2026-03-29T01:00:00Z'), '2026-03-29');
    // 25 October 2026: 02:30 happens at 00:30 UTC and again at 01:30 UTC; the day begins at the first.
    assert.equal(days.bounds('2026-10-25').start, '2026-10-25T00:30:00.000Z');
    assert.equal(days.dayOf('2026-10-25T01:15:00Z'), '2026-10-25');
    assert.equal(instantOfWallClock('America/New_York', Date.UTC(2026, 2, 8, 2, 15)), Date.parse('2026-03-08T07:00:00Z'));
  });

  test('Pacific/Kiritimati (+14:00) and a zone behind UTC', () => {
    const days = new AttendanceDays('Pacific/Kiritimati', '04:00');
    assert.equal(zoneOffsetSeconds('Pacific/Kiritimati', Date.parse('2026-07-01T00:00:00Z')), 14 * 3600);
    assert.equal(days.bounds('2026-07-01').start, iso('2026-07-01T04:00:00+14:00'));
    // 2026-06-30T14:30Z is 04:30 on 1 July there.
    assert.equal(days.dayOf('2026-06-30T14:30:00Z'), '2026-07-01');
    assert.equal(days.dayOf('2026-06-30T13:30:00Z'), '2026-06-30');
    const honolulu = new AttendanceDays('Pacific/Honolulu');
    assert.equal(honolulu.dayOf('2026-07-02T09:59:59Z'), '2026-07-01');
    // The day Kiritimati skipped: 31 December 1994 never happened there; it begins and ends at once.
    const skipped = new AttendanceDays('Pacific/Kiritimati').bounds('1994-12-31');
    assert.equal(skipped.start, skipped.end);
  });

  test('the first and last dates PostgreSQL and the seed take: years 1–99 are not 1900–1999, the end of 9999-12-31 is readable', () => {
    const utc = AttendanceDays.calendar('UTC');
    assert.deepEqual(utc.bounds('0001-01-01'), { day: '0001-01-01', start: '0001-01-01T00:00:00.000Z', end: '0001-01-02T00:00:00.000Z' });
    assert.deepEqual(utc.bounds('0099-12-31').start, '0099-12-31T00:00:00.000Z');
    // Past 9999 JavaScript writes '+010000-…', which PostgreSQL reads as a time zone; before 0001, '0000-…',
    // which it refuses: the bounds are held within the years both read (no check-in lies beyond them).
    assert.equal(utc.bounds('9999-12-31').end, '9999-12-31T23:59:59.999Z');
    assert.equal(new AttendanceDays('America/Los_Angeles', '04:00').bounds('9999-12-31').end, '9999-12-31T23:59:59.999Z');
    assert.equal(new AttendanceDays('Pacific/Kiritimati', '04:00').bounds('9999-12-31').end, '9999-12-31T14:00:00.000Z');
    assert.equal(AttendanceDays.calendar('Asia/Tokyo').bounds('0001-01-01').start, '0001-01-01T00:00:00.000Z');
    for (const day of ['0001-01-01', '9999-12-31']) {
      const { start, end } = new AttendanceDays('America/Los_Angeles', '04:00').bounds(day);
      assert.ok(Number.isFinite(Date.parse(start)) && Number.isFinite(Date.parse(end)), day);
    }
  });

  test('today follows the clock it is given, and the time until the next day', () => {
    let now = Date.parse('2026-07-02T01:59:00+02:00');
    const days = new AttendanceDays('Europe/Berlin', '02:00', () => now);
    assert.equal(days.today(), '2026-07-01');
    assert.equal(days.untilNextDay(), 60_000);
    now += 60_000;
    assert.equal(days.today(), '2026-07-02');
  });

  test('offsets and day starts are written and read as documented', () => {
    assert.equal(formatOffset(14 * 3600), '+14:00');
    assert.equal(formatOffset(-(3 * 3600 + 30 * 60)), '-03:30');
    assert.equal(formatOffset(0), '+00:00');
    assert.equal(formatOffset(-(3 * 3600 + 30 * 60 + 52)), '-03:30:52');
    assert.equal(parseDayStart('04:00'), 240);
    assert.equal(parseDayStart('23:59'), 23 * 60 + 59);
    for (const bad of ['24:00', '4:00', '04:60', '0400', '']) assert.equal(parseDayStart(bad), undefined, bad);
    assert.throws(() => new AttendanceDays('Europe/Berlin', '25:00'), RangeError);
    assert.throws(() => new AttendanceDays('Mars/Olympus'), RangeError);
  });
});

test('isoInZone writes an instant again in another zone, as PostgreSQL would', () => {
  assert.equal(isoInZone('2026-07-01T10:00:00.123450+00:00', 'Pacific/Kiritimati'), '2026-07-02T00:00:00.12345+14:00');
  assert.equal(isoInZone('2026-03-29T01:00:00Z', 'Europe/Berlin'), '2026-03-29T03:00:00+02:00');
  assert.equal(isoInZone('2026-03-29T00:59:59.5Z', 'Europe/Berlin'), '2026-03-29T01:59:59.5+01:00');
  assert.equal(isoInZone('2026-01-01T12:00:00-03:30', 'UTC'), '2026-01-01T15:30:00+00:00');
  assert.equal(isoInZone('not a time', 'UTC'), 'not a time');
});

test('isoInZone answers the same text and zone again from the last answer, and a change of either anew', () => {
  const text = '2026-07-01T10:00:00.5+00:00';
  for (let i = 0; i < 3; i++) {
    assert.equal(isoInZone(text, 'Europe/Berlin'), '2026-07-01T12:00:00.5+02:00');
    assert.equal(isoInZone(text, 'Europe/Berlin'), '2026-07-01T12:00:00.5+02:00');
    assert.equal(isoInZone(text, 'America/New_York'), '2026-07-01T06:00:00.5-04:00');
    assert.equal(isoInZone('2026-07-01T10:00:01.5+00:00', 'America/New_York'), '2026-07-01T06:00:01.5-04:00');
  }
});

test('zone offsets learnt around an instant are the offsets the time zone database gives, across changes', () => {
  // Asked in an order that learns a stretch first and then asks next to and across its ends; each answer
  // is compared with a fresh Intl reading.
  const exact = (zone: string, ms: number) => {
    const formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    const part = (type: string) => Number(formatter.formatToParts(new Date(ms)).find((p) => p.type === type)!.value);
    const whole = Math.floor(ms / 1000) * 1000;
    const wall = Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second'));
    return Math.round((wall - whole) / 1000);
  };
  const changes = [
    ['Europe/Berlin', Date.parse('2026-03-29T01:00:00Z')],
    ['Europe/Berlin', Date.parse('2026-10-25T01:00:00Z')],
    ['America/St_Johns', Date.parse('2026-11-01T04:30:00Z')],
    ['Australia/Lord_Howe', Date.parse('2026-04-04T15:00:00Z')],
    ['Pacific/Apia', Date.parse('2011-12-30T10:00:00Z')],
  ] as const;
  for (const [zone, at] of changes) {
    for (const step of [-13 * 3600_000, -3600_000, -1000, -1, 0, 1, 999, 1000, 3600_000, 13 * 3600_000, -12 * 3600_000 - 1]) {
      assert.equal(zoneOffsetSeconds(zone, at + step), exact(zone, at + step), `${zone} ${new Date(at + step).toISOString()}`);
    }
    // Every minute of the two days around the change, after the stretches above were learnt.
    for (let ms = at - 26 * 3600_000; ms < at + 26 * 3600_000; ms += 60_000 + 17) {
      assert.equal(zoneOffsetSeconds(zone, ms), exact(zone, ms), `${zone} ${new Date(ms).toISOString()}`);
    }
  }
});
