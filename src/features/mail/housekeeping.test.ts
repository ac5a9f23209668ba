// The mail schedulers' claims are forgotten once long past, by the outbox worker's hourly housekeeping as
// the server wires it (MailService.housekeeping), against a real database and with e-mail not configured
// (rows claimed while it was on still go): absence-alert claims of days more than 30 days ago and
// register-report claims of periods that ended more than 90 days ago are deleted, and nothing else —
// today's alert claims and the report claims of the period that ended yesterday stay, so "once" holds.
// Each run deletes in bounded batches and the next one takes up the rest.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { build, signIn, type AdminSession, type TestApp } from '../../../test/support/app.js';
import { loadConfig } from '../../config.js';
import { addDays, attendanceDays } from '../../domain/attendance-day.js';
import { Changes } from '../../domain/changes.js';
import { serviceDeps } from '../../services.js';
import { GroupService } from '../groups/group-service.js';
import { OutboxWorker } from '../outbox/outbox-worker.js';
import { PersonService } from '../people/person-service.js';
import { MailService } from './mail-service.js';

const json = <T>(response: LightMyRequestResponse) => JSON.parse(response.body) as T;

describe('housekeeping of the mail claims', () => {
  let running: TestApp;
  let owner: AdminSession;
  const workers: OutboxWorker[] = [];

  before(async () => {
    running = await build({ AUTH_MODE: 'token' });
    owner = await signIn(running.app);
  });
  afterEach(async () => {
    for (const worker of workers.splice(0)) await worker.stop();
    await running.database.query('DELETE FROM absence_alerts_sent');
    await running.database.query('DELETE FROM register_reports_sent');
  });
  after(async () => {
    await running.close();
  });

  const config = () => loadConfig({ DATABASE_URL: running.database.url });
  const mailService = () => {
    const deps = serviceDeps(running.db, config());
    return new MailService(deps, new PersonService(deps), new GroupService(deps));
  };
  const created = async (url: string, payload: object) => {
    const response = await owner.inject({ method: 'POST', url, payload });
    assert.equal(response.statusCode, 201, response.body);
    return json<{ id: number }>(response).id;
  };
  const alertClaim = (groupId: number, personId: number, day: string) =>
    running.database.query('INSERT INTO absence_alerts_sent (group_id, person_id, day) VALUES ($1, $2, $3)', [groupId, personId, day]);
  const reportClaim = (groupId: number, schedule: 'daily' | 'weekly', from: string, to: string) =>
    running.database.query(
      'INSERT INTO register_reports_sent (group_id, schedule, period_start, period_end, recipients) VALUES ($1, $2, $3, $4, 1)',
      [groupId, schedule, from, to],
    );
  const alertDays = async () =>
    (await running.database.query<{ day: string }>("SELECT person_id::text || ' ' || day::text AS day FROM absence_alerts_sent"))
      .map((row) => row.day)
      .sort();
  const reportPeriods = async () =>
    (
      await running.database.query<{ period: string }>(
        `SELECT schedule || ' ' || period_start::text || '..' || period_end::text AS period FROM register_reports_sent`,
      )
    )
      .map((row) => row.period)
      .sort();

  test('the hourly housekeeping of the outbox worker forgets exactly the claims long past', async () => {
    const today = attendanceDays(config()).today();
    const day = (delta: number) => addDays(today, delta);
    const g = await created('/api/v1/groups', { name: 'Class 4B' });
    const ada = await created('/api/v1/people', { firstname: 'Ada', lastname: 'Lovelace' });
    const bob = await created('/api/v1/people', { firstname: 'Bob', lastname: 'Builder' });

    // Absence alerts: today's (the one being guarded now), yesterday's, the 30th day back (kept: not more
    // than 30 days ago), the 31st and a year back (gone).
    for (const [person, delta] of [
      [ada, 0],
      [bob, 0],
      [ada, -1],
      [ada, -30],
      [bob, -31],
      [ada, -31],
      [ada, -365],
    ] as const) {
      await alertClaim(g, person, day(delta));
    }
    // Register reports: yesterday's daily and last week's weekly (this period's, guarded now); ones that
    // ended 84 and 90 days ago (kept); ones that ended 91 and 200 days ago (gone).
    await reportClaim(g, 'daily', day(-1), day(-1));
    await reportClaim(g, 'weekly', day(-7), day(-1));
    await reportClaim(g, 'weekly', day(-90), day(-84));
    await reportClaim(g, 'daily', day(-90), day(-90));
    await reportClaim(g, 'daily', day(-91), day(-91));
    await reportClaim(g, 'weekly', day(-97), day(-91));
    await reportClaim(g, 'daily', day(-200), day(-200));

    const expectedAlerts = [`${ada} ${day(0)}`, `${bob} ${day(0)}`, `${ada} ${day(-1)}`, `${ada} ${day(-30)}`].sort();
    const expectedReports = [
      `daily ${day(-1)}..${day(-1)}`,
      `weekly ${day(-7)}..${day(-1)}`,
      `weekly ${day(-90)}..${day(-84)}`,
      `daily ${day(-90)}..${day(-90)}`,
    ].sort();

    // The worker as server.ts starts it (no handler needed: e-mail is not configured); its first round
    // does the hourly housekeeping.
    const logged: string[] = [];
    const log = { info: (_details: object, message: string) => logged.push(message), warn: (_d: object, m: string) => logged.push(m) };
    const worker = new OutboxWorker(
      running.db,
      new Changes(running.db),
      {},
      { pollMs: 100, log, housekeeping: [mailService().housekeeping()] },
    );
    workers.push(worker.start());
    for (let waited = 0; waited < 10_000 && !logged.some((m) => m.startsWith('outbox housekeeping')); waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.deepEqual(logged, ['outbox housekeeping: forgot absence alert and register report claims long past']);
    assert.deepEqual(await alertDays(), expectedAlerts);
    assert.deepEqual(await reportPeriods(), expectedReports);

    // Today's claim still holds: the alert of today is not claimed (so not sent) again.
    const again = await running.database.query(
      'INSERT INTO absence_alerts_sent (group_id, person_id, day) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING day',
      [g, ada, today],
    );
    assert.equal(again.length, 0);
  });

  test('a run deletes in bounded batches and the next one takes up the rest', async () => {
    const today = attendanceDays(config()).today();
    const g = await created('/api/v1/groups', { name: 'Class 5C' });
    const cy = await created('/api/v1/people', { firstname: 'Cy', lastname: 'Old' });
    for (let delta = -40; delta >= -44; delta--) await alertClaim(g, cy, addDays(today, delta));
    await alertClaim(g, cy, today);
    await reportClaim(g, 'daily', addDays(today, -1), addDays(today, -1));

    const mail = mailService();
    assert.deepEqual(await mail.pruneClaims({ batch: 2, batches: 2 }), { absenceAlertClaims: 4, registerReportClaims: 0 });
    // Oldest first: the one left is the newest of the old.
    assert.deepEqual(await alertDays(), [`${cy} ${addDays(today, -40)}`, `${cy} ${today}`].sort());
    assert.deepEqual(await mail.pruneClaims({ batch: 2, batches: 2 }), { absenceAlertClaims: 1, registerReportClaims: 0 });
    assert.deepEqual(await mail.pruneClaims(), { absenceAlertClaims: 0, registerReportClaims: 0 });
    assert.deepEqual(await alertDays(), [`${cy} ${today}`]);
    assert.deepEqual(await reportPeriods(), [`daily ${addDays(today, -1)}..${addDays(today, -1)}`]);
  });
});
