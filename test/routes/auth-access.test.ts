// Access control through HTTP against the running service on PostgreSQL (AUTH_MODE=token) and on the
// embedded database (AUTH_MODE=open): every 401/403 path, CSRF, sessions, sign-in throttle, tokens.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { api } from '../support/api.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startServer, type RunningServer } from '../support/server.js';
import { Browser } from '../support/browser.js';

const PASSWORD = 'correct horse battery staple';

const postJson = (url: string, body: unknown, headers: Record<string, string> = {}) => api(url, { method: 'POST', body, headers });

/** Creates a gate token through the admin page; returns the token (shown once) and its id. */
async function createToken(
  admin: Browser,
  csrf: string,
  name: string,
  gate = '',
  scope: string[] = ['checkin', 'read'],
): Promise<{ token: string; id: string }> {
  const created = await admin.post('/admin/tokens', { _csrf: csrf, name, gate, scope });
  assert.equal(created.status, 200);
  const token = /id="new-token" class="mono" readonly value="(brn_[^"]+)"/.exec(created.text)?.[1];
  assert.ok(token, 'the new token is shown');
  const id = new RegExp(`data-token-id="(\\d+)">\\s*<td>${name}</td>`).exec(created.text)?.[1];
  assert.ok(id, 'the token is listed');
  return { token, id };
}

