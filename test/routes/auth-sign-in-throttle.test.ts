// The sign-in throttle through HTTP, on PostgreSQL and on the embedded database: parallel guesses never
// get more passwords evaluated than the limit; a wrong current password on the password form counts too;
// TRUST_PROXY as a hop count or CIDRs takes the address the trusted proxy saw (a spoofed left-most
// X-Forwarded-For changes nothing); a stranger guessing from elsewhere cannot lock a user out.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BACKENDS, backendName, startApiServer, type ApiServer } from '../support/api.js';
import { Browser, type Answer } from '../support/browser.js';

const PASSWORD = 'correct horse battery staple';
const LIMIT = 5; // SIGNIN_MAX_FAILURES's default

let spoof = 0;
/** A new left-most X-Forwarded-For each time, as a client trying to look like many would send. */
const spoofed = (proxySaw?: string) => {
  spoof += 1;
  return `10.0.${(spoof >> 8) & 255}.${spoof & 255}${proxySaw ? `, ${proxySaw}` : ''}`;
};

/** A browser with the sign-in form loaded; `attempt` posts it (possibly many at once). */
async function signInForm(url: string, headers: Record<string, string> = {}) {
  const browser = new Browser(url);
  const form = await browser.get('/admin', headers);
  const csrf = Browser.csrf(form.text);
  return {
    browser,
    attempt: (username: string, password: string, extra: Record<string, string> = {}): Promise<Answer> =>
      browser.post('/admin/login', { _csrf: csrf, username, password, next: '/admin/sheet' }, { ...headers, ...extra }),
  };
}

function count(answers: Answer[]) {
  const byStatus: Record<number, number> = {};
  for (const a of answers) byStatus[a.status] = (byStatus[a.status] ?? 0) + 1;
  return byStatus;
}

async function addAdmin(server: ApiServer, username: string) {
  // Same password as the first admin, without paying for another hash through the UI.
  const copy = `INSERT INTO admin_users (username, password_hash) SELECT '${username}', password_hash FROM admin_users WHERE username = 'admin'`;
  if (server.database) await server.database.query(copy);
  else {
    const admin = new Browser(server.server.url);
    const csrf = await admin.signIn('admin', PASSWORD);
    assert.equal((await admin.post('/admin/users', { _csrf: csrf, username, password: PASSWORD })).status, 303);
  }
}

for (const backend of BACKENDS) {
  describe(`sign-in throttle on ${backendName(backend)}`, { timeout: 240_000 }, () => {
    let server: ApiServer;
    before(async () => {
      server = await startApiServer(backend, { AUTH_MODE: 'token', ADMIN_PASSWORD: PASSWORD });
      // The first admin exists once the server is ready (it is part of readiness).
    });
    after(async () => server.stop());

    test('50 parallel wrong passwords for one user: at most the limit are evaluated, the rest are 429', async () => {
      await addAdmin(server, 'parallel');
      const { attempt } = await signInForm(server.server.url);
      const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => attempt('parallel', `wrong password ${i}`)));
      const statuses = count(answers);
      console.log(`50 parallel wrong sign-ins on ${backendName(backend)}: ${JSON.stringify(statuses)}`);
      assert.equal(statuses[401], LIMIT, `exactly the limit of guesses were evaluated: ${JSON.stringify(statuses)}`);
      assert.equal(statuses[429], 50 - LIMIT);
      const refused = answers.find((a) => a.status === 429)!;
      assert.ok(Number(refused.headers.get('retry-after')) > 0);
      // Still blocked for the right password, from this address.
      assert.equal((await (await signInForm(server.server.url)).attempt('parallel', PASSWORD)).status, 429);
    });

    test('a wrong current password on the password form is throttled like a sign-in', async () => {
      await addAdmin(server, 'changer');
      const browser = new Browser(server.server.url);
      const csrf = await browser.signIn('changer', PASSWORD);
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) {
        const answer = await browser.post('/admin/users/password', {
          _csrf: csrf,
          current: `not it ${i}`,
          password: 'a brand new password',
        });
        statuses.push(answer.status);
      }
      assert.deepEqual(statuses, [400, 400, 400, 400, 400, 429, 429, 429]);
      const right = await browser.post('/admin/users/password', { _csrf: csrf, current: PASSWORD, password: 'a brand new password' });
      assert.equal(right.status, 429, 'even the right one waits for the window');
      assert.ok(Number(right.headers.get('retry-after')) > 0);
    });
  });
}

