// The first admin is created once from ADMIN_PASSWORD (a later start never resets it), and recovery is the
// explicit `barona admin reset-password USERNAME`: run as a process against a real PostgreSQL, with the
// service running, checked through HTTP and the audit log.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { BIN, ROOT, cleanEnv, runCli, startServer, type RunningServer } from '../support/server.js';
import { Browser } from '../support/browser.js';

const FIRST = 'first password from env';
const CHANGED = 'changed in the admin page';
const RESET = 'reset by the operator';

/** Runs `barona …` with `input` on stdin. */
function cliWithStdin(args: string[], env: Record<string, string>, input: string) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: cleanEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe('first admin and barona admin reset-password', { timeout: 180_000 }, () => {
  let database: TestDatabase;
  let server: RunningServer;
  const env = () => ({ DATABASE_URL: database.url, AUTH_MODE: 'token', ADMIN_PASSWORD: FIRST });

  before(async () => {
    database = await createTestDatabase();
    server = await startServer({ env: env() });
  });
  after(async () => {
    if (server.process.exitCode === null) await server.stop();
    await database.drop();
  });

  test('ADMIN_PASSWORD creates the first admin once; a password changed in the UI survives a restart', async () => {
    const admin = new Browser(server.url);
    const csrf = await admin.signIn('admin', FIRST);
    const changed = await admin.post('/admin/users/password', { _csrf: csrf, current: FIRST, password: CHANGED });
    assert.equal(changed.status, 303);

    const kept = new Browser(server.url);
    await kept.signIn('admin', CHANGED);
    assert.equal(await server.stop(), 0);
    server = await startServer({ env: env() }); // the same ADMIN_PASSWORD as at the first start
    const sameCookies = new Browser(server.url); // the new process listens on another port
    for (const [name, value] of kept.cookies) sameCookies.cookies.set(name, value);
    assert.equal((await sameCookies.get('/admin/sheet')).status, 200, 'sessions survive a restart');
    await new Browser(server.url).signIn('admin', CHANGED);
    await assert.rejects(new Browser(server.url).signIn('admin', FIRST), /401/);
    const creations = await database.query(`SELECT actor FROM audit_log WHERE entity = 'admin' AND action = 'create'`);
    assert.deepEqual(creations, [{ actor: 'system' }], 'the creation is audited, once');
  });

  test('reset-password reads the new password from stdin, ends the sessions, and is audited', async () => {
    const session = new Browser(server.url);
    await session.signIn('admin', CHANGED);
    const result = await cliWithStdin(['admin', 'reset-password', 'admin'], { DATABASE_URL: database.url }, `${RESET}\n`);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /password of admin "admin" reset; their sessions have ended/);
    assert.ok(!result.stdout.includes(RESET) && !result.stderr.includes(RESET), 'the password is not echoed');

    assert.equal((await session.get('/admin/sheet')).status, 303, 'the old session has ended');
    await new Browser(server.url).signIn('admin', RESET);
    await assert.rejects(new Browser(server.url).signIn('admin', CHANGED), /401/);
    const audit = await database.query<{ actor: string; after: { username: string } }>(
      `SELECT actor, after FROM audit_log WHERE entity = 'admin' AND action = 'reset password'`,
    );
    assert.equal(audit.length, 1);
    assert.match(audit[0]!.actor, /^operator \(barona admin reset-password/);
    assert.equal(audit[0]!.after.username, 'admin');
  });

  test('reset-password takes ADMIN_PASSWORD when set', async () => {
    const result = await runCli(['admin', 'reset-password', 'admin'], { DATABASE_URL: database.url, ADMIN_PASSWORD: FIRST });
    assert.equal(result.code, 0, result.stderr);
    await new Browser(server.url).signIn('admin', FIRST);
  });

  test('mistakes are one line on stderr and a non-zero exit', async () => {
    const cases: [string[], string, number, RegExp][] = [
      [['admin', 'reset-password', 'nobody'], 'long enough password\n', 1, /^barona: there is no admin called "nobody"\n$/],
      [['admin', 'reset-password', 'admin'], 'short\n', 1, /^barona: The password must be at least 12 characters long\.\n$/],
      [['admin', 'reset-password'], '', 2, /^barona: admin reset-password needs a USERNAME \(see barona --help\)\n$/],
      [['admin', 'rename', 'admin'], '', 2, /^barona: unknown admin command "rename"/],
    ];
    for (const [args, input, code, stderr] of cases) {
      const result = await cliWithStdin(args, { DATABASE_URL: database.url }, input);
      assert.equal(result.code, code, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, stderr);
    }
  });
});
