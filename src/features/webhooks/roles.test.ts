// Webhooks by role and their checks, over HTTP (inject) against PostgreSQL: owners and managers make,
// list, change, rotate and remove endpoints; leaders and viewers are refused (403), anonymous callers
// 401. URLs are http(s) only, to public addresses unless WEBHOOK_ALLOW_PRIVATE_NETWORKS=true; the secret
// is shown once and never audited.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { build, signIn, signInAs, type AdminSession, type TestApp } from '../../../test/support/app.js';
import { isBlockedAddress } from './network-guard.js';

interface Webhook {
  id: number;
  url: string;
  events: string[];
  state: string;
  enabled: boolean;
  secret?: string;
}

const json = <T>(response: LightMyRequestResponse) => JSON.parse(response.body) as T;

function assertProblem(response: LightMyRequestResponse, status: number, field?: string) {
  assert.equal(response.statusCode, status, response.body);
  assert.match(response.headers['content-type'] as string, /^application\/problem\+json/);
  if (field) {
    const problem = json<{ detail: string; errors?: { field: string }[] }>(response);
    assert.ok(
      problem.errors?.some((e) => e.field === field),
      `names ${field}: ${response.body}`,
    );
    assert.match(problem.detail, new RegExp(field));
  }
}

/** A secret as Standard Webhooks gives it: whsec_ and base64 of at least 24 random bytes. */
function assertSecret(secret: string | undefined) {
  assert.match(secret ?? '', /^whsec_[A-Za-z0-9+/]+={0,2}$/);
  assert.ok(Buffer.from(secret!.slice(6), 'base64').length >= 24);
}

