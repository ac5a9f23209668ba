// Staff accounts and their roles through the API, as an owner hands Barona to their staff: the owner
// makes a manager, a leader and a viewer with POST /api/v1/users; each signs in on /admin, learns their
// CSRF token from GET /api/v1/session, and finds exactly their rights on staff, tokens and the audit log;
// every change is in GET /api/v1/audit with its actor and role. Also: the last owner stays, nobody removes
// themselves, one address gets a bounded number of password checks, and a form sent after the session
// ended leads back through sign-in.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { ADMIN_PASSWORD, build, signIn, type AdminSession, type TestApp } from '../../../test/support/app.js';

const PASSWORD = 'a long enough password 1';

/** A session's API calls: cookie and the CSRF token that /api/v1/session answers. */
async function apiSession(running: TestApp, username: string, password = PASSWORD) {
  const session: AdminSession = await signIn(running.app, username, password);
  const me = await session.inject({ url: '/api/v1/session' });
  assert.equal(me.statusCode, 200, me.body);
  const { csrfToken, role } = me.json() as { csrfToken: string; role: string };
  assert.equal(csrfToken, session.csrf, 'the session answers the same CSRF token the pages carry');
  return {
    role,
    call: (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown): Promise<LightMyRequestResponse> =>
      session.inject({
        method,
        url,
        ...(payload === undefined ? {} : { payload: payload as object }),
        headers: { 'x-csrf-token': csrfToken },
      }),
  };
}

