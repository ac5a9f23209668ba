// Sign-in with OpenID Connect against a real provider: `oidc-provider` runs in this process on a loopback
// port (issuer http://127.0.0.1:PORT) with one client whose redirect URI is the app's callback, accounts
// whose claims each test sets, and its development interactions (a login form, then a consent form),
// which the test fills in over HTTP. The app runs in-process (build(), AUTH_MODE=token) and is driven
// with inject; the test plays the browser: it follows the redirects between the app and the provider
// by hand and carries each side's cookies.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { build, signIn, type AdminSession, type TestApp } from '../../../test/support/app.js';
import { ConfigError, loadConfig } from '../../config.js';

const CLIENT_ID = 'barona';
const CLIENT_SECRET = 'a client secret for the tests, long enough';
// What inject's requests derive (Host: localhost:80) when OIDC_REDIRECT_URL is not set.
const REDIRECT_URI = 'http://localhost/admin/oidc/callback';

/** The part of oidc-provider's API this test uses (the package ships no type declarations). */
interface ProviderInstance {
  callback(): (request: IncomingMessage, response: ServerResponse) => void;
}
type ProviderClass = new (issuer: string, configuration: Record<string, unknown>) => ProviderInstance;

/** Claims of the provider's accounts, by login (the account id, and `sub`), set by each test. */
const accounts = new Map<string, Record<string, unknown>>();

async function startProvider(): Promise<{ issuer: string; close(): Promise<void> }> {
  const specifier = 'oidc-provider';
  const { default: Provider } = (await import(specifier)) as { default: ProviderClass };
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        redirect_uris: [REDIRECT_URI],
        response_types: ['code'],
        grant_types: ['authorization_code'],
      },
    ],
    async findAccount(_ctx: unknown, id: string) {
      if (!accounts.has(id)) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, ...accounts.get(id) }) };
    },
    // Barona's claims come with the openid scope; the standard ones with profile and email.
    claims: {
      openid: ['sub', 'barona_role', 'barona_groups'],
      profile: ['preferred_username', 'name'],
      email: ['email', 'email_verified'],
    },
    cookies: { keys: ['a cookie signing key for the tests'] },
    features: { devInteractions: { enabled: true } },
    pkce: { required: () => true },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
  });
  server.on('request', provider.callback());
  return {
    issuer,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A browser's cookies for one site (name and path; expired ones dropped). */
class CookieJar {
  private readonly cookies = new Map<string, { name: string; value: string; path: string }>();

  store(headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
      const at = pair.indexOf('=');
      const name = pair.slice(0, at);
      const value = pair.slice(at + 1);
      const attribute = (key: string) => attributes.find((a) => a.toLowerCase().startsWith(`${key}=`))?.slice(key.length + 1);
      const path = attribute('path') ?? '/';
      const expires = attribute('expires');
      const gone = attribute('max-age') === '0' || (expires !== undefined && Date.parse(expires) <= Date.now()) || value === '';
      if (gone) this.cookies.delete(`${name} ${path}`);
      else this.cookies.set(`${name} ${path}`, { name, value, path });
    }
  }

  header(url: URL): string {
    return [...this.cookies.values()]
      .filter((c) => url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }
}

interface Flow {
  /** The app's answer to the callback. */
  callback: LightMyRequestResponse;
  /** The session cookie it set, if any. */
  session: string | undefined;
  /** The provider's interaction forms the browser filled in, in order. */
  prompts: string[];
}

interface FlowOptions {
  /** Changes the callback URL (the provider's redirect) before the browser follows it. */
  tamperCallback?: (url: URL) => void;
  /** Changes the flow cookie before it goes back to the app. */
  tamperCookie?: (value: string) => string;
  /** Press "abort" at the provider instead of signing in. */
  abort?: boolean;
}

/**
 * One sign-in as a fresh browser would do it: the app's start link, the provider's login and consent
 * forms (login = the account id), the provider's redirect back, and the app's callback.
 */
async function oidcSignIn(running: TestApp, login: string, options: FlowOptions = {}): Promise<Flow> {
  const start = await running.app.inject({ url: '/admin/oidc/start?next=/admin/sheet' });
  assert.equal(start.statusCode, 303, start.body);
  let flowCookie = start.cookies.find((c) => c.name === 'barona_oidc')?.value;
  assert.ok(flowCookie, 'the flow is kept in a cookie');
  const flowCookieOptions = start.cookies.find((c) => c.name === 'barona_oidc')!;
  assert.equal(flowCookieOptions.httpOnly, true);
  assert.equal(flowCookieOptions.sameSite, 'Lax');
  assert.equal(flowCookieOptions.path, '/admin/oidc');

  const jar = new CookieJar();
  let url = new URL(String(start.headers.location));
  let body: URLSearchParams | undefined;
  const prompts: string[] = [];
  for (let hop = 0; ; hop++) {
    assert.ok(hop < 20, 'the provider sends the browser back within 20 steps');
    if (url.href.startsWith(REDIRECT_URI)) break;
    const response = await fetch(url, {
      method: body ? 'POST' : 'GET',
      redirect: 'manual',
      headers: { cookie: jar.header(url), ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      ...(body ? { body: body.toString() } : {}),
    });
    jar.store(response.headers);
    body = undefined;
    if (response.status >= 300 && response.status < 400) {
      url = new URL(response.headers.get('location')!, url);
      continue;
    }
    const page = await response.text();
    assert.equal(response.status, 200, page);
    const action = /<form[^>]*action="([^"]+)"/.exec(page)?.[1];
    const prompt = /name="prompt" value="([a-z]+)"/.exec(page)?.[1];
    assert.ok(action && prompt, `an interaction form at ${url.pathname}`);
    prompts.push(prompt);
    if (options.abort) {
      url = new URL(`${new URL(action, url).pathname}/abort`, url);
      continue;
    }
    url = new URL(action, url);
    body = new URLSearchParams(prompt === 'login' ? { prompt, login, password: 'anything' } : { prompt });
  }
  options.tamperCallback?.(url);
  if (options.tamperCookie) flowCookie = options.tamperCookie(flowCookie);
  const callback = await running.app.inject({ url: `${url.pathname}${url.search}`, cookies: { barona_oidc: flowCookie } });
  return { callback, session: callback.cookies.find((c) => c.name === 'barona_session')?.value, prompts };
}