describe('behind a proxy (TRUST_PROXY) on PostgreSQL', { timeout: 240_000 }, () => {
  let oneHop: ApiServer;
  let everyHop: ApiServer;
  let cidr: ApiServer;
  before(async () => {
    [oneHop, everyHop, cidr] = await Promise.all([
      startApiServer('postgres', { AUTH_MODE: 'token', ADMIN_PASSWORD: PASSWORD, TRUST_PROXY: '1' }),
      startApiServer('postgres', { AUTH_MODE: 'token', ADMIN_PASSWORD: PASSWORD, TRUST_PROXY: 'true' }),
      startApiServer('postgres', { AUTH_MODE: 'open', TRUST_PROXY: '127.0.0.1/32, ::1', RATE_LIMIT_WRITES_PER_MINUTE: '3' }),
    ]);
  });
  after(async () => Promise.all([oneHop.stop(), everyHop.stop(), cidr.stop()]));

  test('TRUST_PROXY=1: a new spoofed left-most X-Forwarded-For on every guess still meets the limit', async () => {
    await addAdmin(oneHop, 'spoofed');
    const { attempt } = await signInForm(oneHop.server.url);
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) => attempt('spoofed', `wrong ${i}`, { 'x-forwarded-for': spoofed('198.51.100.7') })),
    );
    const statuses = count(answers);
    assert.equal(statuses[401], LIMIT, JSON.stringify(statuses));
    assert.equal(statuses[429], 30 - LIMIT);
  });

  test("a stranger's guesses do not lock out the user signing in from their usual address", async () => {
    await addAdmin(oneHop, 'victim');
    const usual = { 'x-forwarded-for': '198.51.100.20' };
    // The user has signed in from their usual address before.
    assert.equal((await (await signInForm(oneHop.server.url, usual)).attempt('victim', PASSWORD)).status, 303);
    const stranger = await signInForm(oneHop.server.url, { 'x-forwarded-for': '203.0.113.9' });
    const guesses = await Promise.all(Array.from({ length: 20 }, (_, i) => stranger.attempt('victim', `guess ${i}`)));
    assert.equal(count(guesses)[401], LIMIT);
    // From yet another address the account now asks to wait a little: slowed, not locked for the window.
    const elsewhere = await (await signInForm(oneHop.server.url, { 'x-forwarded-for': '192.0.2.55' })).attempt('victim', 'guess again');
    assert.equal(elsewhere.status, 429);
    const wait = Number(elsewhere.headers.get('retry-after'));
    assert.ok(wait > 0 && wait <= 5, `a short wait: ${wait} s`);
    // The user, from their usual address, signs in at once.
    const user = await signInForm(oneHop.server.url, usual);
    const signedIn = await user.attempt('victim', PASSWORD);
    assert.equal(signedIn.status, 303);
    assert.equal((await user.browser.get('/admin/sheet', usual)).status, 200);
  });

  test('TRUST_PROXY=true trusts every hop (documented): spoofed addresses still meet the per-account limit', async () => {
    await addAdmin(everyHop, 'rotated');
    const { attempt } = await signInForm(everyHop.server.url);
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => attempt('rotated', `wrong ${i}`, { 'x-forwarded-for': spoofed() })),
    );
    const statuses = count(answers);
    console.log(`50 parallel wrong sign-ins from 50 spoofed addresses (TRUST_PROXY=true): ${JSON.stringify(statuses)}`);
    assert.equal(statuses[401], LIMIT, JSON.stringify(statuses));
  });

  test('TRUST_PROXY with CIDRs: the write rate limit counts the address the proxy saw, not a spoofed one', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const response = await fetch(`${cidr.server.url}/table/create`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': spoofed('198.51.100.99') },
        body: JSON.stringify({ firstname: 'Rate', lastname: `Limited ${i}`, gate: 'R' }),
      });
      await response.arrayBuffer();
      statuses.push(response.status);
    }
    assert.deepEqual(statuses, [201, 201, 201, 429, 429]);
    // Another real client behind the same proxy has its own budget.
    const other = await fetch(`${cidr.server.url}/table/create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.100' },
      body: JSON.stringify({ firstname: 'Rate', lastname: 'Other', gate: 'R' }),
    });
    assert.equal(other.status, 201);
  });
});
