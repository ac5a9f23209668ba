// A newcomer's first minute: `barona serve` on a terminal prints a short plain banner (URL, where to sign
// in, the generated password once, how to stop) and readable log lines; without a terminal, JSON lines
// (and LOG_FORMAT decides when set), with the generated password never inside one of them.
// The terminal is a real pseudo-terminal made by util-linux `script`; its shell `exec`s the server, so
// Ctrl+C reaches the server alone (a shell left waiting in between would die of the SIGINT itself).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { freePort } from '../support/ports.js';
import { BIN, ROOT, cleanEnv, startServer } from '../support/server.js';
import { Browser } from '../support/browser.js';

/** Runs `barona serve` inside a pseudo-terminal until `until` matches its output, then Ctrl+C. */
async function serveOnTerminal(
  env: Record<string, string>,
  until: RegExp,
): Promise<{ output: string; port: number; exitCode: number | null }> {
  const port = await freePort();
  const child = spawn('script', ['-qfec', `exec ${process.execPath} ${BIN} serve`, '/dev/null'], {
    cwd: ROOT,
    env: cleanEnv({ HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'info', TERM: 'xterm', ...env }),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 90_000;
  while (!until.test(output) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
  const seen = output;
  child.stdin.write('\u0003'); // Ctrl+C, as the banner says
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const exitCode = await exited;
  clearTimeout(timer);
  assert.match(seen, until, `the output never matched ${until}:\n${output}`);
  return { output: seen, port, exitCode };
}

describe('first start', { timeout: 240_000 }, () => {
  let database: TestDatabase;
  before(async () => {
    database = await createTestDatabase();
  });
  after(async () => database.drop());

  test('on a terminal: a plain banner with the URL, the sign-in, the generated password once, how to stop; readable logs', async () => {
    const { output, port, exitCode } = await serveOnTerminal({ DATABASE_URL: database.url, AUTH_MODE: 'token' }, /Stop with Ctrl\+C/);
    // Colours off (ESC [ … m), line ends as on any terminal.
    const text = output.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '').replace(/\r/g, '');
    assert.match(text, new RegExp(`Barona is running at http://127\\.0\\.0\\.1:${port}`));
    assert.match(text, new RegExp(`Admin sign-in: http://127\\.0\\.0\\.1:${port}/admin`));
    const password = /First admin: "admin", password (\S+)/.exec(text)?.[1];
    assert.ok(password, text);
    assert.equal(text.split(password).length, 2, 'the password is shown exactly once');
    assert.match(text, /INFO.*barona is serving/, 'human-readable log lines');
    assert.doesNotMatch(text, /^\{"level"/m, 'no JSON lines on a terminal');
    assert.equal(exitCode, 0, 'Ctrl+C shuts down cleanly');

    // The password works: sign in with it on a normal server against the same database.
    const server = await startServer({ env: { DATABASE_URL: database.url, AUTH_MODE: 'token' } });
    try {
      await new Browser(server.url).signIn('admin', password);
      assert.doesNotMatch(server.output(), /First admin|generated password/, 'a later start prints no password');
    } finally {
      await server.stop();
    }
  });

  test('on a terminal with LOG_FORMAT=json: JSON lines', async () => {
    const { output } = await serveOnTerminal({ DATABASE_URL: database.url, LOG_FORMAT: 'json' }, /"msg":"barona is serving"/);
    assert.match(output, /^\{"level":30,.*"msg":"barona is serving"\}\r?$/m);
  });

  test('without a terminal: JSON lines on stdout; LOG_FORMAT=pretty makes them readable', async () => {
    const json = await startServer({ env: { DATABASE_URL: database.url, LOG_LEVEL: 'info' } });
    await json.stop();
    const lines = json.output().trim().split('\n');
    assert.ok(lines.length > 2);
    for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), line);
    assert.doesNotMatch(json.output(), /Barona is running/, 'no banner without a terminal');

    const pretty = await startServer({ env: { DATABASE_URL: database.url, LOG_LEVEL: 'info', LOG_FORMAT: 'pretty' } });
    await pretty.stop();
    assert.match(pretty.output(), /INFO.*barona is serving/);
    assert.doesNotMatch(pretty.output(), /^\{"level"/m);
  });
});
