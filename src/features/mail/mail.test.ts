// E-mail against a real SMTP server in-process (smtp-server on 127.0.0.1, no authentication, every
// message kept with its raw source): badges arrive with their QR code inline; an absence alert arrives
// once however often the scheduler runs, and not for an excused or not-yet-due member; a refusal (550)
// is final and logged, a 451 is retried; without SMTP_URL nothing is queued and the API says so; viewers
// and leaders may neither send badges nor read the log.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { build, signIn, signInAs, type AdminSession, type TestApp } from '../../../test/support/app.js';
import { decoded, Inbox } from '../../../test/support/smtp-inbox.js';
import { loadConfig } from '../../config.js';
import { Changes } from '../../domain/changes.js';
import { serviceDeps } from '../../services.js';
import { GroupService } from '../groups/group-service.js';
import { OutboxWorker } from '../outbox/outbox-worker.js';
import { PersonService } from '../people/person-service.js';
import { MailService } from './mail-service.js';
import { mailHandler } from './mail-transport.js';

const json = <T>(response: LightMyRequestResponse) => JSON.parse(response.body) as T;

interface Message {
  id: number;
  purpose: string;
  recipient: string;
  subject: string;
  state: string;
  attempts: number;
  lastAttempt: { ok: boolean; status: number | null; error: string | null } | null;
}