describe('staff roles through /api/v1/users, /api/v1/tokens and /api/v1/audit', { timeout: 180_000 }, () => {
  let running: TestApp;
  let owner: Awaited<ReturnType<typeof apiSession>>;
  const ids: Record<string, number> = {};
  let groupA: number;

  before(async () => {
    running = await build({ AUTH_MODE: 'token' });
    owner = await apiSession(running, 'admin', ADMIN_PASSWORD);
    const group = await owner.call('POST', '/api/v1/groups', { name: 'Class 4B' });
    assert.equal(group.statusCode, 201, group.body);
    groupA = (group.json() as { id: number }).id;
    for (const [username, role] of [
      ['mona', 'manager'],
      ['lea', 'leader'],
      ['vic', 'viewer'],
    ] as const) {
      const created = await owner.call('POST', '/api/v1/users', {
        username,
        password: PASSWORD,
        role,
        ...(role === 'leader' ? { groups: [groupA] } : {}),
      });
      assert.equal(created.statusCode, 201, created.body);
      const body = created.json() as { id: number; role: string; groups: number[] };
      assert.equal(body.role, role);
      assert.deepEqual(body.groups, role === 'leader' ? [groupA] : []);
      assert.equal((body as Record<string, unknown>).password, undefined, 'no password or hash in the answer');
      ids[username] = body.id;
    }
  });
  after(async () => running.close());

  test('the first admin is an owner; each new account signs in on /admin with its role', async () => {
    assert.equal(owner.role, 'owner');
    for (const [username, role] of [
      ['mona', 'manager'],
      ['lea', 'leader'],
      ['vic', 'viewer'],
    ]) {
      assert.equal((await apiSession(running, username!)).role, role);
    }
  });

  test('staff accounts: only the owner lists, adds, changes and removes them', async () => {
    assert.equal((await owner.call('GET', '/api/v1/users')).statusCode, 200);
    for (const username of ['mona', 'lea', 'vic']) {
      const session = await apiSession(running, username);
      for (const [method, url, payload] of [
        ['GET', '/api/v1/users', undefined],
        ['POST', '/api/v1/users', { username: `x${username}`, password: PASSWORD, role: 'owner' }],
        ['PATCH', `/api/v1/users/${ids[username]}`, { role: 'owner' }],
        ['DELETE', `/api/v1/users/${ids.vic}`, undefined],
      ] as const) {
        const answer = await session.call(method, url, payload);
        assert.equal(answer.statusCode, 403, `${username} ${method} ${url}: ${answer.body}`);
        assert.equal(answer.headers['content-type'], 'application/problem+json');
        assert.match((answer.json() as { detail: string }).detail, /may not manage staff accounts/);
      }
    }
    assert.equal((await owner.call('GET', `/api/v1/users/${ids.mona}`)).statusCode, 200);
  });

  test('bad input names the field: role, username, password, groups of a non-leader, unknown groups', async () => {
    const cases: [unknown, string][] = [
      [{ username: 'zed', password: PASSWORD, role: 'admin' }, 'role'],
      [{ username: 'no spaces', password: PASSWORD, role: 'viewer' }, 'username'],
      [{ username: 'zed', password: 'short', role: 'viewer' }, 'password'],
      [{ username: 'zed', password: PASSWORD, role: 'viewer', groups: [groupA] }, 'groups'],
      [{ username: 'zed', password: PASSWORD, role: 'leader', groups: [999999] }, 'groups'],
    ];
    for (const [payload, field] of cases) {
      const answer = await owner.call('POST', '/api/v1/users', payload);
      assert.equal(answer.statusCode, 400, answer.body);
      assert.ok(
        (answer.json() as { errors: { field: string }[] }).errors.some((e) => e.field === field),
        `${field}: ${answer.body}`,
      );
    }
    const taken = await owner.call('POST', '/api/v1/users', { username: 'mona', password: PASSWORD, role: 'viewer' });
    assert.equal(taken.statusCode, 409);
    assert.equal((await running.database.query(`SELECT 1 FROM admin_users WHERE username = 'zed'`)).length, 0);
  });

  test('gate tokens: owners and managers make, list and revoke them; leaders and viewers cannot', async () => {
    const manager = await apiSession(running, 'mona');
    const made = await manager.call('POST', '/api/v1/tokens', { name: 'North tablet', gate: 'North', scopes: ['checkin'] });
    assert.equal(made.statusCode, 201, made.body);
    const token = made.json() as { id: number; token: string; scopes: string[]; gate: string };
    assert.match(token.token, /^brn_/);
    assert.deepEqual(token.scopes, ['checkin']);
    // The token works at its gate, and its secret is never listed again.
    const checkin = await running.app.inject({
      method: 'POST',
      url: '/api/v1/checkins',
      headers: { authorization: `Bearer ${token.token}` },
      payload: { firstname: 'Ada', lastname: 'Lovelace', gate: 'North' },
    });
    assert.equal(checkin.statusCode, 201, checkin.body);
    const listed = await owner.call('GET', '/api/v1/tokens');
    assert.equal(listed.statusCode, 200);
    assert.ok(!listed.body.includes(token.token));
    for (const username of ['lea', 'vic']) {
      const session = await apiSession(running, username);
      assert.equal((await session.call('GET', '/api/v1/tokens')).statusCode, 403);
      assert.equal((await session.call('POST', '/api/v1/tokens', { name: 'x', scopes: ['read'] })).statusCode, 403);
      assert.equal((await session.call('DELETE', `/api/v1/tokens/${token.id}`)).statusCode, 403);
    }
    const bad = await manager.call('POST', '/api/v1/tokens', { name: 'x', scopes: ['checkin'], expiresAt: '2001-01-01T00:00:00Z' });
    assert.equal(bad.statusCode, 400);
    assert.equal((bad.json() as { errors: { field: string }[] }).errors[0]!.field, 'expiresAt');
    assert.equal((await manager.call('DELETE', `/api/v1/tokens/${token.id}`)).statusCode, 204);
    assert.equal((await manager.call('DELETE', `/api/v1/tokens/${token.id}`)).statusCode, 404, 'already revoked');
    const refused = await running.app.inject({
      method: 'POST',
      url: '/api/v1/checkins',
      headers: { authorization: `Bearer ${token.token}` },
      payload: { firstname: 'Ada', lastname: 'Lovelace', gate: 'North' },
    });
    assert.equal(refused.statusCode, 401, 'a revoked token stops at once');
  });

  test('the audit log: owners and managers read every change with its actor and role; leaders and viewers cannot', async () => {
    const manager = await apiSession(running, 'mona');
    const page = await manager.call('GET', '/api/v1/audit?limit=500');
    assert.equal(page.statusCode, 200, page.body);
    const items = (page.json() as { items: { actor: string; actorRole: string; action: string; entity: string; entityId: string }[] })
      .items;
    const created = items.filter((e) => e.entity === 'admin' && e.action === 'create' && e.actor === 'admin');
    assert.deepEqual(new Set(created.map((e) => e.entityId)), new Set([ids.mona, ids.lea, ids.vic].map(String)));
    assert.ok(created.every((e) => e.actorRole === 'owner'));
    const tokenChanges = items.filter((e) => e.entity === 'gate token');
    assert.ok(tokenChanges.some((e) => e.action === 'create' && e.actor === 'mona' && e.actorRole === 'manager'));
    assert.ok(tokenChanges.some((e) => e.action === 'revoke' && e.actor === 'mona'));
    for (const username of ['lea', 'vic']) {
      assert.equal((await (await apiSession(running, username)).call('GET', '/api/v1/audit')).statusCode, 403);
    }
  });

  test('the audit log pages newest first with a cursor', async () => {
    const first = (await owner.call('GET', '/api/v1/audit?limit=2')).json() as { items: { id: number }[]; nextCursor: string };
    assert.equal(first.items.length, 2);
    assert.ok(first.items[0]!.id > first.items[1]!.id);
    const second = (await owner.call('GET', `/api/v1/audit?limit=2&cursor=${encodeURIComponent(first.nextCursor)}`)).json() as {
      items: { id: number }[];
    };
    assert.ok(second.items[0]!.id < first.items[1]!.id);
    const forged = await owner.call('GET', '/api/v1/audit?cursor=nonsense');
    assert.equal(forged.statusCode, 400);
  });

  test('a role change applies at the next request; the last owner stays an owner; nobody removes themselves', async () => {
    const vic = await apiSession(running, 'vic');
    assert.equal((await vic.call('GET', '/api/v1/tokens')).statusCode, 403);
    assert.equal((await owner.call('PATCH', `/api/v1/users/${ids.vic}`, { role: 'manager' })).statusCode, 200);
    assert.equal((await vic.call('GET', '/api/v1/tokens')).statusCode, 200, 'the same session, now a manager');
    assert.equal((await owner.call('PATCH', `/api/v1/users/${ids.vic}`, { role: 'viewer' })).statusCode, 200);

    const ownerId = (await running.database.query<{ id: number }>(`SELECT id FROM admin_users WHERE username = 'admin'`))[0]!.id;
    const demote = await owner.call('PATCH', `/api/v1/users/${ownerId}`, { role: 'manager' });
    assert.equal(demote.statusCode, 409, demote.body);
    const self = await owner.call('DELETE', `/api/v1/users/${ownerId}`);
    assert.equal(self.statusCode, 409, self.body);
    assert.equal((await owner.call('GET', '/api/v1/users/987654')).statusCode, 404);
  });

  test('a new password set by the owner ends that account’s sessions', async () => {
    const vic = await apiSession(running, 'vic');
    assert.equal((await vic.call('GET', '/api/v1/session')).statusCode, 200);
    assert.equal((await owner.call('PATCH', `/api/v1/users/${ids.vic}`, { password: `${PASSWORD} new` })).statusCode, 200);
    assert.equal((await vic.call('GET', '/api/v1/session')).statusCode, 401);
    await apiSession(running, 'vic', `${PASSWORD} new`);
  });

  test('pages show each role only what it may use', async () => {
    const viewer = await signIn(running.app, 'vic', `${PASSWORD} new`);
    const users = await viewer.inject({ url: '/admin/users', headers: { accept: 'text/html' } });
    assert.equal(users.statusCode, 200);
    assert.match(users.body, /Change your password/);
    assert.doesNotMatch(users.body, /Add an account|staff-table/);
    assert.doesNotMatch(users.body, /href="\/admin\/tokens"|href="\/admin\/audit"|>Staff<\/a>/);
    assert.match(users.body, /<a class="who" href="\/admin\/users"/, 'everyone reaches their own account from their name');
    const tokens = await viewer.inject({ url: '/admin/tokens', headers: { accept: 'text/html' } });
    assert.equal(tokens.statusCode, 403);
    assert.match(tokens.headers['content-type'] as string, /text\/html/);
    assert.match(tokens.body, /may not manage gate tokens/);
    const ownerPage = await (await signIn(running.app)).inject({ url: '/admin/users' });
    assert.match(ownerPage.body, /id="staff-table"/);
    assert.match(ownerPage.body, /href="\/admin\/audit"/);
  });
});