describe('webhooks by role', () => {
  let running: TestApp;
  let owner: AdminSession;
  let manager: AdminSession;
  let leader: AdminSession;
  let viewer: AdminSession;

  before(async () => {
    // Private targets allowed here so endpoints can be made; the refusal without the flag is below.
    running = await build({ AUTH_MODE: 'token', WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' });
    owner = await signIn(running.app);
    manager = await signInAs(running.app, owner, 'manager', 'manager');
    leader = await signInAs(running.app, owner, 'leader', 'leader');
    viewer = await signInAs(running.app, owner, 'viewer', 'viewer');
  });
  after(() => running.close());

  test('owner and manager make, list, change, rotate and remove; the secret is shown once and never audited', async () => {
    const created = await manager.inject({
      method: 'POST',
      url: '/api/v1/webhooks',
      payload: { url: 'http://127.0.0.1:9/hook', events: ['checkin.created', 'person.erased'], description: 'HR system' },
    });
    assert.equal(created.statusCode, 201, created.body);
    assert.equal(created.headers['cache-control'], 'no-store');
    const hook = json<Webhook>(created);
    assertSecret(hook.secret);
    assert.equal(hook.state, 'enabled');
    assert.deepEqual(hook.events, ['checkin.created', 'person.erased']);
    assert.equal(created.headers.location, `/api/v1/webhooks/${hook.id}`);

    const listed = json<{ items: Webhook[] }>(await owner.inject({ url: '/api/v1/webhooks' }));
    assert.deepEqual(
      listed.items.map((item) => item.id),
      [hook.id],
    );
    assert.ok(!('secret' in listed.items[0]!), 'no secret in a list');
    const one = json<Webhook>(await owner.inject({ url: `/api/v1/webhooks/${hook.id}` }));
    assert.ok(!('secret' in one));

    const rotated = await owner.inject({ method: 'PATCH', url: `/api/v1/webhooks/${hook.id}`, payload: { rotateSecret: true } });
    assert.equal(rotated.statusCode, 200, rotated.body);
    assertSecret(json<Webhook>(rotated).secret);
    assert.notEqual(json<Webhook>(rotated).secret, hook.secret);
    const [stored] = await running.database.query<{ secret: string }>('SELECT secret FROM webhook_endpoints WHERE id = $1', [hook.id]);
    assert.equal(stored!.secret, json<Webhook>(rotated).secret, 'the new secret signs from now on');

    const changed = await owner.inject({
      method: 'PATCH',
      url: `/api/v1/webhooks/${hook.id}`,
      payload: { events: ['checkin.deleted'], enabled: false, description: 'paused' },
    });
    assert.equal(changed.statusCode, 200, changed.body);
    assert.equal(json<Webhook>(changed).state, 'disabled');
    assert.ok(!('secret' in json<Webhook>(changed)), 'no secret unless rotated');

    const audit = await running.database.query<{ action: string; before: unknown; after: unknown }>(
      `SELECT action, before, after FROM audit_log WHERE entity = 'webhook' AND entity_id = $1 ORDER BY id`,
      [String(hook.id)],
    );
    assert.deepEqual(
      audit.map((row) => row.action),
      ['create', 'update', 'update'],
    );
    const written = JSON.stringify(audit);
    assert.ok(!written.includes('whsec_'), 'no secret in the audit log');
    assert.ok(written.includes('secretRotated'));

    assert.equal((await manager.inject({ method: 'DELETE', url: `/api/v1/webhooks/${hook.id}` })).statusCode, 204);
    assertProblem(await manager.inject({ url: `/api/v1/webhooks/${hook.id}` }), 404);
    assertProblem(await manager.inject({ url: `/api/v1/webhooks/${hook.id}/deliveries` }), 404);
  });

  test('leaders and viewers are refused (403), anonymous callers 401', async () => {
    const hook = json<Webhook>(
      await owner.inject({
        method: 'POST',
        url: '/api/v1/webhooks',
        payload: { url: 'http://127.0.0.1:9/x', events: ['checkin.created'] },
      }),
    );
    for (const who of [leader, viewer]) {
      assertProblem(await who.inject({ url: '/api/v1/webhooks' }), 403);
      assertProblem(
        await who.inject({
          method: 'POST',
          url: '/api/v1/webhooks',
          payload: { url: 'http://127.0.0.1:9/y', events: ['checkin.created'] },
        }),
        403,
      );
      assertProblem(await who.inject({ url: `/api/v1/webhooks/${hook.id}` }), 403);
      assertProblem(await who.inject({ method: 'PATCH', url: `/api/v1/webhooks/${hook.id}`, payload: { rotateSecret: true } }), 403);
      assertProblem(await who.inject({ method: 'DELETE', url: `/api/v1/webhooks/${hook.id}` }), 403);
      assertProblem(await who.inject({ url: `/api/v1/webhooks/${hook.id}/deliveries` }), 403);
      assert.equal((await who.inject({ url: '/admin/webhooks' })).statusCode, 403);
      assert.doesNotMatch((await who.inject({ url: '/admin/groups' })).body, /href="\/admin\/webhooks"/, 'not in the navigation');
    }
    assertProblem(await running.app.inject({ url: '/api/v1/webhooks' }), 401);
    assertProblem(await running.app.inject({ method: 'POST', url: '/api/v1/webhooks', payload: {} }), 401);
    assert.match((await manager.inject({ url: '/admin/groups' })).body, /href="\/admin\/webhooks"/, 'a manager finds it in the navigation');
    const [{ count }] = (await running.database.query<{ count: number }>(`SELECT count(*)::int AS count FROM webhook_endpoints`)) as [
      { count: number },
    ];
    assert.equal(count, 1, 'nothing was made by the refused');
  });

  test('only http(s) URLs; bad events and descriptions are 400 naming the field', async () => {
    const post = (payload: object) => owner.inject({ method: 'POST', url: '/api/v1/webhooks', payload });
    assertProblem(await post({ url: 'file:///etc/passwd', events: ['checkin.created'] }), 400, 'url');
    assertProblem(await post({ url: 'ftp://example.org/', events: ['checkin.created'] }), 400, 'url');
    assertProblem(await post({ url: 'not a url', events: ['checkin.created'] }), 400, 'url');
    assertProblem(await post({ url: 'http://user:pw@127.0.0.1/', events: ['checkin.created'] }), 400, 'url');
    assertProblem(await post({ url: 'http://127.0.0.1/', events: [] }), 400, 'events');
    assertProblem(await post({ url: 'http://127.0.0.1/', events: ['checkin.exploded'] }), 400, 'events.0');
    assertProblem(await post({ url: 'http://127.0.0.1/', events: ['checkin.created'], secret: 'mine' }), 400);
    assertProblem(await post({ url: 'http://127.0.0.1/', events: ['checkin.created'], description: 'x'.repeat(201) }), 400, 'description');
    const hook = json<Webhook>(await post({ url: 'http://127.0.0.1:9/', events: ['checkin.created'] }));
    assertProblem(
      await owner.inject({ method: 'PATCH', url: `/api/v1/webhooks/${hook.id}`, payload: { url: 'file:///tmp/x' } }),
      400,
      'url',
    );
    assertProblem(await owner.inject({ url: `/api/v1/webhooks/${hook.id}/deliveries?cursor=nonsense` }), 400, 'cursor');
    assertProblem(await owner.inject({ method: 'PATCH', url: `/api/v1/webhooks/${hook.id}`, payload: {} }), 400, 'body');
    assertProblem(await owner.inject({ url: `/api/v1/webhooks/${hook.id}/deliveries?limit=0` }), 400, 'limit');
  });

  test('the page: list, create (secret shown once), rotate, disable, enable, delete, the delivery log', async () => {
    const created = await owner.post('/admin/webhooks', {
      url: 'http://127.0.0.1:9/page',
      description: 'from the page',
      event: 'checkin.created',
    });
    assert.equal(created.statusCode, 200, created.body);
    const secret = /value="(whsec_[^"]+)"/.exec(created.body)?.[1];
    assertSecret(secret);
    const [row] = await running.database.query<{ id: string }>(`SELECT id FROM webhook_endpoints WHERE url = 'http://127.0.0.1:9/page'`);
    const id = Number(row!.id);
    assert.match(created.body, new RegExp(`data-webhook-id="${id}"`));
    const listed = await owner.inject({ url: '/admin/webhooks' });
    assert.doesNotMatch(listed.body, /whsec_/, 'the secret is not shown again');
    assert.match(listed.body, /from the page/);

    const rotated = await owner.post(`/admin/webhooks/${id}/rotate`, {});
    assert.equal(rotated.statusCode, 200);
    const next = /value="(whsec_[^"]+)"/.exec(rotated.body)?.[1];
    assertSecret(next);
    assert.notEqual(next, secret);
    assert.equal((await owner.post(`/admin/webhooks/${id}/disable`, {})).statusCode, 303);
    assert.match((await owner.inject({ url: '/admin/webhooks' })).body, /disabled/);
    assert.equal((await owner.post(`/admin/webhooks/${id}/enable`, {})).statusCode, 303);
    const log = await owner.inject({ url: `/admin/webhooks/${id}` });
    assert.equal(log.statusCode, 200);
    assert.match(log.body, /Nothing was sent to this endpoint yet/);
    const refused = await owner.post('/admin/webhooks', { url: 'file:///etc/passwd', event: 'checkin.created' });
    assert.equal(refused.statusCode, 400);
    assert.match(refused.body, /url: must be an http/);
    assert.equal((await owner.post(`/admin/webhooks/${id}/delete`, {})).statusCode, 303);
    assert.equal((await owner.post(`/admin/webhooks/${id}/delete`, {})).statusCode, 404);
  });
});