describe('AUTH_MODE=token on PostgreSQL', () => {
  let server: RunningServer;
  let database: TestDatabase;
  let admin: Browser;
  let csrf: string;

  before(async () => {
    database = await createTestDatabase();
    server = await startServer({
      env: { DATABASE_URL: database.url, AUTH_MODE: 'token', ADMIN_PASSWORD: PASSWORD, SIGNIN_MAX_FAILURES: '3' },
    });
    admin = new Browser(server.url);
    // The first admin is created right after start; wait for it.
    for (let i = 0; ; i++) {
      const rows = await database.query('SELECT 1 FROM admin_users');
      if (rows.length > 0) break;
      if (i > 50) throw new Error('the first admin was not created');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    csrf = await admin.signIn('admin', PASSWORD);
  });
  after(async () => {
    assert.equal(await server.stop(), 0);
    await database.drop();
  });

  test('GET /admin answers 200 (the seed health check) with strict security headers', async () => {
    const response = await fetch(`${server.url}/admin`);
    assert.equal(response.status, 200);
    const csp = response.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(response.headers.get('x-frame-options'), 'DENY');
    const page = await response.text();
    assert.doesNotMatch(page, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline scripts');
    assert.doesNotMatch(page, /\sstyle="/, 'no inline styles');
  });

  test('API answers carry the API security headers: nothing runs, loads or frames them; not kept', async () => {
    for (const path of ['/api/v1/checkins?date=2026-01-01', '/table/view/date:20260101']) {
      const response = await admin.get(path);
      assert.equal(response.headers.get('content-security-policy'), "default-src 'none'; frame-ancestors 'none'", path);
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff', path);
      assert.equal(response.headers.get('x-frame-options'), 'DENY', path);
      assert.equal(response.headers.get('cross-origin-resource-policy'), 'same-origin', path);
      assert.equal(response.headers.get('strict-transport-security'), 'max-age=15552000', path);
    }
    // Refusals too (a hook's 401 without a token, a bad field's 400): the headers live among Fastify's
    // own, which its error handling keeps.
    const refusals = {
      'POST /table/create': await fetch(`${server.url}/table/create`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      }),
      'GET /api/v1/checkins': await admin.get('/api/v1/checkins?date=yesterday-ish'),
    };
    for (const [what, response] of Object.entries(refusals)) {
      assert.ok([400, 401].includes(response.status), `${what}: ${response.status}`);
      assert.equal(response.headers.get('content-security-policy'), "default-src 'none'; frame-ancestors 'none'", what);
      assert.equal(response.headers.get('x-frame-options'), 'DENY', what);
      assert.equal(response.headers.get('cross-origin-resource-policy'), 'same-origin', what);
    }
    const signedIn = await admin.get('/api/v1/checkins?date=2026-01-01');
    assert.equal(signedIn.status, 200);
    assert.equal(signedIn.headers.get('cache-control'), 'no-store', 'an answer with names is not kept');
    // The API description, read in a browser, is a page with the page's policy.
    const docs = await fetch(`${server.url}/api/docs`);
    assert.match(docs.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  });

  test('unknown paths are 404 with the page security headers and without the query; probes carry neither', async () => {
    const missing = await fetch(`${server.url}/no-such-page?lastname=Secret`);
    assert.equal(missing.status, 404);
    assert.match(missing.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
    assert.equal(missing.headers.get('x-content-type-options'), 'nosniff');
    assert.match(missing.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    const body = (await missing.json()) as { message: string; statusCode: number };
    assert.deepEqual(body, { message: 'Route GET:/no-such-page not found', error: 'Not Found', statusCode: 404 });
    // Under /api the 404 is problem+json, with the API's headers decided per route: the page set here.
    const apiMissing = await fetch(`${server.url}/api/v9/nothing`);
    assert.equal(apiMissing.status, 404);
    assert.equal(apiMissing.headers.get('content-type'), 'application/problem+json');
    assert.equal(apiMissing.headers.get('x-content-type-options'), 'nosniff');
    // Probes answer machines from outside the application's hooks: no page headers, no cookies.
    const probe = await fetch(`${server.url}/healthz`);
    assert.equal(probe.status, 200);
    assert.equal(probe.headers.get('content-security-policy'), null);
    assert.equal(probe.headers.get('cache-control'), 'no-store');
    assert.match(probe.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    // 404s are counted in the request metrics (without a route), probes are not.
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /barona_http_requests_total\{[^}]*status="404"[^}]*\} [1-9]/);
    assert.doesNotMatch(metrics, /route="\/healthz"/);
  });

  test('check-in writes without credentials are 401 (seed text and problem+json)', async () => {
    const seed = await postJson(`${server.url}/table/create`, { firstname: 'Ada', lastname: 'Lovelace', gate: 'A' });
    assert.equal(seed.status, 401);
    assert.deepEqual(seed.body, { detail: 'Authentication credentials were not provided.' });
    assert.match(seed.headers.get('www-authenticate') ?? '', /^Bearer/);
    const api = await postJson(`${server.url}/api/v1/checkins`, { firstname: 'Ada', lastname: 'Lovelace', gate: 'A' });
    assert.equal(api.status, 401);
    assert.match(api.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.equal(api.body.status, 401);
    const rows = await database.query('SELECT 1 FROM checkins');
    assert.equal(rows.length, 0, 'nothing was stored');
  });

  test('reads of personal data without credentials are 401', async () => {
    for (const path of [
      '/table/view/date:today',
      '/api/v1/checkins?date=2026-01-01',
      '/api/v1/checkins/1',
      '/api/v1/days/2026-01-01/summary',
      '/api/v1/checkins.csv?from=2026-01-01&to=2026-01-01',
    ]) {
      const response = await fetch(`${server.url}${path}`);
      assert.equal(response.status, 401, path);
      await response.arrayBuffer();
    }
  });

  test('a malformed Authorization header or an unknown token is 401', async () => {
    for (const authorization of ['Basic YWRtaW46YWRtaW4=', 'Bearer brn_not-a-real-token', 'Bearer']) {
      const response = await postJson(`${server.url}/table/create`, { firstname: 'A', lastname: 'B' }, { authorization });
      assert.equal(response.status, 401, authorization);
    }
  });

  test('a gate token writes and reads; a gate-bound token is 403 at another gate; revoking stops it at once', async () => {
    const { token, id } = await createToken(admin, csrf, 'Gate A tablet', 'A');
    const auth = { authorization: `Bearer ${token}` };
    const created = await postJson(`${server.url}/table/create`, { firstname: 'Grace', lastname: 'Hopper', gate: 'A' }, auth);
    assert.equal(created.status, 201);
    const elsewhere = await postJson(`${server.url}/table/create`, { firstname: 'Grace', lastname: 'Hopper', gate: 'B' }, auth);
    assert.equal(elsewhere.status, 403);
    assert.deepEqual(elsewhere.body, { detail: 'You do not have permission to perform this action.' });
    const view = await fetch(`${server.url}/table/view/date:today`, { headers: auth });
    assert.equal(view.status, 200);
    assert.ok(((await view.json()) as unknown[]).length >= 1);

    // The token itself is stored only as a hash; the list shows its prefix and when it was last used.
    const stored = await database.query<{ token_hash: string; last_used_at: Date | null }>(
      'SELECT token_hash, last_used_at FROM gate_tokens WHERE id = $1',
      [id],
    );
    assert.notEqual(stored[0]!.token_hash, token);
    assert.doesNotMatch(JSON.stringify(stored), new RegExp(token.slice(4)));
    assert.ok(stored[0]!.last_used_at, 'last use recorded');
    const list = await admin.get('/admin/tokens');
    assert.ok(!list.text.includes(token), 'the token is never shown again');
    assert.ok(list.text.includes(token.slice(0, 10)), 'its prefix is');

    const revoked = await admin.post(`/admin/tokens/${id}/revoke`, { _csrf: csrf });
    assert.equal(revoked.status, 303);
    const refused = await postJson(`${server.url}/table/create`, { firstname: 'Grace', lastname: 'Hopper', gate: 'A' }, auth);
    assert.equal(refused.status, 401);
    const audit = await database.query<{ action: string }>(
      `SELECT action FROM audit_log WHERE entity = 'gate token' AND entity_id = $1 ORDER BY id`,
      [id],
    );
    assert.deepEqual(
      audit.map((row) => row.action),
      ['create', 'revoke'],
    );
  });

  test('a token may do only what its scopes allow, and stops at its expiry', async () => {
    const checkinOnly = await createToken(admin, csrf, 'Kiosk South', '', ['checkin']);
    const readOnly = await createToken(admin, csrf, 'Wall display', '', ['read']);
    const as = (token: string) => ({ authorization: `Bearer ${token}` });
    const entry = { firstname: 'Katherine', lastname: 'Johnson', gate: 'S' };

    assert.equal((await postJson(`${server.url}/api/v1/checkins`, entry, as(checkinOnly.token))).status, 201);
    assert.equal((await postJson(`${server.url}/table/create`, entry, as(checkinOnly.token))).status, 201);
    for (const path of [
      '/api/v1/checkins',
      '/api/v1/checkins.csv?from=2026-01-01',
      '/table/view/date:today',
      '/api/v1/days/2026-01-01/summary',
    ]) {
      const refused = await fetch(`${server.url}${path}`, { headers: as(checkinOnly.token) });
      assert.equal(refused.status, 403, `${path} with a check-in-only token`);
      await refused.arrayBuffer();
      const allowed = await fetch(`${server.url}${path}`, { headers: as(readOnly.token) });
      assert.equal(allowed.status, 200, `${path} with a read-only token`);
      await allowed.arrayBuffer();
    }
    const write = await postJson(`${server.url}/api/v1/checkins`, entry, as(readOnly.token));
    assert.equal(write.status, 403);
    assert.match(String(write.body.detail), /checkin scope/);

    const list = await admin.get('/admin/tokens');
    assert.match(list.text, /<td>Kiosk South<\/td>[\s\S]*?<td>check in<\/td>/);
    assert.match(list.text, /<td>Wall display<\/td>[\s\S]*?<td>read attendance<\/td>/);
    const none = await admin.post('/admin/tokens', { _csrf: csrf, name: 'Nothing', gate: '' });
    assert.equal(none.status, 400, 'a token must be allowed something');
    const badExpiry = await admin.post('/admin/tokens', { _csrf: csrf, name: 'Soon', gate: '', scope: 'read', expiresInDays: '0' });
    assert.equal(badExpiry.status, 400);
    assert.match(badExpiry.text, /Expires after/);

    const expiring = await createToken(admin, csrf, 'Day pass', '', ['read']);
    const created = await database.query<{ expires_at: Date | null }>('SELECT expires_at FROM gate_tokens WHERE id = $1', [expiring.id]);
    assert.equal(created[0]!.expires_at, null, 'no expiry unless asked for');
    const dated = await admin.post('/admin/tokens', { _csrf: csrf, name: 'Week pass', gate: '', scope: 'read', expiresInDays: '7' });
    assert.equal(dated.status, 200);
    const week = await database.query<{ days: number }>(
      `SELECT round(extract(epoch FROM expires_at - now()) / 86400)::int AS days FROM gate_tokens WHERE name = 'Week pass'`,
    );
    assert.equal(week[0]!.days, 7);
    assert.equal((await fetch(`${server.url}/api/v1/checkins`, { headers: as(expiring.token) })).status, 200);
    await database.query(`UPDATE gate_tokens SET expires_at = now() - interval '1 second' WHERE id = $1`, [expiring.id]);
    const expired = await fetch(`${server.url}/api/v1/checkins`, { headers: as(expiring.token) });
    assert.equal(expired.status, 401, 'an expired token is refused');
    await expired.arrayBuffer();
  });

  test('gate tokens cannot correct or delete (403); nobody unauthenticated can (401)', async () => {
    const { token } = await createToken(admin, csrf, 'Scanner');
    for (const method of ['PATCH', 'DELETE']) {
      const anonymous = await fetch(`${server.url}/api/v1/checkins/1`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: method === 'PATCH' ? '{}' : undefined,
      });
      assert.equal(anonymous.status, 401, method);
      await anonymous.arrayBuffer();
      const withToken = await fetch(`${server.url}/api/v1/checkins/1`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: method === 'PATCH' ? '{}' : undefined,
      });
      assert.equal(withToken.status, 403, method);
      await withToken.arrayBuffer();
    }
  });

  test('people, members and the register are for admins; a read token may only list groups', async () => {
    const token = await createToken(admin, csrf, 'Roster display', '', ['read', 'checkin']);
    const as = { authorization: `Bearer ${token.token}` };
    const json = { accept: 'application/json' };
    assert.equal((await postJson(`${server.url}/api/v1/people`, { firstname: 'Grace', lastname: 'Hopper' })).status, 401);
    assert.equal((await postJson(`${server.url}/api/v1/people`, { firstname: 'Grace', lastname: 'Hopper' }, as)).status, 403);
    const noCsrf = await admin.request('POST', '/api/v1/people', { json: { firstname: 'Grace', lastname: 'Hopper' }, headers: json });
    assert.equal(noCsrf.status, 403);
    const person = await admin.request('POST', '/api/v1/people', {
      json: { firstname: 'Grace', lastname: 'Hopper' },
      headers: { ...json, 'x-csrf-token': csrf },
    });
    assert.equal(person.status, 201, person.text);
    const group = await admin.request('POST', '/api/v1/groups', { json: { name: 'Navy' }, headers: { ...json, 'x-csrf-token': csrf } });
    assert.equal(group.status, 201, group.text);
    const groupId = (JSON.parse(group.text) as { id: number }).id;
    const personId = (JSON.parse(person.text) as { id: number }).id;
    const member = await admin.request('PUT', `/api/v1/groups/${groupId}/members/${personId}`, {
      headers: { ...json, 'x-csrf-token': csrf },
    });
    assert.equal(member.status, 201, member.text);

    for (const path of ['/api/v1/groups', `/api/v1/groups/${groupId}`]) {
      const listed = await fetch(`${server.url}${path}`, { headers: as });
      assert.equal(listed.status, 200, `${path} with a read token`);
      await listed.arrayBuffer();
    }
    for (const path of [
      '/api/v1/people',
      `/api/v1/people/${personId}`,
      `/api/v1/groups/${groupId}/members`,
      `/api/v1/groups/${groupId}/register?from=2026-01-01&to=2026-01-31`,
      `/api/v1/groups/${groupId}/register.csv?from=2026-01-01&to=2026-01-31`,
    ]) {
      const refused = await fetch(`${server.url}${path}`, { headers: as });
      assert.equal(refused.status, 403, `${path} with a gate token (badges are credentials)`);
      await refused.arrayBuffer();
      const anonymous = await fetch(`${server.url}${path}`);
      assert.equal(anonymous.status, 401, `${path} without credentials`);
      await anonymous.arrayBuffer();
      const signedIn = await admin.request('GET', path, { headers: json });
      assert.equal(signedIn.status, 200, `${path} for the admin`);
    }
    const csvImport = await fetch(`${server.url}/api/v1/groups/${groupId}/members/import`, {
      method: 'POST',
      headers: { ...as, 'content-type': 'text/csv' },
      body: 'firstname,lastname\nA,B\n',
    });
    assert.equal(csvImport.status, 403);
    await csvImport.arrayBuffer();
  });

  test('an admin session writes through the API only with its CSRF token', async () => {
    const without = await admin.request('POST', '/table/create', { json: { firstname: 'Alan', lastname: 'Turing', gate: 'C' } });
    assert.equal(without.status, 403);
    const wrong = await admin.request('POST', '/table/create', {
      json: { firstname: 'Alan', lastname: 'Turing', gate: 'C' },
      headers: { 'x-csrf-token': 'nope' },
    });
    assert.equal(wrong.status, 403);
    const right = await admin.request('POST', '/table/create', {
      json: { firstname: 'Alan', lastname: 'Turing', gate: 'C' },
      headers: { 'x-csrf-token': csrf },
    });
    assert.equal(right.status, 201);
    const read = await admin.request('GET', '/table/view/date:today', { headers: { accept: 'application/json' } });
    assert.equal(read.status, 200);
  });

  test('admin pages: no session → sign-in redirect (pages) or 401 (everything else); no CSRF → 403', async () => {
    const stranger = new Browser(server.url);
    for (const path of ['/admin/sheet', '/admin/tokens', '/admin/users', '/admin/audit', '/admin/entries/1']) {
      const page = await stranger.get(path);
      assert.equal(page.status, 303, path);
      assert.equal(page.location, `/admin?next=${encodeURIComponent(path)}`);
    }
    const events = await stranger.get('/admin/events', { accept: 'text/event-stream' });
    assert.equal(events.status, 401);
    for (const path of [
      '/admin/tokens',
      '/admin/users',
      '/admin/entries/1',
      '/admin/entries/1/delete',
      '/admin/tokens/1/revoke',
      '/admin/users/1/delete',
    ]) {
      // A form sent without a session (it ended while the form was open) goes to sign-in, then back.
      const post = await stranger.post(path, { name: 'x', username: 'x', password: 'x'.repeat(20) });
      assert.equal(post.status, 303, path);
      assert.match(post.location ?? '', /^\/admin\?expired&next=/, path);
      const json = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      assert.equal(json.status, 401, `${path} as JSON`);
      const noCsrf = await admin.post(path, { name: 'x', username: 'x', password: 'x'.repeat(20) });
      assert.equal(noCsrf.status, 403, `${path} without CSRF`);
      const badCsrf = await admin.post(path, { _csrf: `${csrf}x`, name: 'x', username: 'x', password: 'x'.repeat(20) });
      assert.equal(badCsrf.status, 403, `${path} with a wrong CSRF token`);
    }
    const tokens = await database.query(`SELECT 1 FROM gate_tokens WHERE name = 'x'`);
    assert.equal(tokens.length, 0, 'nothing was created');
  });

  test('odd form input (repeated fields, no body) is a 4xx, never a 500', async () => {
    const repeated = await admin.request('POST', '/admin/tokens', {
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-csrf-token': csrf },
    });
    assert.equal(repeated.status, 400, 'no body');
    const twice = await fetch(`${server.url}/admin/tokens`, {
      method: 'POST',
      headers: { cookie: admin.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded' },
      body: `_csrf=${encodeURIComponent(csrf)}&name=a&name=b`,
      redirect: 'manual',
    });
    assert.equal(twice.status, 400, 'a field sent twice');
    await twice.arrayBuffer();
    const entry = await admin.request('POST', '/admin/entries/999999', { headers: { 'x-csrf-token': csrf } });
    assert.equal(entry.status, 404);
    const login = await new Browser(server.url).request('POST', '/admin/login', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(login.status, 403);
  });

  test('sign-in: CSRF required, wrong password 401, then rate-limited per address and username', async () => {
    const visitor = new Browser(server.url);
    const form = await visitor.get('/admin');
    const formCsrf = Browser.csrf(form.text);
    const noCsrf = await visitor.post('/admin/login', { username: 'admin', password: PASSWORD });
    assert.equal(noCsrf.status, 403);
    const otherBrowser = new Browser(server.url); // has no sign-in cookie: the token alone is not enough
    assert.equal((await otherBrowser.post('/admin/login', { _csrf: formCsrf, username: 'admin', password: PASSWORD })).status, 403);

    const attempt = async (password: string) => {
      const page = await visitor.get('/admin');
      return visitor.post('/admin/login', { _csrf: Browser.csrf(page.text), username: 'throttled', password });
    };
    await database.query(
      `INSERT INTO admin_users (username, password_hash) SELECT 'throttled', password_hash FROM admin_users WHERE username = 'admin'`,
    );
    for (let i = 0; i < 3; i++) assert.equal((await attempt('wrong password!')).status, 401);
    const blocked = await attempt(PASSWORD);
    assert.equal(blocked.status, 429, 'even the right password is refused while blocked');
    assert.ok(Number(blocked.headers.get('retry-after')) > 0);
    assert.match(blocked.text, /Too many failed sign-ins/);
    // Another username from the same address is not affected.
    const page = await visitor.get('/admin');
    const ok = await visitor.post('/admin/login', { _csrf: Browser.csrf(page.text), username: 'admin', password: PASSWORD });
    assert.equal(ok.status, 303);
  });

  test('session cookie is HttpOnly and SameSite=Strict; Secure behind HTTPS', async () => {
    const visitor = new Browser(server.url);
    const page = await visitor.get('/admin');
    const plain = await visitor.post('/admin/login', { _csrf: Browser.csrf(page.text), username: 'admin', password: PASSWORD });
    const cookie = plain.headers.getSetCookie().find((line) => line.startsWith('barona_session='))!;
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    assert.doesNotMatch(cookie, /Secure/);
    const proxied = new Browser(server.url);
    const form = await proxied.get('/admin', { 'x-forwarded-proto': 'https' });
    assert.match(form.headers.getSetCookie()[0]!, /Secure/);
    const secure = await proxied.post(
      '/admin/login',
      { _csrf: Browser.csrf(form.text), username: 'admin', password: PASSWORD },
      { 'x-forwarded-proto': 'https' },
    );
    assert.match(
      secure.headers.getSetCookie().find((line) => line.startsWith('barona_session='))!,
      /Secure/,
    );
  });

  test('sessions end after the idle limit and at the absolute limit', async () => {
    const idle = new Browser(server.url);
    await idle.signIn('admin', PASSWORD);
    assert.equal((await idle.get('/admin/sheet')).status, 200);
    await database.query(
      `UPDATE admin_sessions SET last_seen_at = now() - interval '31 minutes' WHERE token_hash = encode(sha256($1::bytea), 'hex')`,
      [idle.cookies.get('barona_session')],
    );
    assert.equal((await idle.get('/admin/sheet')).status, 303);

    const absolute = new Browser(server.url);
    await absolute.signIn('admin', PASSWORD);
    await database.query(
      `UPDATE admin_sessions SET expires_at = now() - interval '1 second' WHERE token_hash = encode(sha256($1::bytea), 'hex')`,
      [absolute.cookies.get('barona_session')],
    );
    const expired = await absolute.get('/admin/tokens');
    assert.equal(expired.status, 303);
    assert.match(expired.location ?? '', /^\/admin\?next=/);
  });

  test('sign-out needs the CSRF token and ends the session', async () => {
    const user = new Browser(server.url);
    const userCsrf = await user.signIn('admin', PASSWORD);
    const cookie = user.cookies.get('barona_session')!;
    assert.equal((await user.post('/admin/logout', {})).status, 403);
    const out = await user.post('/admin/logout', { _csrf: userCsrf });
    assert.equal(out.status, 303);
    assert.equal(out.location, '/admin?signedOut');
    const replay = await fetch(`${server.url}/admin/sheet`, {
      headers: { cookie: `barona_session=${cookie}`, accept: 'text/html' },
      redirect: 'manual',
    });
    assert.equal(replay.status, 303, 'the old cookie no longer works');
  });

  test('passwords are stored as argon2id; admins are managed (not yourself, not the last one) and audited', async () => {
    const [row] = await database.query<{ password_hash: string }>(`SELECT password_hash FROM admin_users WHERE username = 'admin'`);
    assert.match(row!.password_hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    const tooShort = await admin.post('/admin/users', { _csrf: csrf, username: 'eve', password: 'short' });
    assert.equal(tooShort.status, 400);
    const created = await admin.post('/admin/users', { _csrf: csrf, username: 'eve', password: 'a long enough password', role: 'owner' });
    assert.equal(created.status, 303);
    const eve = new Browser(server.url);
    const eveCsrf = await eve.signIn('eve', 'a long enough password');
    const [me] = await database.query<{ id: number }>(`SELECT id FROM admin_users WHERE username = 'eve'`);
    assert.equal((await eve.post(`/admin/users/${me!.id}/delete`, { _csrf: eveCsrf })).status, 409, 'not yourself');
    assert.equal((await admin.post(`/admin/users/${me!.id}/delete`, { _csrf: csrf })).status, 303);
    assert.equal((await eve.get('/admin/sheet')).status, 303, "a removed admin's session ends");
    const audit = await database.query<{ action: string; actor: string }>(
      `SELECT action, actor FROM audit_log WHERE entity = 'admin' ORDER BY id`,
    );
    assert.deepEqual(audit.slice(-2), [
      { action: 'create', actor: 'admin' },
      { action: 'delete', actor: 'admin' },
    ]);
  });

  test('corrections, soft deletion and restoring are audited with who, before and after', async () => {
    const { token } = await createToken(admin, csrf, 'Entry tablet');
    const created = await postJson(
      `${server.url}/table/create`,
      { firstname: 'Edsgar', lastname: 'Dijkstra', gate: 'D' },
      { authorization: `Bearer ${token}` },
    );
    const id = created.body.id as number;
    const corrected = await admin.post(`/admin/entries/${id}`, { _csrf: csrf, firstname: 'Edsger', lastname: 'Dijkstra', gate: 'D' });
    assert.equal(corrected.status, 303);
    const deleted = await admin.post(`/admin/entries/${id}/delete`, { _csrf: csrf });
    assert.equal(deleted.status, 303);
    assert.equal((await database.query('SELECT 1 FROM checkins WHERE id = $1 AND deleted_at IS NULL', [id])).length, 0, 'soft-deleted');
    assert.equal((await database.query('SELECT 1 FROM checkins WHERE id = $1', [id])).length, 1, 'but kept');
    const sheet = await fetch(`${server.url}/table/view/date:today`, { headers: { authorization: `Bearer ${token}` } });
    assert.ok(!((await sheet.json()) as { id: number }[]).some((row) => row.id === id));
    const page = await admin.get(`/admin/entries/${id}`);
    assert.equal(page.status, 200);
    assert.match(page.text, /deleted/);
    assert.equal((await admin.post(`/admin/entries/${id}/restore`, { _csrf: csrf })).status, 303);
    const [back] = await database.query<{ firstname: string }>('SELECT firstname FROM checkins WHERE id = $1', [id]);
    assert.equal(back!.firstname, 'Edsger');
    const audit = await database.query<{
      action: string;
      actor: string;
      before: Record<string, unknown> | null;
      after: Record<string, unknown> | null;
    }>(`SELECT action, actor, before, after FROM audit_log WHERE entity = 'checkin' AND entity_id = $1 ORDER BY id`, [String(id)]);
    assert.deepEqual(
      audit.map((a) => a.action),
      ['correct', 'delete', 'restore'],
    );
    assert.ok(audit.every((a) => a.actor === 'admin'));
    assert.equal(audit[0]!.before!.firstname, 'Edsgar');
    assert.equal(audit[0]!.after!.firstname, 'Edsger');
    assert.equal(audit[1]!.before!.lastname, 'Dijkstra');
    const log = await admin.get('/admin/audit');
    assert.match(log.text, /Edsgar/);
    assert.match(log.text, /Edsger/);
  });

  test('corrections through the API need the session and its CSRF token, and are audited too', async () => {
    const { token } = await createToken(admin, csrf, 'API tablet');
    const created = await postJson(
      `${server.url}/api/v1/checkins`,
      { firstname: 'Barbara', lastname: 'Liskov', gate: 'E' },
      { authorization: `Bearer ${token}` },
    );
    assert.equal(created.status, 201);
    const id = created.body.id as number;
    const noCsrf = await admin.request('PATCH', `/api/v1/checkins/${id}`, { json: { gate: 'F' }, headers: { accept: 'application/json' } });
    assert.equal(noCsrf.status, 403);
    const patched = await admin.request('PATCH', `/api/v1/checkins/${id}`, {
      json: { gate: 'F' },
      headers: { accept: 'application/json', 'x-csrf-token': csrf },
    });
    assert.equal(patched.status, 200);
    assert.equal(patched.json().gate, 'F');
    const removed = await admin.request('DELETE', `/api/v1/checkins/${id}`, { headers: { 'x-csrf-token': csrf } });
    assert.equal(removed.status, 204);
    const gone = await fetch(`${server.url}/api/v1/checkins/${id}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(gone.status, 404);
    await gone.arrayBuffer();
    // Each audit record is written with its change, before the answer.
    const audit = await database.query<{ action: string; before: Record<string, unknown>; after: Record<string, unknown> | null }>(
      `SELECT action, before, after FROM audit_log WHERE entity = 'checkin' AND entity_id = $1 ORDER BY id`,
      [String(id)],
    );
    assert.deepEqual(
      audit.map((a) => a.action),
      ['correct', 'delete'],
    );
    assert.equal(audit[0]!.before.gate, 'E');
    assert.equal(audit[0]!.after!.gate, 'F');
  });

  test('logs carry neither names nor secrets', async () => {
    const output = server.output();
    assert.ok(!output.includes(PASSWORD));
    assert.ok(!output.includes('Dijkstra'));
    assert.ok(!output.includes('barona_session='));
  });
});

describe('AUTH_MODE=open (default for the embedded database on 127.0.0.1)', () => {
  let server: RunningServer;

  before(async () => {
    // No AUTH_MODE and no ADMIN_PASSWORD: the defaults decide.
    server = await startServer({ env: { AUTH_MODE: '' }, timeoutMs: 180_000 });
  });
  after(async () => {
    assert.equal(await server.stop(), 0);
  });

  test('the seed behaviour stays: anyone may write and read', async () => {
    const created = await postJson(`${server.url}/table/create`, { firstname: 'Open', lastname: 'Mode', gate: 'A' });
    assert.equal(created.status, 201);
    const view = await fetch(`${server.url}/table/view/date:today`);
    assert.equal(view.status, 200);
    assert.equal(((await view.json()) as unknown[]).length, 1);
  });

  test('a presented but invalid token is still refused; the admin pages still need a sign-in', async () => {
    const bad = await postJson(
      `${server.url}/table/create`,
      { firstname: 'Open', lastname: 'Mode' },
      { authorization: 'Bearer brn_revoked' },
    );
    assert.equal(bad.status, 401);
    const badRead = await fetch(`${server.url}/table/view/date:today`, { headers: { authorization: 'Bearer brn_revoked' } });
    assert.equal(badRead.status, 401);
    await badRead.arrayBuffer();
    assert.equal((await new Browser(server.url).get('/admin/sheet')).status, 303);
  });

  test('API corrections are open like the rest of the API, and audited as anonymous', async () => {
    const created = await postJson(`${server.url}/api/v1/checkins`, { firstname: 'Open', lastname: 'Correction', gate: 'A' });
    const id = created.body.id as number;
    const patched = await fetch(`${server.url}/api/v1/checkins/${id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ gate: 'B' }),
    });
    assert.equal(patched.status, 200);
    await patched.arrayBuffer();
    const admin = new Browser(server.url);
    await admin.signIn('admin', await generatedPassword());
    const history = (await admin.get(`/admin/entries/${id}`)).text;
    assert.match(history, /anonymous \(AUTH_MODE=open\)/);
  });

  async function generatedPassword(): Promise<string> {
    for (let i = 0; i < 100; i++) {
      const password = /generated password (\S+) \(shown only this once/.exec(server.output())?.[1];
      if (password) return password;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('no generated password was printed');
  }

  test('without ADMIN_PASSWORD the first admin gets a generated password, printed once', async () => {
    const password = await generatedPassword();
    assert.equal(server.output().split(password).length, 2, 'exactly once');
    // Never a field of a JSON log line: those are collected and kept.
    for (const line of server
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{')))
      assert.ok(!line.includes(password), line);
    const admin = new Browser(server.url);
    await admin.signIn('admin', password);
    assert.equal((await admin.get('/admin/sheet')).status, 200);
  });
});