describe('sign-in: checks per address, the real wait, a form after the session ended', { timeout: 180_000 }, () => {
  let running: TestApp;
  before(async () => {
    running = await build({ AUTH_MODE: 'token' });
    // The admin's own address becomes one it signs in from: a stranger's guesses elsewhere do not slow it.
    await signIn(running.app);
  });
  after(async () => running.close());

  /** Sign-in attempts as a browser sends them (the form's CSRF cookie and field). */
  async function signInForm(address: string) {
    const form = await running.app.inject({ url: '/admin', remoteAddress: address });
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form.body)![1]!;
    const cookie = form.cookies.find((c) => c.name === 'barona_signin')!;
    return (username: string, password: string) =>
      running.app.inject({
        method: 'POST',
        url: '/admin/login',
        remoteAddress: address,
        cookies: { [cookie.name]: cookie.value },
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ _csrf: csrf, username, password, next: '/admin/sheet' }).toString(),
      });
  }

  test('60 parallel sign-ins with made-up usernames from one address: at most 20 passwords are checked', async () => {
    const attempt = await signInForm('198.51.100.7');
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => attempt(`nobody${i}`, 'wrong password')));
    const checked = answers.filter((a) => a.statusCode === 401).length;
    const refused = answers.filter((a) => a.statusCode === 429);
    assert.ok(checked <= 20, `${checked} passwords checked`);
    assert.ok(checked >= 1);
    assert.equal(checked + refused.length, 60);
    assert.match(refused[0]!.body, /Try again in 1[45] minutes/);
    assert.ok(Number(refused[0]!.headers['retry-after']) > 800);
    // Another address is not held back by this one.
    assert.equal((await (await signInForm('198.51.100.8'))('admin', ADMIN_PASSWORD)).statusCode, 303);
  });

  test('the refusal names the longest wait of every counter, not the first to refuse', async () => {
    const attempt = await signInForm('198.51.100.9');
    for (let i = 0; i < 5; i++) assert.equal((await attempt('admin', `wrong ${i}`)).statusCode, 401);
    // The account's short growing wait and this address's 15-minute block both refuse: 15 minutes it is.
    const refused = await attempt('admin', 'wrong again');
    assert.equal(refused.statusCode, 429);
    assert.match(refused.body, /Try again in 1[45] minutes/);
  });

  test('a form sent after the session ended leads to sign-in and back to its page', async () => {
    const admin = await signIn(running.app);
    await running.database.query('DELETE FROM admin_sessions');
    const sent = await admin.inject({
      method: 'POST',
      url: '/admin/people',
      headers: { 'content-type': 'application/x-www-form-urlencoded', referer: 'http://localhost:80/admin/people?q=ada' },
      payload: 'firstname=Ada&lastname=Lovelace',
    });
    assert.equal(sent.statusCode, 303);
    const location = new URL(sent.headers.location as string, 'http://localhost');
    assert.equal(location.pathname, '/admin');
    assert.equal(location.searchParams.get('next'), '/admin/people?q=ada');
    const page = await running.app.inject({ url: `${location.pathname}${location.search}` });
    assert.match(page.body, /Your session had ended/);
  });
});