describe('webhook targets without WEBHOOK_ALLOW_PRIVATE_NETWORKS', () => {
  let running: TestApp;
  let owner: AdminSession;
  before(async () => {
    running = await build({ AUTH_MODE: 'token' });
    owner = await signIn(running.app);
  });
  after(() => running.close());

  test('loopback, private, link-local, CGNAT and IPv4-mapped addresses are refused at creation, naming url', async () => {
    for (const url of [
      'http://127.0.0.1:8080/hook',
      'http://localhost/hook',
      'http://10.1.2.3/',
      'http://172.16.0.1/',
      'http://192.168.1.1/',
      'http://169.254.169.254/latest/meta-data',
      'http://100.64.0.1/',
      'http://0.0.0.0/',
      'http://[::1]/',
      'http://[::]/',
      'http://[fd00::1]/',
      'http://[fe80::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://[::ffff:a9fe:a9fe]/',
      'http://2130706433/',
      'http://0x7f.1/',
    ]) {
      const response = await owner.inject({ method: 'POST', url: '/api/v1/webhooks', payload: { url, events: ['checkin.created'] } });
      assertProblem(response, 400, 'url');
      assert.match(response.body, /WEBHOOK_ALLOW_PRIVATE_NETWORKS/, url);
    }
  });

  test('the address check itself', () => {
    for (const blocked of [
      '127.0.0.1',
      '10.0.0.1',
      '172.31.255.255',
      '192.168.0.1',
      '169.254.1.1',
      '100.127.0.1',
      '0.0.0.0',
      '224.0.0.1',
    ]) {
      assert.equal(isBlockedAddress(blocked), true, blocked);
    }
    for (const blocked of [
      '::1',
      '::',
      'fc00::1',
      'fdff::1',
      'fe80::1%eth0',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '::ffff:10.0.0.1',
      '64:ff9b::a00:1',
      '::7f00:1',
      'ff02::1',
    ]) {
      assert.equal(isBlockedAddress(blocked), true, blocked);
    }
    for (const allowed of [
      '93.184.216.34',
      '8.8.8.8',
      '172.32.0.1',
      '100.128.0.1',
      '2606:4700::1111',
      '::ffff:8.8.8.8',
      '64:ff9b::808:808',
    ]) {
      assert.equal(isBlockedAddress(allowed), false, allowed);
    }
  });
});
