// Register reports, staff e-mail, the e-mail forms of the person and group pages, and an erased person's
// mail, against a real SMTP server in-process (test/support/smtp-inbox.ts) and a real database: the
// daily report reaches the group's leaders with an address (nobody else) once however often and on
// however many replicas the scheduler runs; the weekly one on Mondays; viewers and leaders may not
// change the schedule; mail still queued for a person who is erased is never sent.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { build, signIn, signInAs, STAFF_PASSWORD, type AdminSession, type TestApp } from '../../../test/support/app.js';
import { decoded, Inbox } from '../../../test/support/smtp-inbox.js';
import { loadConfig } from '../../config.js';
import { addDays, attendanceDays } from '../../domain/attendance-day.js';
import { Changes } from '../../domain/changes.js';
import { serviceDeps } from '../../services.js';
import { GroupService } from '../groups/group-service.js';
import { OutboxWorker } from '../outbox/outbox-worker.js';
import { PersonService } from '../people/person-service.js';
import { MailService } from './mail-service.js';
import { absenceAlertMail, badgeMail, registerReportMail } from './mail-templates.js';
import { mailHandler } from './mail-transport.js';

const json = <T>(response: LightMyRequestResponse) => JSON.parse(response.body) as T;

describe('register reports and e-mail forms', () => {
  let inbox: Inbox;
  let running: TestApp;
  let owner: AdminSession;
  let env: Record<string, string>;
  const workers: OutboxWorker[] = [];

  before(async () => {
    inbox = await new Inbox().start();
    env = {
      AUTH_MODE: 'token',
      SMTP_URL: inbox.url,
      MAIL_FROM: 'Attendance <attendance@example.org>',
      ORGANISATION_NAME: 'Hillside School',
    };
    running = await build(env);
    owner = await signIn(running.app);
  });
  afterEach(async () => {
    for (const worker of workers.splice(0)) await worker.stop();
    inbox.arrived.length = 0;
  });
  after(async () => {
    await running.close();
    await inbox.close();
  });

  const config = () => loadConfig({ DATABASE_URL: running.database.url, ...env });
  const startWorker = () => {
    const worker = new OutboxWorker(
      running.db,
      new Changes(running.db),
      { mail: mailHandler(config().mail!, { db: running.db, retryDelaysSeconds: [0.2], timeoutMs: 5_000 }) },
      { pollMs: 100 },
    ).start();
    workers.push(worker);
  };
  const mailService = () => {
    const deps = serviceDeps(running.db, config());
    return new MailService(deps, new PersonService(deps), new GroupService(deps));
  };
  const ok = (response: LightMyRequestResponse, ...statuses: number[]) => {
    assert.ok((statuses.length ? statuses : [200, 201]).includes(response.statusCode), `${response.statusCode} ${response.body}`);
    return response;
  };
  const person = async (firstname: string, lastname: string, email?: string) =>
    json<{ id: number }>(
      ok(await owner.inject({ method: 'POST', url: '/api/v1/people', payload: { firstname, lastname, ...(email ? { email } : {}) } })),
    ).id;
  const group = async (name: string, dates: string[], startTime = '09:00') =>
    json<{ id: number }>(
      ok(
        await owner.inject({
          method: 'POST',
          url: '/api/v1/groups',
          payload: { name, schedule: { dates, startTime, graceMinutes: startTime === '00:00' ? 0 : 5 } },
        }),
      ),
    ).id;
  const join = async (groupId: number, personId: number, since: string) =>
    ok(await owner.inject({ method: 'PUT', url: `/api/v1/groups/${groupId}/members/${personId}`, payload: { since } }));
  const mark = async (groupId: number, day: string, personId: number, status: string) =>
    ok(await owner.inject({ method: 'PUT', url: `/api/v1/groups/${groupId}/register/${day}/${personId}`, payload: { status } }));
  const staff = async (username: string, role: string, groups: number[], email?: string) =>
    json<{ id: number; email: string | null }>(
      ok(
        await owner.inject({
          method: 'POST',
          url: '/api/v1/users',
          payload: { username, password: STAFF_PASSWORD, role, ...(role === 'leader' ? { groups } : {}), ...(email ? { email } : {}) },
        }),
      ),
    );
  const schedule = async (groupId: number, value: string) =>
    ok(await owner.inject({ method: 'PUT', url: `/api/v1/groups/${groupId}/reports`, payload: { schedule: value } }));

  test('a daily report reaches the leaders with an address once, with counts and the absent and late by name', async () => {
    startWorker();
    const today = attendanceDays(config()).today();
    const yesterday = addDays(today, -1);
    const g = await group('Class <4B>', [yesterday, today]);
    const other = await group('Class 5C', [yesterday]);
    const ada = await person('Ada', 'Lovelace');
    const bob = await person('Bob', 'Late');
    const cy = await person('Cy', 'Away');
    const dee = await person('Dee', 'Excused');
    for (const id of [ada, bob, cy, dee]) await join(g, id, yesterday);
    await mark(g, yesterday, ada, 'present');
    await mark(g, yesterday, bob, 'late');
    ok(await owner.inject({ method: 'PUT', url: `/api/v1/groups/${g}/members/${dee}/excuses/${yesterday}`, payload: { reason: 'ill' } }));
    await staff('lena', 'leader', [g], 'lena@example.org');
    await staff('nomail', 'leader', [g]);
    await staff('otto', 'leader', [other], 'otto@example.org');
    await staff('mira', 'manager', [], 'mira@example.org');

    assert.deepEqual(json(await owner.inject({ url: `/api/v1/groups/${g}/reports` })), { schedule: 'off', recipients: 1 });
    assert.deepEqual(json(await schedule(g, 'daily')), { schedule: 'daily', recipients: 1 });

    // Two replicas at once, then again: one report per period.
    const [first, second] = await Promise.all([mailService().runRegisterReports(), mailService().runRegisterReports()]);
    assert.equal(first.queued + second.queued, 1, 'one replica queued it');
    assert.deepEqual(await mailService().runRegisterReports(), { queued: 0 }, 'not twice');
    const [mail] = await inbox.waitFor(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(inbox.arrived.length, 1);
    assert.deepEqual(mail!.to, ['lena@example.org']);
    const text = decoded(mail!.raw);
    assert.match(text, /^Subject: Register of Class <4B>, \w+,? \d+ \w+ \d{4} \(Hillside School\)/m);
    assert.match(text, /Hello lena/);
    assert.match(text, /1 present, 1 late, 1 absent, 1 excused/);
    assert.match(text, /Absent: Cy Away\r?\n/);
    assert.match(text, /Late: Bob Late\r?\n/);
    assert.match(text, /Class &lt;4B&gt;/, 'the HTML part escapes the group name');
    assert.match(text, /Content-Type: text\/html/);
    assert.match(text, /Hillside School · sent by the attendance register/);
    const log = json<{ items: { purpose: string; recipient: string; groupId: number }[] }>(
      await owner.inject({ url: '/api/v1/mail/messages' }),
    );
    assert.deepEqual(
      log.items.filter((m) => m.purpose === 'register-report').map((m) => [m.recipient, m.groupId]),
      [['lena@example.org', g]],
    );
    const audit = await running.database.query(`SELECT 1 FROM audit_log WHERE action = 'register-report' AND entity_id = $1`, [String(g)]);
    assert.equal(audit.length, 1);
  });

  test('a weekly report goes on Mondays with the last seven days', async () => {
    const monday = '2026-11-30';
    const g = await group('Weekly crew', ['2026-11-23', '2026-11-24', '2026-11-30']);
    const eve = await person('Eve', 'Week');
    await join(g, eve, '2026-11-01');
    await mark(g, '2026-11-23', eve, 'late');
    await staff('wendy', 'leader', [g], 'wendy@example.org');
    await schedule(g, 'weekly');
    const mail = mailService();
    assert.deepEqual(await mail.runRegisterReports('2026-12-01'), { queued: 0 }, 'not on a Tuesday');
    startWorker();
    assert.deepEqual(await mail.runRegisterReports(monday), { queued: 1 });
    assert.deepEqual(await mail.runRegisterReports(monday), { queued: 0 });
    const [arrived] = await inbox.waitFor(1);
    const text = decoded(arrived!.raw);
    assert.match(text, /^Subject: Register of Weekly crew, week of Monday,? 23 November 2026/m);
    assert.match(
      text,
      /from Monday,? 23 November 2026 to Sunday,? 29 November 2026 \(2 scheduled days\): 0 present, 1 late, 1 absent, 0 excused/,
    );
    assert.match(text, /Absent: Eve Week \(Tue 24 Nov\)/);
    assert.match(text, /Late: Eve Week \(Mon 23 Nov\)/);
    const claimed = await running.database.query<{ period_start: string }>(
      `SELECT period_start::text FROM register_reports_sent WHERE group_id = $1`,
      [g],
    );
    assert.deepEqual(claimed, [{ period_start: '2026-11-23' }]);
  });

  test('viewers and leaders may not change a report; a leader reads their own group only; a bad schedule is a 400', async () => {
    const g = await group('Roles group', ['2026-11-23']);
    const elsewhere = await group('Elsewhere', ['2026-11-23']);
    const viewer = await signInAs(running.app, owner, 'rviewer', 'viewer');
    const leader = await signInAs(running.app, owner, 'rleader', 'leader', [g]);
    const manager = await signInAs(running.app, owner, 'rmanager', 'manager');
    for (const session of [viewer, leader]) {
      const refused = await session.inject({ method: 'PUT', url: `/api/v1/groups/${g}/reports`, payload: { schedule: 'daily' } });
      assert.equal(refused.statusCode, 403, refused.body);
    }
    assert.equal((await leader.inject({ url: `/api/v1/groups/${g}/reports` })).statusCode, 200);
    assert.equal((await leader.inject({ url: `/api/v1/groups/${elsewhere}/reports` })).statusCode, 404);
    assert.equal((await viewer.inject({ url: `/api/v1/groups/${g}/reports` })).statusCode, 200);
    const set = await manager.inject({ method: 'PUT', url: `/api/v1/groups/${g}/reports`, payload: { schedule: 'weekly' } });
    assert.equal(set.statusCode, 200, set.body);
    const bad = await owner.inject({ method: 'PUT', url: `/api/v1/groups/${g}/reports`, payload: { schedule: 'hourly' } });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /schedule/);
    assert.equal(
      (await owner.inject({ method: 'PUT', url: '/api/v1/groups/999999/reports', payload: { schedule: 'off' } })).statusCode,
      404,
    );
    // The group page: a form for owners and managers, the settings in words for a leader.
    assert.match((await leader.inject({ url: `/admin/groups/${g}` })).body, /id="group-mail-settings"[\s\S]*weekly/);
    assert.equal((await leader.post(`/admin/groups/${g}/mail`, { schedule: 'off' })).statusCode, 403);
    assert.deepEqual(json(await owner.inject({ url: `/api/v1/groups/${g}/reports` })), { schedule: 'weekly', recipients: 0 });
  });

  test('staff e-mail: taken by the API and the staff page, checked (400 naming the field), shown', async () => {
    const bad = await owner.inject({
      method: 'POST',
      url: '/api/v1/users',
      payload: { username: 'badmail', password: STAFF_PASSWORD, role: 'viewer', email: 'not an address' },
    });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /"field":"email"/);
    const created = await staff('sam', 'viewer', [], 'sam@example.org');
    assert.equal(created.email, 'sam@example.org');
    const changed = await owner.inject({ method: 'PATCH', url: `/api/v1/users/${created.id}`, payload: { email: 'sam@school.example' } });
    assert.equal(json<{ email: string }>(changed).email, 'sam@school.example');
    const cleared = await owner.inject({ method: 'PATCH', url: `/api/v1/users/${created.id}`, payload: { email: null } });
    assert.equal(json<{ email: string | null }>(cleared).email, null);
    const badPatch = await owner.inject({ method: 'PATCH', url: `/api/v1/users/${created.id}`, payload: { email: 'x@' } });
    assert.equal(badPatch.statusCode, 400);
    assert.match(badPatch.body, /"field":"email"/);

    const added = await owner.post('/admin/users', {
      username: 'pagey',
      password: STAFF_PASSWORD,
      role: 'viewer',
      email: 'pagey@example.org',
    });
    assert.equal(added.statusCode, 303, added.body);
    const page = await owner.inject({ url: '/admin/users' });
    assert.match(page.body, /pagey@example.org/);
    assert.match(page.body, /id="new-email"/);
    const refused = await owner.post('/admin/users', { username: 'pagey2', password: STAFF_PASSWORD, role: 'viewer', email: 'nope' });
    assert.equal(refused.statusCode, 400);
    assert.match(refused.body, /email: must be an e-mail address/);
    const pagey = json<{ items: { id: number; username: string }[] }>(await owner.inject({ url: '/api/v1/users' })).items.find(
      (u) => u.username === 'pagey',
    )!;
    const edited = await owner.post(`/admin/users/${pagey.id}`, { role: 'viewer', email: 'pagey@school.example' });
    assert.equal(edited.statusCode, 303, edited.body);
    assert.equal(json<{ email: string }>(await owner.inject({ url: `/api/v1/users/${pagey.id}` })).email, 'pagey@school.example');
  });

  test('the person page lists, adds and removes contacts; the group page sets alerts and the report', async () => {
    const id = await person('Page', 'Person');
    const added = await owner.post(`/admin/people/${id}/contacts`, { email: 'mum@example.org', name: 'Mum' });
    assert.equal(added.statusCode, 303, added.body);
    await owner.post(`/admin/people/${id}/contacts`, { email: 'dad@example.org', name: '' });
    const shown = await owner.inject({ url: `/admin/people/${id}?done=contact-added` });
    assert.match(shown.body, /Contact added/);
    assert.match(shown.body, /id="contact-list"[\s\S]*Mum · <span class="mono">mum@example.org[\s\S]*dad@example.org/);
    assert.doesNotMatch(shown.body, /E-mail is not configured/);
    const bad = await owner.post(`/admin/people/${id}/contacts`, { email: 'nope', name: 'X' });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /id="contact-email-error">email must be an e-mail address/);
    const twice = await owner.post(`/admin/people/${id}/contacts`, { email: 'MUM@example.org', name: '' });
    assert.equal(twice.statusCode, 400);
    assert.match(twice.body, /is given twice/);
    const removed = await owner.post(`/admin/people/${id}/contacts/remove`, { email: 'mum@example.org' });
    assert.equal(removed.statusCode, 303);
    assert.deepEqual(json(await owner.inject({ url: `/api/v1/people/${id}/contacts` })), {
      items: [{ email: 'dad@example.org', name: '' }],
    });
    const viewer = await signInAs(running.app, owner, 'cviewer', 'viewer');
    const viewed = await viewer.inject({ url: `/admin/people/${id}` });
    assert.match(viewed.body, /dad@example.org/);
    assert.doesNotMatch(viewed.body, /Add contact/);
    assert.equal((await viewer.post(`/admin/people/${id}/contacts`, { email: 'x@example.org' })).statusCode, 403);

    const g = await group('Form group', ['2026-11-23']);
    const page = await owner.inject({ url: `/admin/groups/${g}` });
    assert.match(page.body, /id="absence-alerts"/);
    assert.match(page.body, /No leader of this group has an e-mail address/);
    const saved = await owner.post(`/admin/groups/${g}/mail`, { absenceAlerts: 'on', schedule: 'daily' });
    assert.equal(saved.statusCode, 303, saved.body);
    assert.deepEqual(json(await owner.inject({ url: `/api/v1/groups/${g}/alerts` })), { absenceAlerts: true });
    assert.deepEqual(json(await owner.inject({ url: `/api/v1/groups/${g}/reports` })), { schedule: 'daily', recipients: 0 });
    const off = await owner.post(`/admin/groups/${g}/mail`, { schedule: 'off' });
    assert.equal(off.statusCode, 303);
    assert.deepEqual(json(await owner.inject({ url: `/api/v1/groups/${g}/alerts` })), { absenceAlerts: false });
    const refused = await owner.post(`/admin/groups/${g}/mail`, { absenceAlerts: 'on', schedule: 'hourly' });
    assert.equal(refused.statusCode, 400);
    assert.match(refused.body, /schedule: must be one of off, daily, weekly/);
    assert.deepEqual(json(await owner.inject({ url: `/api/v1/groups/${g}/alerts` })), { absenceAlerts: false }, 'nothing changed');
  });

  test('mail still queued for a person who is erased is never sent: badges to them, alerts to their contacts', async () => {
    const today = attendanceDays(config()).today();
    const g = await group('Erasure group', [today], '00:00');
    const gone = await person('Gone', 'Soon', 'gone@example.org');
    const stays = await person('Stays', 'Here', 'stays@example.org');
    await join(g, gone, today);
    ok(
      await owner.inject({
        method: 'PUT',
        url: `/api/v1/people/${gone}/contacts`,
        payload: { items: [{ email: 'gone-parent@example.org' }] },
      }),
    );
    ok(await owner.inject({ method: 'PATCH', url: `/api/v1/groups/${g}/alerts`, payload: { absenceAlerts: true } }));
    // Queued while no worker runs: a badge to the person, an alert to their contact, a badge to someone else.
    ok(await owner.inject({ method: 'POST', url: `/api/v1/people/${gone}/badge/send` }), 202);
    assert.ok((await mailService().runAbsenceAlerts()).queued >= 1);
    ok(await owner.inject({ method: 'POST', url: `/api/v1/people/${stays}/badge/send` }), 202);
    const queued = await running.database.query<{ id: number }>(
      `SELECT outbox_id AS id FROM mail_messages WHERE person_id = $1 ORDER BY outbox_id`,
      [gone],
    );
    assert.equal(queued.length, 2);
    ok(await owner.inject({ method: 'POST', url: `/api/v1/people/${gone}/erase` }));
    startWorker();
    await inbox.waitFor(1);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.deepEqual(
      inbox.arrived.map((m) => m.to[0]),
      ['stays@example.org'],
    );
    const rows = await running.database.query<{ state: string; body: string | null }>(
      `SELECT state, body FROM outbox_messages WHERE id = ANY ($1::bigint[])`,
      [queued.map((q) => q.id)],
    );
    assert.deepEqual(rows, [
      { state: 'cancelled', body: null },
      { state: 'cancelled', body: null },
    ]);
    assert.equal((await running.database.query(`SELECT 1 FROM mail_messages WHERE person_id = $1`, [gone])).length, 0, 'no log about them');
  });

  test('a message cancelled after it was claimed is not sent', async () => {
    const id = await person('Claimed', 'Late', 'claimed@example.org');
    ok(await owner.inject({ method: 'POST', url: `/api/v1/people/${id}/badge/send` }), 202);
    const [row] = await running.database.query<{ id: number; message_id: string; body: string }>(
      `SELECT m.id, m.message_id, m.body FROM outbox_messages m JOIN mail_messages l ON l.outbox_id = m.id WHERE l.person_id = $1`,
      [id],
    );
    // Claimed by a worker (the message in hand), then its person erased before the worker sends it.
    ok(await owner.inject({ method: 'POST', url: `/api/v1/people/${id}/erase` }));
    const handler = mailHandler(config().mail!, { db: running.db, timeoutMs: 5_000 });
    const outcome = await handler.deliver(
      {
        id: row!.id,
        kind: 'mail',
        targetId: null,
        messageId: row!.message_id,
        eventType: 'badge',
        body: row!.body,
        attempt: 1,
        createdAt: '',
      },
      new AbortController().signal,
    );
    assert.ok('cancelled' in outcome, JSON.stringify(outcome));
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(inbox.arrived.length, 0);
  });
});

