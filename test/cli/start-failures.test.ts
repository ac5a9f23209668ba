// A start that cannot work ends at once: `barona serve` on a taken port (run twice, a port clash in a
// pod), with a DATA_DIR that cannot hold the database, or with a PostgreSQL it never reaches within
// DATABASE_START_TIMEOUT_SECONDS, exits non-zero within seconds with one line on
// stderr saying what is wrong, on PostgreSQL and embedded alike, instead of hanging with its database
// pool, PGlite or timers still open.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { runCli } from '../support/server.js';

const WITHIN_MS = 5_000;
/** A bad DATA_DIR is found by opening it, after the server's modules (PGlite's WASM) have loaded. */
const DATA_DIR_WITHIN_MS = 15_000;

async function serveFailing(env: Record<string, string>): Promise<{ code: number | null; stderr: string; stdout: string; ms: number }> {
  const started = Date.now();
  const result = await runCli(['serve'], { HOST: '127.0.0.1', AUTH_MODE: 'open', ...env });
  return { ...result, ms: Date.now() - started };
}

describe('a start that cannot work ends at once', { timeout: 120_000 }, () => {
  let database: TestDatabase;
  let taken: net.Server;
  let port: number;
  const folders: string[] = [];
  const folder = () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'barona-start-'));
    folders.push(dir);
    return dir;
  };

  before(async () => {
    database = await createTestDatabase();
    taken = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    port = (taken.address() as net.AddressInfo).port;
  });
  after(async () => {
    await new Promise((resolve) => taken.close(resolve));
    for (const dir of folders) rmSync(dir, { recursive: true, force: true });
    await database.drop();
  });

  for (const mode of ['PostgreSQL (DATABASE_URL)', 'embedded (DATA_DIR)'] as const) {
    test(`${mode}: a taken port → exit 1 within 5 s, one line naming the port`, async () => {
      const env: Record<string, string> = mode.startsWith('PostgreSQL')
        ? { DATABASE_URL: database.url }
        : { DATA_DIR: path.join(folder(), 'data') };
      const { code, stderr, stdout, ms } = await serveFailing({ ...env, PORT: String(port), MIGRATE_ON_START: 'true' });
      console.log(`${mode}, port taken: exit ${code} after ${ms} ms: ${stderr.trim()}`);
      assert.equal(code, 1);
      assert.ok(ms < WITHIN_MS, `exited after ${ms} ms`);
      assert.equal(
        stderr,
        `barona: cannot listen on 127.0.0.1:${port}: the port is taken (is another barona, or another service, running on it?) (EADDRINUSE)\n`,
      );
      assert.equal(stdout, '', 'nothing else: no log of a start that did not happen');
    });
  }

  test('a database never reached within DATABASE_START_TIMEOUT_SECONDS → exit 1, one line naming it and why', async () => {
    // A port nobody listens on: every connection is refused.
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as net.AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const { code, stderr, ms } = await serveFailing({
      DATABASE_URL: `postgres://barona:secret@127.0.0.1:${closedPort}/barona`,
      DATABASE_START_TIMEOUT_SECONDS: '2',
      MIGRATE_ON_START: 'true',
      PORT: '0',
    });
    console.log(`database unreachable: exit ${code} after ${ms} ms: ${stderr.trim()}`);
    assert.equal(code, 1);
    assert.ok(ms < 2_000 + WITHIN_MS, `exited after ${ms} ms`);
    assert.match(
      stderr,
      new RegExp(
        `^barona: the database at postgres://barona:\\*\\*\\*@127\\.0\\.0\\.1:${closedPort}/barona was not reachable for 2 s \\(.*ECONNREFUSED.*\\); DATABASE_START_TIMEOUT_SECONDS=0 waits for it\\n$`,
      ),
    );
    assert.ok(!stderr.includes('secret'), 'the password is not shown');
  });

  test('a DATA_DIR that is a file → exit 1 within seconds, one line naming it', async () => {
    const file = path.join(folder(), 'data');
    writeFileSync(file, 'not a folder');
    const { code, stderr, ms } = await serveFailing({ DATA_DIR: file, PORT: '0' });
    console.log(`DATA_DIR a file: exit ${code} after ${ms} ms: ${stderr.trim()}`);
    assert.equal(code, 1);
    assert.ok(ms < DATA_DIR_WITHIN_MS, `exited after ${ms} ms`);
    assert.equal(stderr, `barona: DATA_DIR ${file}: not a folder\n`);
  });

  test('a DATA_DIR holding something that is not a database → exit 1 within seconds, one line naming it', async () => {
    const dir = folder();
    writeFileSync(path.join(dir, 'PG_VERSION'), 'not a version\n');
    writeFileSync(path.join(dir, 'notes.txt'), 'someone else’s folder\n');
    const { code, stderr, ms } = await serveFailing({ DATA_DIR: dir, PORT: '0' });
    console.log(`DATA_DIR not a database: exit ${code} after ${ms} ms: ${stderr.trim()}`);
    assert.equal(code, 1);
    assert.ok(ms < DATA_DIR_WITHIN_MS, `exited after ${ms} ms`);
    assert.match(stderr, new RegExp(`^barona: DATA_DIR ${dir.replaceAll('/', '\\/')}: does not hold a usable database \\(.+\\)\\n$`));
  });
});