describe('e-mail', () => {
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
      ORGANISATION_NAME: 'Greenfield & Co',
    };
    running = await build(env);
    owner = await signIn(running.app);
  });
  afterEach(async () => {
    // A message the inbox has received may not be recorded as delivered yet: stopping the worker then
    // would abort its attempt (recorded as failed, so retried), and the next test's worker would send it
    // again. Every test ends with its messages settled.
    if (workers.length > 0) await settled(0);
    for (const worker of workers.splice(0)) await worker.stop();
    inbox.refuse = () => null;
    inbox.arrived.length = 0;
  });
  after(async () => {
    await running.close();
    await inbox.close();
  });

  const startWorker = () => {
    const config = loadConfig({ DATABASE_URL: running.database.url, ...env });
    const worker = new OutboxWorker(
      running.db,
      new Changes(running.db),
      { mail: mailHandler(config.mail!, { retryDelaysSeconds: [0.2, 0.2], timeoutMs: 5_000 }) },
      { pollMs: 100 },
    ).start();
    workers.push(worker);
  };
  const person = async (firstname: string, email: string | null) => {
    const response = await owner.inject({
      method: 'POST',
      url: '/api/v1/people',
      payload: { firstname, lastname: 'Doe', ...(email ? { email } : {}) },
    });
    assert.equal(response.statusCode, 201, response.body);
    return json<{ id: number; badge: string }>(response);
  };
  const log = async () => json<{ configured: boolean; items: Message[] }>(await owner.inject({ url: '/api/v1/mail/messages' }));
  const settled = async (count: number) => {
    for (let i = 0; i < 200; i++) {
      const { items } = await log();
      if (items.length >= count && items.every((m) => m.state !== 'pending')) return items;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.fail('messages did not settle');
  };

  test('a badge arrives with its QR code inline and the code in the text; the log keeps no body', async () => {
    startWorker();
    const ada = await person('Ada', 'ada@example.org');
    const sent = await owner.inject({ method: 'POST', url: `/api/v1/people/${ada.id}/badge/send` });
    assert.equal(sent.statusCode, 202, sent.body);
    assert.deepEqual(json(sent), { queued: 1, withoutEmail: [] });
    const [mail] = await inbox.waitFor(1);
    assert.deepEqual(mail!.to, ['ada@example.org']);
    const text = decoded(mail!.raw);
    assert.match(text, /^From: Attendance <attendance@example\.org>/m);
    assert.match(text, /^Subject: Your badge for Greenfield & Co/m);
    assert.match(text, /Content-Type: image\/png/);
    assert.match(text, new RegExp(`Content-ID: <badge-${ada.id}@barona>`));
    assert.match(text, new RegExp(`src="cid:badge-${ada.id}@barona"`));
    assert.ok(text.includes(ada.badge), 'the code, to type by hand');
    assert.match(text, /Greenfield &amp; Co/, 'the HTML part escapes the organisation name');
    const png = /Content-Type: image\/png[\s\S]*?\r?\n\r?\n([A-Za-z0-9+/=\r\n]+)/.exec(mail!.raw)?.[1];
    assert.ok(png && Buffer.from(png.replace(/\s/g, ''), 'base64').subarray(1, 4).toString() === 'PNG', 'an inline PNG image');
    const [logged] = await settled(1);
    assert.equal(logged!.state, 'delivered');
    assert.equal(logged!.purpose, 'badge');
    assert.equal(logged!.recipient, 'ada@example.org');
    assert.equal(logged!.lastAttempt?.status, 250);
    const bodies = await running.database.query<{ body: string | null }>(`SELECT body FROM outbox_messages WHERE id = $1`, [logged!.id]);
    assert.equal(bodies[0]!.body, null, 'no body kept after sending');
    const audit = await running.database.query(`SELECT 1 FROM audit_log WHERE action = 'send-badge' AND entity_id = $1`, [String(ada.id)]);
    assert.equal(audit.length, 1);
  });

  test('from the badges page: everyone shown with an address gets one; the others are named', async () => {
    startWorker();
    const grace = await person('Grace', 'grace@example.org');
    const nobody = await person('Nomail', null);
    const page = await owner.inject({ url: `/admin/badges?person=${grace.id}&person=${nobody.id}` });
    assert.match(page.body, /Send badges by e-mail/);
    assert.match(page.body, /the 1 of 2 shown who have an e-mail address/);
    const posted = await owner.post('/admin/badges/send', { person: String(grace.id) });
    assert.equal(posted.statusCode, 200, posted.body);
    assert.match(posted.body, /1 badge queued/);
    const both = await owner.inject({
      method: 'POST',
      url: '/admin/badges/send',
      payload: `_csrf=${owner.csrf}&person=${grace.id}&person=${nobody.id}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.match(both.body, /1 badge queued for sending by e-mail; 1 without an e-mail address/);
    await inbox.waitFor(2);
    assert.deepEqual(
      inbox.arrived.map((m) => m.to[0]),
      ['grace@example.org', 'grace@example.org'],
    );
  });

  test('a 550 refusal is final and logged; a 451 is retried and then delivered', async () => {
    startWorker();
    inbox.refuse = (to, attempt) => {
      if (to === 'gone@example.org') return { code: 550, message: 'No such mailbox' };
      if (to === 'busy@example.org' && attempt === 1) return { code: 451, message: 'Try again later' };
      return null;
    };
    const gone = await person('Gone', 'gone@example.org');
    const busy = await person('Busy', 'busy@example.org');
    await owner.inject({ method: 'POST', url: `/api/v1/people/${gone.id}/badge/send` });
    await owner.inject({ method: 'POST', url: `/api/v1/people/${busy.id}/badge/send` });
    await inbox.waitFor(1);
    const items = await settled(2);
    const refused = items.find((m) => m.recipient === 'gone@example.org')!;
    const retried = items.find((m) => m.recipient === 'busy@example.org')!;
    assert.equal(refused.state, 'failed');
    assert.equal(refused.attempts, 1, 'never retried');
    assert.equal(refused.lastAttempt?.status, 550);
    assert.match(refused.lastAttempt?.error ?? '', /No such mailbox/);
    assert.equal(retried.state, 'delivered');
    assert.equal(retried.attempts, 2);
    const attempts = await running.database.query<{ ok: boolean; status: number }>(
      `SELECT ok, status FROM outbox_attempts WHERE outbox_id = $1 ORDER BY attempt`,
      [retried.id],
    );
    assert.deepEqual(
      attempts.map((a) => [a.ok, a.status]),
      [
        [false, 451],
        [true, 250],
      ],
    );
    assert.deepEqual(
      inbox.arrived.map((m) => m.to[0]),
      ['busy@example.org'],
    );
  });

  test('an absence alert reaches each contact once a day, not for an excused or not-yet-due member', async () => {
    startWorker();
    const today = new Date().toISOString().slice(0, 10);
    const createGroup = async (name: string, startTime: string) => {
      const response = await owner.inject({
        method: 'POST',
        url: '/api/v1/groups',
        payload: { name, schedule: { dates: [today], startTime, graceMinutes: 0 } },
      });
      assert.equal(response.statusCode, 201, response.body);
      return json<{ id: number }>(response).id;
    };
    const join = async (groupId: number, personId: number) => {
      const response = await owner.inject({
        method: 'PUT',
        url: `/api/v1/groups/${groupId}/members/${personId}`,
        payload: { since: today },
      });
      assert.ok([200, 201].includes(response.statusCode), response.body);
    };
    const contacts = async (personId: number, items: { email: string; name?: string }[]) => {
      const response = await owner.inject({ method: 'PUT', url: `/api/v1/people/${personId}/contacts`, payload: { items } });
      assert.equal(response.statusCode, 200, response.body);
    };
    const morning = await createGroup('Class <1A>', '00:00');
    const night = await createGroup('Night shift', '23:59');
    const absent = await person('Absent', null);
    const excused = await person('Excused', null);
    const later = await person('Later', null);
    await contacts(absent.id, [{ email: 'mum@example.org', name: 'Mum' }, { email: 'dad@example.org' }]);
    await contacts(excused.id, [{ email: 'excused-parent@example.org' }]);
    await contacts(later.id, [{ email: 'later-parent@example.org' }]);
    await join(morning, absent.id);
    await join(morning, excused.id);
    await join(night, later.id);
    const excuse = await owner.inject({
      method: 'PUT',
      url: `/api/v1/groups/${morning}/members/${excused.id}/excuses/${today}`,
      payload: { reason: 'dentist' },
    });
    assert.ok([200, 201].includes(excuse.statusCode), excuse.body);
    for (const id of [morning, night]) {
      const on = await owner.inject({ method: 'PATCH', url: `/api/v1/groups/${id}/alerts`, payload: { absenceAlerts: true } });
      assert.deepEqual(json(on), { absenceAlerts: true });
    }
    const badAddress = await owner.inject({
      method: 'PUT',
      url: `/api/v1/people/${absent.id}/contacts`,
      payload: { items: [{ email: 'nope' }] },
    });
    assert.equal(badAddress.statusCode, 400);
    assert.match(badAddress.body, /contacts\[0\]\.email/);

    const deps = serviceDeps(running.db, loadConfig({ DATABASE_URL: running.database.url, ...env }));
    const mail = new MailService(deps, new PersonService(deps), new GroupService(deps));
    assert.deepEqual(await mail.runAbsenceAlerts(), { queued: 2 });
    assert.deepEqual(await mail.runAbsenceAlerts(), { queued: 0 }, 'once a day');
    await inbox.waitFor(2);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(inbox.arrived.map((m) => m.to[0]).sort(), ['dad@example.org', 'mum@example.org']);
    const toMum = decoded(inbox.arrived.find((m) => m.to[0] === 'mum@example.org')!.raw);
    assert.match(toMum, /^Subject: Absent Doe has not arrived today \(Greenfield & Co\)/m);
    assert.match(toMum, /Hello Mum/);
    assert.match(toMum, /Class &lt;1A&gt;/, 'the group name escaped in the HTML part');
    assert.match(toMum, /Class <1A> by 00:00/, 'the group name and time in the text part');
  });

  test('viewers and leaders may neither send badges nor read the log', async () => {
    const someone = await person('Someone', 'someone@example.org');
    const viewer = await signInAs(running.app, owner, 'viewer', 'viewer');
    const leader = await signInAs(running.app, owner, 'leader', 'leader');
    const manager = await signInAs(running.app, owner, 'manager', 'manager');
    for (const session of [viewer, leader]) {
      assert.equal((await session.inject({ method: 'POST', url: `/api/v1/people/${someone.id}/badge/send` })).statusCode, 403);
      assert.equal((await session.inject({ url: '/api/v1/mail/messages' })).statusCode, 403);
      assert.equal((await session.inject({ url: '/admin/mail' })).statusCode, 403);
    }
    assert.equal((await manager.inject({ url: '/api/v1/mail/messages' })).statusCode, 200);
    const page = await manager.inject({ url: '/admin/mail' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /E-mail is configured/);
  });
});

describe('e-mail not configured', () => {
  let running: TestApp;
  let owner: AdminSession;
  before(async () => {
    running = await build({ AUTH_MODE: 'token' });
    owner = await signIn(running.app);
  });
  after(() => running.close());

  test('nothing is queued, the API answers 503 and the pages say so', async () => {
    const created = await owner.inject({
      method: 'POST',
      url: '/api/v1/people',
      payload: { firstname: 'Ada', lastname: 'L', email: 'ada@example.org' },
    });
    const { id } = json<{ id: number }>(created);
    const sent = await owner.inject({ method: 'POST', url: `/api/v1/people/${id}/badge/send` });
    assert.equal(sent.statusCode, 503);
    assert.match(sent.headers['content-type'] as string, /application\/problem\+json/);
    assert.match(sent.body, /e-mail is not configured/);
    assert.equal((await running.database.query(`SELECT 1 FROM outbox_messages`)).length, 0);
    const messages = await owner.inject({ url: '/api/v1/mail/messages' });
    assert.equal(json<{ configured: boolean }>(messages).configured, false);
    const page = await owner.inject({ url: '/admin/mail' });
    assert.match(page.body, /E-mail is not configured: nothing is sent or queued/);
    const badges = await owner.inject({ url: `/admin/badges?person=${id}` });
    assert.match(badges.body, /E-mail is not configured: badges cannot be sent/);
    const posted = await owner.post('/admin/badges/send', { person: String(id) });
    assert.equal(posted.statusCode, 503);
    const deps = serviceDeps(running.db, loadConfig({ DATABASE_URL: running.database.url }));
    assert.deepEqual(await new MailService(deps, new PersonService(deps), new GroupService(deps)).runAbsenceAlerts(), { queued: 0 });
  });
});