describe('register reports without e-mail configured', () => {
  let running: TestApp;
  let owner: AdminSession;
  before(async () => {
    running = await build({ AUTH_MODE: 'token' });
    owner = await signIn(running.app);
  });
  after(() => running.close());

  test('nothing is queued and the person and group pages say so', async () => {
    const group = json<{ id: number }>(
      await owner.inject({ method: 'POST', url: '/api/v1/groups', payload: { name: 'Quiet', schedule: { dates: ['2026-11-23'] } } }),
    );
    assert.equal(
      (await owner.inject({ method: 'PUT', url: `/api/v1/groups/${group.id}/reports`, payload: { schedule: 'daily' } })).statusCode,
      200,
    );
    const deps = serviceDeps(running.db, loadConfig({ DATABASE_URL: running.database.url }));
    assert.deepEqual(await new MailService(deps, new PersonService(deps), new GroupService(deps)).runRegisterReports('2026-11-24'), {
      queued: 0,
    });
    assert.match(
      (await owner.inject({ url: `/admin/groups/${group.id}` })).body,
      /E-mail is not configured: no alerts or reports are sent/,
    );
    const person = json<{ id: number }>(
      await owner.inject({ method: 'POST', url: '/api/v1/people', payload: { firstname: 'Q', lastname: 'P' } }),
    );
    assert.match((await owner.inject({ url: `/admin/people/${person.id}` })).body, /E-mail is not configured: nothing is sent to contacts/);
  });
});