async function sessionOf(running: TestApp, cookie: string | undefined) {
  assert.ok(cookie, 'a session cookie was set');
  const me = await running.app.inject({ url: '/api/v1/session', cookies: { barona_session: cookie } });
  assert.equal(me.statusCode, 200, me.body);
  return me.json() as { username: string; role: string; groups: number[] };
}

const accountRows = (running: TestApp, username: string) =>
  running.database.query<{ id: string; role: string; password_hash: string; email: string | null }>(
    `SELECT id, role, password_hash, email FROM admin_users WHERE username = $1`,
    [username],
  );

const emailOf = async (running: TestApp, username: string) => (await accountRows(running, username))[0]?.email;

describe('sign-in with OpenID Connect against a real provider', { timeout: 180_000 }, () => {
  let provider: Awaited<ReturnType<typeof startProvider>>;
  let running: TestApp;
  let owner: AdminSession;
  let groupA: number;
  let groupB: number;

  before(async () => {
    provider = await startProvider();
    running = await build({
      AUTH_MODE: 'token',
      OIDC_ISSUER: provider.issuer,
      OIDC_CLIENT_ID: CLIENT_ID,
      OIDC_CLIENT_SECRET: CLIENT_SECRET,
    });
    owner = await signIn(running.app);
    for (const name of ['Class 1A', 'Class 1B']) {
      const made = await owner.inject({ method: 'POST', url: '/api/v1/groups', payload: { name } });
      assert.equal(made.statusCode, 201, made.body);
    }
    const groups = await running.database.query<{ id: string; name: string }>(`SELECT id, name FROM groups ORDER BY name`);
    groupA = Number(groups.find((g) => g.name === 'Class 1A')!.id);
    groupB = Number(groups.find((g) => g.name === 'Class 1B')!.id);
  });
  after(async () => {
    await running?.close();
    await provider?.close();
  });

  test('the sign-in page offers the provider; the start sends the browser there with PKCE, state and nonce', async () => {
    const form = await running.app.inject({ url: '/admin' });
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /href="\/admin\/oidc\/start\?next=%2Fadmin%2Fsheet"\s*>Sign in with 127\.0\.0\.1:\d+<\/a/);
    const start = await running.app.inject({ url: '/admin/oidc/start' });
    assert.equal(start.statusCode, 303);
    const location = new URL(String(start.headers.location));
    assert.equal(location.origin, provider.issuer);
    assert.equal(location.searchParams.get('client_id'), CLIENT_ID);
    assert.equal(location.searchParams.get('redirect_uri'), REDIRECT_URI);
    assert.equal(location.searchParams.get('code_challenge_method'), 'S256');
    for (const name of ['state', 'nonce', 'code_challenge']) assert.ok(location.searchParams.get(name), name);
  });

  test('a manager claim signs in as a manager; the account is created once, with an audit record, and no password', async () => {
    accounts.set('sub-mia', { preferred_username: 'mia', email: 'mia@example.org', barona_role: 'manager' });
    const first = await oidcSignIn(running, 'sub-mia');
    assert.deepEqual(first.prompts, ['login', 'consent'], "the provider's own login and consent forms were filled in");
    assert.equal(first.callback.statusCode, 200, first.callback.body);
    assert.match(first.callback.body, /http-equiv="refresh" content="0; url=\/admin\/sheet"/);
    const me = await sessionOf(running, first.session);
    assert.equal(me.username, 'mia');
    assert.equal(me.role, 'manager');
    const rows = await accountRows(running, 'mia');
    assert.equal(rows.length, 1);
    assert.match(rows[0]!.password_hash, /^!oidc:[0-9a-f]{64}$/);

    const audit = await running.database.query<{ actor: string; action: string; after: { username: string; role: string } }>(
      `SELECT actor, action, after FROM audit_log WHERE entity = 'admin' AND entity_id = $1 ORDER BY id`,
      [rows[0]!.id],
    );
    assert.deepEqual(
      audit.map((a) => [a.actor, a.action, a.after.username, a.after.role]),
      [['OpenID Connect', 'create', 'mia', 'manager']],
    );

    // It has no password: the password form refuses whatever is tried.
    const form = await running.app.inject({ url: '/admin' });
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form.body)![1]!;
    const login = await running.app.inject({
      method: 'POST',
      url: '/admin/login',
      cookies: { barona_signin: form.cookies.find((c) => c.name === 'barona_signin')!.value },
      payload: new URLSearchParams({ _csrf: csrf, username: 'mia', password: '!oidc' }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(login.statusCode, 401);

    // The same person again: the same account, no new audit record.
    const again = await oidcSignIn(running, 'sub-mia');
    assert.equal((await sessionOf(running, again.session)).role, 'manager');
    assert.equal((await accountRows(running, 'mia')).length, 1);
    const count = await running.database.query(`SELECT 1 FROM audit_log WHERE entity = 'admin' AND entity_id = $1`, [rows[0]!.id]);
    assert.equal(count.length, 1, 'nothing changed, nothing audited');
  });

  test('a later sign-in brings the role up to date from the claims (audited as a change)', async () => {
    accounts.set('sub-ray', { preferred_username: 'ray', barona_role: ['viewer', 'manager'] });
    const first = await oidcSignIn(running, 'sub-ray');
    assert.equal((await sessionOf(running, first.session)).role, 'manager', 'the most powerful role of an array');
    accounts.set('sub-ray', { preferred_username: 'ray', barona_role: 'viewer' });
    const second = await oidcSignIn(running, 'sub-ray');
    assert.equal(second.callback.statusCode, 200, second.callback.body);
    assert.equal((await sessionOf(running, second.session)).role, 'viewer');
    // Sessions read the role on every request: the earlier session is a viewer now too.
    assert.equal((await sessionOf(running, first.session)).role, 'viewer');
    const rows = await accountRows(running, 'ray');
    assert.equal(rows.length, 1);
    const audit = await running.database.query<{ action: string; before: { role: string }; after: { role: string } }>(
      `SELECT action, before, after FROM audit_log WHERE entity = 'admin' AND entity_id = $1 ORDER BY id`,
      [rows[0]!.id],
    );
    assert.deepEqual(
      audit.map((a) => [a.action, a.before?.role ?? null, a.after.role]),
      [
        ['create', null, 'manager'],
        ['change', 'manager', 'viewer'],
      ],
    );
  });

  test('a leader gets the groups of the claim (unknown ids left out), and they follow the claim', async () => {
    accounts.set('sub-lee', { preferred_username: 'lee', barona_role: 'leader', barona_groups: [groupA, 999_999, 'not a group'] });
    const first = await oidcSignIn(running, 'sub-lee');
    assert.equal(first.callback.statusCode, 200, first.callback.body);
    assert.match(first.callback.body, /url=\/admin\/groups"/, 'a leader lands on their groups');
    const me = await sessionOf(running, first.session);
    assert.equal(me.role, 'leader');
    assert.deepEqual(me.groups, [groupA]);
    accounts.set('sub-lee', { preferred_username: 'lee', barona_role: 'leader', barona_groups: `${groupB}` });
    const second = await oidcSignIn(running, 'sub-lee');
    assert.deepEqual((await sessionOf(running, second.session)).groups, [groupB]);
  });

  test('no role, or no valid role: refused with a clear page, nothing created', async () => {
    for (const [sub, claims] of [
      ['sub-nora', { preferred_username: 'nora' }],
      ['sub-ivan', { preferred_username: 'ivan', barona_role: 'admin' }],
      ['sub-ida', { preferred_username: 'ida', barona_role: ['superuser', 42] }],
    ] as const) {
      accounts.set(sub, claims);
      const flow = await oidcSignIn(running, sub);
      assert.equal(flow.callback.statusCode, 403, flow.callback.body);
      assert.match(flow.callback.body, /no Barona role: its barona_role claim must be one of owner, manager, leader, viewer/);
      assert.equal(flow.session, undefined);
      assert.equal((await accountRows(running, claims.preferred_username)).length, 0);
    }
  });

  test('a username outside the pattern is refused; without preferred_username the email is the username', async () => {
    accounts.set('sub-space', { preferred_username: 'has space', barona_role: 'viewer' });
    const refused = await oidcSignIn(running, 'sub-space');
    assert.equal(refused.callback.statusCode, 403);
    assert.match(refused.callback.body, /preferred_username claim is not one Barona accepts/);
    accounts.set('sub-eve', { email: 'eve@example.org', barona_role: 'viewer' });
    const byEmail = await oidcSignIn(running, 'sub-eve');
    assert.equal((await sessionOf(running, byEmail.session)).username, 'eve@example.org');
  });

  test('a tampered state, a tampered flow cookie, a reused callback and an aborted sign-in are refused', async () => {
    accounts.set('sub-tom', { preferred_username: 'tom', barona_role: 'manager' });
    const state = await oidcSignIn(running, 'sub-tom', { tamperCallback: (url) => url.searchParams.set('state', 'forged') });
    assert.equal(state.callback.statusCode, 400);
    assert.match(state.callback.body, /not started in this browser/);
    assert.equal(state.session, undefined);

    const cookie = await oidcSignIn(running, 'sub-tom', { tamperCookie: (value) => `x${value}` });
    assert.equal(cookie.callback.statusCode, 400);
    assert.equal(cookie.session, undefined);

    const aborted = await oidcSignIn(running, 'sub-tom', { abort: true });
    assert.equal(aborted.callback.statusCode, 403, aborted.callback.body);
    assert.match(aborted.callback.body, /did not sign you in \(access_denied\)/);
    assert.equal((await accountRows(running, 'tom')).length, 0);

    // The callback once more with the same URL and cookie: the code is spent (the provider says invalid_grant).
    let replay: URL | undefined;
    let replayCookie = '';
    const ok = await oidcSignIn(running, 'sub-tom', {
      tamperCallback: (url) => void (replay = new URL(url)),
      tamperCookie: (value) => (replayCookie = value),
    });
    assert.equal(ok.callback.statusCode, 200, ok.callback.body);
    const again = await running.app.inject({ url: `${replay!.pathname}${replay!.search}`, cookies: { barona_oidc: replayCookie } });
    assert.equal(again.statusCode, 400, again.body);
    assert.match(again.body, /had expired or was already used/);
    assert.equal(
      again.cookies.find((c) => c.name === 'barona_session'),
      undefined,
    );
    // None of the refusal pages shows a stack or the code.
    for (const body of [state.callback.body, cookie.callback.body, aborted.callback.body, again.body]) {
      assert.doesNotMatch(body, /at .*\.js:\d+|Error:/);
      assert.ok(!body.includes(replay!.searchParams.get('code')!));
    }
  });

  test('a username taken by a password account, or by another subject, is refused', async () => {
    accounts.set('sub-mallory', { preferred_username: 'admin', barona_role: 'owner' });
    const admin = await oidcSignIn(running, 'sub-mallory');
    assert.equal(admin.callback.statusCode, 409, admin.callback.body);
    assert.match(admin.callback.body, /already an account called admin that signs in with a password/);
    assert.equal(admin.session, undefined);

    accounts.set('sub-mia-2', { preferred_username: 'mia', barona_role: 'owner' });
    const other = await oidcSignIn(running, 'sub-mia-2');
    assert.equal(other.callback.statusCode, 409, other.callback.body);
    assert.match(other.callback.body, /belongs to another person of the provider/);
    assert.equal((await accountRows(running, 'mia'))[0]!.role, 'manager');
  });

  test('a verified email is stored (audited with the account); an unverified one, or one without email_verified, is not', async () => {
    accounts.set('sub-vera', { preferred_username: 'vera', barona_role: 'leader', email: 'vera@example.org', email_verified: true });
    const first = await oidcSignIn(running, 'sub-vera');
    assert.equal(first.callback.statusCode, 200, first.callback.body);
    const [vera] = await accountRows(running, 'vera');
    assert.equal(vera!.email, 'vera@example.org');
    const audit = await running.database.query<{ action: string; after: { email: string | null } }>(
      `SELECT action, after FROM audit_log WHERE entity = 'admin' AND entity_id = $1 ORDER BY id`,
      [vera!.id],
    );
    assert.deepEqual(
      audit.map((a) => [a.action, a.after.email]),
      [['create', 'vera@example.org']],
    );
    // The Staff API shows it like an address set by hand.
    const listed = await owner.inject({ url: `/api/v1/users/${vera!.id}` });
    assert.equal((listed.json() as { email: string }).email, 'vera@example.org');

    accounts.set('sub-una', { preferred_username: 'una', barona_role: 'viewer', email: 'una@example.org', email_verified: false });
    accounts.set('sub-abe', { preferred_username: 'abe', barona_role: 'viewer', email: 'abe@example.org' });
    for (const [sub, username] of [
      ['sub-una', 'una'],
      ['sub-abe', 'abe'],
    ] as const) {
      const flow = await oidcSignIn(running, sub);
      assert.equal(flow.callback.statusCode, 200, flow.callback.body);
      assert.equal((await sessionOf(running, flow.session)).username, username);
      assert.equal(await emailOf(running, username), null, `${username}: an address the provider does not call verified is not stored`);
    }
  });

  test('a changed verified email replaces the stored one (audited); the same one again changes nothing', async () => {
    accounts.set('sub-cy', { preferred_username: 'cy', barona_role: 'viewer', email: 'cy@old.example.org', email_verified: true });
    await oidcSignIn(running, 'sub-cy');
    const [cy] = await accountRows(running, 'cy');
    assert.equal(cy!.email, 'cy@old.example.org');
    accounts.set('sub-cy', { preferred_username: 'cy', barona_role: 'viewer', email: 'cy@new.example.org', email_verified: true });
    const changed = await oidcSignIn(running, 'sub-cy');
    assert.equal(changed.callback.statusCode, 200, changed.callback.body);
    assert.equal(await emailOf(running, 'cy'), 'cy@new.example.org');
    await oidcSignIn(running, 'sub-cy');
    const audit = await running.database.query<{
      actor: string;
      action: string;
      before: { email: string } | null;
      after: { email: string };
    }>(`SELECT actor, action, before, after FROM audit_log WHERE entity = 'admin' AND entity_id = $1 ORDER BY id`, [cy!.id]);
    assert.deepEqual(
      audit.map((a) => [a.actor, a.action, a.before?.email ?? null, a.after.email]),
      [
        ['OpenID Connect', 'create', null, 'cy@old.example.org'],
        ['OpenID Connect', 'change', 'cy@old.example.org', 'cy@new.example.org'],
      ],
    );
  });

  test('an address set by hand stays when the provider sends none, or an unverified one; a verified one replaces it', async () => {
    accounts.set('sub-hal', { preferred_username: 'hal', barona_role: 'leader', barona_groups: [groupA] });
    await oidcSignIn(running, 'sub-hal');
    const [hal] = await accountRows(running, 'hal');
    assert.equal(hal!.email, null);
    const set = await owner.inject({ method: 'PATCH', url: `/api/v1/users/${hal!.id}`, payload: { email: 'hal@school.example.org' } });
    assert.equal(set.statusCode, 200, set.body);

    const none = await oidcSignIn(running, 'sub-hal');
    assert.equal(none.callback.statusCode, 200, none.callback.body);
    assert.equal(await emailOf(running, 'hal'), 'hal@school.example.org', 'no email claim: the address set by hand stays');
    accounts.set('sub-hal', {
      preferred_username: 'hal',
      barona_role: 'leader',
      barona_groups: [groupA],
      email: 'hal@elsewhere.example.org',
    });
    await oidcSignIn(running, 'sub-hal');
    assert.equal(await emailOf(running, 'hal'), 'hal@school.example.org', 'an unverified claim does not replace it');
    const changes = await running.database.query(
      `SELECT 1 FROM audit_log WHERE entity = 'admin' AND entity_id = $1 AND actor = 'OpenID Connect'`,
      [hal!.id],
    );
    assert.equal(changes.length, 1, 'only the creation: keeping the address is no change');

    accounts.set('sub-hal', {
      preferred_username: 'hal',
      barona_role: 'leader',
      barona_groups: [groupA],
      email: 'hal@provider.example.org',
      email_verified: true,
    });
    await oidcSignIn(running, 'sub-hal');
    assert.equal(await emailOf(running, 'hal'), 'hal@provider.example.org', "the provider's verified address wins");
  });

  test('an implausible or too long verified email is ignored (the stored one stays) and logged at warn without the address', async () => {
    accounts.set('sub-ike', { preferred_username: 'ike', barona_role: 'viewer', email: 'ike@example.org', email_verified: true });
    await oidcSignIn(running, 'sub-ike');
    const warned: unknown[][] = [];
    const log = running.app.log as unknown as { warn: (...args: unknown[]) => void };
    const warn = log.warn;
    log.warn = (...args: unknown[]) => void warned.push(args);
    const long = `${'x'.repeat(250)}@example.org`;
    try {
      for (const bad of ['not an address', 'two@@example.org', long]) {
        accounts.set('sub-ike', { preferred_username: 'ike', barona_role: 'viewer', email: bad, email_verified: true });
        const flow = await oidcSignIn(running, 'sub-ike');
        assert.equal(flow.callback.statusCode, 200, flow.callback.body);
        assert.equal((await sessionOf(running, flow.session)).username, 'ike', 'the sign-in itself succeeds');
        assert.equal(await emailOf(running, 'ike'), 'ike@example.org');
      }
    } finally {
      log.warn = warn;
    }
    assert.equal(warned.length, 3, JSON.stringify(warned));
    const [ike] = await accountRows(running, 'ike');
    for (const [fields, message] of warned) {
      assert.deepEqual(Object.keys(fields as object), ['event', 'userId', 'reason']);
      assert.equal((fields as { event: string }).event, 'oidc email ignored');
      assert.equal((fields as { userId: number }).userId, Number(ike!.id));
      assert.match(String(message), /e-mail address was not stored/);
    }
    assert.match(JSON.stringify(warned[2]), /longer than 254 characters/);
    const text = JSON.stringify(warned);
    for (const bad of ['not an address', 'two@@', 'xxxxxxxxxx', 'example.org'])
      assert.ok(!text.includes(bad), `the log line does not quote ${bad}`);
  });

  test('a claim that would demote the last owner refuses the sign-in and keeps the owner', async () => {
    accounts.set('sub-olga', { preferred_username: 'olga', barona_role: 'owner' });
    const first = await oidcSignIn(running, 'sub-olga');
    assert.equal((await sessionOf(running, first.session)).role, 'owner');
    // The password owner steps down: olga is the last owner.
    await running.database.query(`UPDATE admin_users SET role = 'manager' WHERE username = 'admin'`);
    try {
      accounts.set('sub-olga', { preferred_username: 'olga', barona_role: 'manager' });
      const demoted = await oidcSignIn(running, 'sub-olga');
      assert.equal(demoted.callback.statusCode, 409, demoted.callback.body);
      assert.match(demoted.callback.body, /olga is the last owner/);
      assert.equal(demoted.session, undefined);
      assert.equal((await accountRows(running, 'olga'))[0]!.role, 'owner');
    } finally {
      await running.database.query(`UPDATE admin_users SET role = 'owner' WHERE username = 'admin'`);
    }
    // With another owner, the claim decides.
    const demoted = await oidcSignIn(running, 'sub-olga');
    assert.equal((await sessionOf(running, demoted.session)).role, 'manager');
  });
});

describe('OpenID Connect configuration and an unreachable provider', { timeout: 60_000 }, () => {
  test('OIDC_* are validated at start, each error one line naming the variable', () => {
    const base = { OIDC_ISSUER: 'https://id.example.org', OIDC_CLIENT_ID: 'barona', OIDC_CLIENT_SECRET: 'secret' };
    const config = loadConfig(base).oidc!;
    assert.equal(config.issuer.href, 'https://id.example.org/');
    assert.deepEqual(
      [config.roleClaim, config.groupsClaim, config.usernameClaim, config.redirectUrl],
      ['barona_role', 'barona_groups', 'preferred_username', undefined],
    );
    assert.equal(loadConfig({}).oidc, undefined);
    const cases: [Record<string, string>, RegExp][] = [
      [{ OIDC_CLIENT_ID: 'barona' }, /^OIDC_ISSUER: is required when OIDC_CLIENT_ID is set/],
      [{ ...base, OIDC_CLIENT_ID: '' }, /^OIDC_CLIENT_ID: is required when OIDC_ISSUER is set/],
      [{ ...base, OIDC_CLIENT_SECRET: '' }, /^OIDC_CLIENT_SECRET: is required/],
      [{ ...base, OIDC_ISSUER: 'http://id.example.org' }, /^OIDC_ISSUER: must be an https:\/\/ URL/],
      [{ ...base, OIDC_ISSUER: 'not a url' }, /^OIDC_ISSUER: is not a valid URL/],
      [{ ...base, OIDC_REDIRECT_URL: 'https://barona.example.org/elsewhere' }, /^OIDC_REDIRECT_URL: must end in \/admin\/oidc\/callback/],
      [{ ...base, OIDC_ROLE_CLAIM: 'has space' }, /^OIDC_ROLE_CLAIM: must be a claim name/],
      [{ ...base, OIDC_CLIENT_SECRET_FILE: '/nonexistent/secret' }, /^OIDC_CLIENT_SECRET: set either/],
    ];
    for (const [env, message] of cases) {
      assert.throws(
        () => loadConfig(env),
        (error: Error) => error instanceof ConfigError && message.test(error.message) && !error.message.includes('\n'),
        `${JSON.stringify(env)}`,
      );
    }
    assert.equal(loadConfig({ ...base, OIDC_ISSUER: 'http://127.0.0.1:9' }).oidc!.issuer.host, '127.0.0.1:9');
  });

  test('an unreachable issuer gives a 502 page, not a stack; without OIDC the routes do not exist', async () => {
    // A port that was just free: nobody answers there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const running = await build({
      AUTH_MODE: 'token',
      OIDC_ISSUER: `http://127.0.0.1:${port}`,
      OIDC_CLIENT_ID: CLIENT_ID,
      OIDC_CLIENT_SECRET: CLIENT_SECRET,
    });
    try {
      const start = await running.app.inject({ url: '/admin/oidc/start' });
      assert.equal(start.statusCode, 502, start.body);
      assert.match(start.headers['content-type'] as string, /text\/html/);
      assert.match(start.body, /could not be reached/);
      assert.doesNotMatch(start.body, /at .*\.js:\d+/);
      const callback = await running.app.inject({ url: '/admin/oidc/callback?code=x&state=y' });
      assert.equal(callback.statusCode, 400, 'no flow cookie: expired');
    } finally {
      await running.close();
    }
    const plain = await build({ AUTH_MODE: 'token' });
    try {
      assert.doesNotMatch((await plain.app.inject({ url: '/admin' })).body, /oidc/);
      assert.equal((await plain.app.inject({ url: '/admin/oidc/start' })).statusCode, 404);
    } finally {
      await plain.close();
    }
  });
});