describe('MAIL_LANGUAGE', () => {
  const org = { name: 'Grundschule Am Hang', timezone: 'Europe/Berlin', language: 'de' as const };
  test('German: the report, the absence alert and the badge speak German, the HTML says lang="de"', () => {
    const report = registerReportMail(org, {
      leaderName: 'lena',
      groupName: 'Klasse 4b',
      schedule: 'daily',
      from: '2026-11-24',
      to: '2026-11-24',
      days: ['2026-11-24'],
      members: [
        {
          name: 'Ada L',
          present: 0,
          late: 1,
          absent: 0,
          excused: 0,
          absentDays: [],
          lateDays: [{ day: '2026-11-24', at: '08:12' }],
          status: 'late',
          arrivedAt: '08:12',
        },
        {
          name: 'Cy A',
          present: 0,
          late: 0,
          absent: 1,
          excused: 0,
          absentDays: ['2026-11-24'],
          lateDays: [],
          status: 'absent',
          arrivedAt: null,
        },
      ],
    });
    assert.equal(report.subject, 'Anwesenheit Klasse 4b, Dienstag, 24. November 2026 (Grundschule Am Hang)');
    assert.match(report.text, /^Guten Tag lena,/);
    assert.match(report.text, /0 anwesend, 1 verspätet, 1 abwesend, 0 entschuldigt/);
    assert.match(report.text, /Abwesend: Cy A\nVerspätet: Ada L, angekommen 08:12 Uhr/);
    assert.match(report.text, /versandt vom Anwesenheitsregister/);
    assert.match(report.html, /<html lang="de">/);
    const alert = absenceAlertMail(org, {
      contactName: 'Frau A',
      firstname: 'Cy',
      lastname: 'A',
      groupName: 'Klasse 4b',
      day: '2026-11-24',
      expectedBy: '08:05',
    });
    assert.equal(alert.subject, 'Cy A ist heute nicht angekommen (Grundschule Am Hang)');
    assert.match(alert.text, /Cy A wurde am Dienstag, 24\. November 2026 bis 08:05 Uhr bei Klasse 4b erwartet/);
    const badge = badgeMail(org, { firstname: 'Cy', lastname: 'A', badge: 'CODE', imageCid: 'x@y' });
    assert.equal(badge.subject, 'Ihr Ausweis für Grundschule Am Hang');
    assert.match(badge.html, /alt="QR-Code des Ausweises von Cy A"/);
  });
  test('English stays the default', () => {
    const alert = absenceAlertMail(
      { name: 'Org', timezone: 'UTC' },
      { contactName: '', firstname: 'Cy', lastname: 'A', groupName: 'G', day: '2026-11-24', expectedBy: null },
    );
    assert.match(alert.text, /^Hello,\n\nCy A was expected at G on Tuesday,? 24 November 2026 and has not arrived, nor been excused\./);
    assert.match(alert.html, /<html lang="en">/);
  });
});
