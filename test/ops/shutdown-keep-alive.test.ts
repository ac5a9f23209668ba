// SIGTERM while 20 keep-alive clients (Node's own fetch, as kiosks and scripts use it) post check-ins
// back to back. A request sent on a connection the server had already accepted must be answered: a
// connection reset, a 5xx or a hang is a failure. Only new connections, refused once the listener has
// closed, may fail. Run with the defaults (no drain) and with the chart's drain settings.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startServer } from '../support/server.js';
import { sleep } from '../support/http-load.js';

const CLIENTS = 20;
const REFUSED = new Set(['ECONNREFUSED']);

interface Result {
  status?: number;
  error?: string;
}

/** Why fetch failed, as the lowest-level code it names (ECONNRESET, UND_ERR_SOCKET, ECONNREFUSED…). */
function failure(error: unknown): string {
  let cause = error as { name?: string; code?: string; cause?: unknown } | undefined;
  let code = cause?.name ?? 'Error';
  while (cause) {
    if (cause.code) code = cause.code;
    cause = cause.cause as typeof cause;
  }
  return code;
}

async function sigtermUnderKeepAliveLoad(database: TestDatabase, env: Record<string, string>) {
  const server = await startServer({ env: { DATABASE_URL: database.url, ...env } });
  const prefix = `ka-${randomBytes(4).toString('hex')}`;
  const results: Result[] = [];
  let running = true;
  let n = 0;
  const exited = new Promise<number | null>((resolve) => server.process.once('exit', (code) => resolve(code)));
  const client = async () => {
    while (running) {
      const id = `${prefix}-${n++}`;
      try {
        const response = await fetch(`${server.url}/table/create`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ firstname: 'Keep', lastname: id, gate: 'K' }),
          signal: AbortSignal.timeout(15_000),
        });
        await response.arrayBuffer();
        results.push({ status: response.status });
      } catch (error) {
        const code = failure(error);
        results.push({ error: code });
        // A refused port is the expected end; do not spin on it.
        await sleep(REFUSED.has(code) ? 20 : 5);
      }
    }
  };
  const load = Promise.all(Array.from({ length: CLIENTS }, client));
  await sleep(1_500);
  const termAt = Date.now();
  server.process.kill('SIGTERM');
  const code = await exited;
  const exitMs = Date.now() - termAt;
  await sleep(300);
  running = false;
  await load;

  const kinds: Record<string, number> = {};
  for (const r of results) {
    const key = r.error ?? String(r.status);
    kinds[key] = (kinds[key] ?? 0) + 1;
  }
  console.log(
    `SIGTERM under keep-alive load (${JSON.stringify(env)}): ${results.length} requests, exit ${code} after ${exitMs} ms: ${JSON.stringify(kinds)}`,
  );
  return { code, results, kinds, output: server.output() };
}

describe('SIGTERM under keep-alive load', { timeout: 180_000 }, () => {
  let database: TestDatabase;
  before(async () => {
    database = await createTestDatabase();
  });
  after(async () => {
    await database.drop();
  });

  test('a request on an established connection after SIGTERM is answered with Connection: close; an idle one is closed a second after the listener', async () => {
    const server = await startServer({ env: { DATABASE_URL: database.url, SHUTDOWN_TIMEOUT_SECONDS: '3', LOG_LEVEL: 'info' } });
    const exited = new Promise<number | null>((resolve) => server.process.once('exit', (code) => resolve(code)));
    const open = (): Promise<{ socket: net.Socket; read: () => Promise<string>; closed: Promise<void> }> =>
      new Promise((resolve) => {
        const socket = net.connect(server.port, '127.0.0.1', () => {
          let buffer = '';
          let waiting: ((text: string) => void) | undefined;
          socket.setEncoding('utf8');
          socket.on('data', (chunk: string) => {
            buffer += chunk;
            if (waiting && /\r\n\r\n[\s\S]*\}$/.test(buffer)) {
              waiting(buffer);
              buffer = '';
              waiting = undefined;
            }
          });
          const closed = new Promise<void>((done) => socket.once('close', () => done()));
          resolve({ socket, closed, read: () => new Promise((done) => (waiting = done)) });
        });
      });
    const request = (n: number) => {
      const body = JSON.stringify({ firstname: 'Held', lastname: `Connection ${n}`, gate: 'H' });
      return `POST /table/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    };
    const busy = await open();
    const idle = await open();
    busy.socket.write(request(1));
    assert.match(await busy.read(), /^HTTP\/1\.1 201/);
    idle.socket.write(request(2));
    assert.match(await idle.read(), /^HTTP\/1\.1 201/);

    const termAt = Date.now();
    server.process.kill('SIGTERM');
    // New connections are refused once the listener has closed (poll slower than its 250 ms quiet wait).
    let refused = '';
    for (let i = 0; i < 20 && refused !== 'ECONNREFUSED'; i++) {
      await sleep(400);
      refused = await new Promise<string>((resolve) => {
        const probe = net.connect(server.port, '127.0.0.1', () => {
          probe.destroy();
          resolve('connected');
        });
        probe.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      });
    }
    assert.equal(refused, 'ECONNREFUSED', 'new connections are refused');
    busy.socket.write(request(3));
    const answer = await busy.read();
    assert.match(answer, /^HTTP\/1\.1 201/, 'a request on an established connection is still served');
    assert.match(answer, /\r\nconnection: close\r\n/i);
    await busy.closed; // and the connection ends after that answer
    await idle.closed; // the idle one is ended once it has been idle a second past the listener's close
    const closedAfter = Date.now() - termAt;
    assert.equal(await exited, 0);
    const exitedAfter = Date.now() - termAt;
    assert.ok(closedAfter >= 1_000 && closedAfter < 2_500, `the idle connection was closed after its grace (${closedAfter} ms)`);
    // Not held to SHUTDOWN_TIMEOUT_SECONDS (3 s) by it, nor by the test runner's own idle fetch connection.
    assert.ok(exitedAfter < 2_800, `exited ${exitedAfter} ms after SIGTERM`);
    assert.doesNotMatch(server.output(), /connections still open at the shutdown timeout were closed/);
  });

  for (const [name, env] of [
    ['default settings', {}],
    ["the chart's drain settings", { SHUTDOWN_DRAIN_SECONDS: '5', SHUTDOWN_TIMEOUT_SECONDS: '10' }],
  ] as const) {
    test(`${name}: no reset, no 5xx, no timeout; exit 0`, async () => {
      const { code, results, kinds } = await sigtermUnderKeepAliveLoad(database, env);
      const created = results.filter((r) => r.status === 201).length;
      const bad = results.filter((r) => r.status !== 201 && !(r.error !== undefined && REFUSED.has(r.error)));
      assert.ok(created > 20, `check-ins were created under load (${created})`);
      assert.deepEqual(bad.length, 0, `only refused new connections may fail: ${JSON.stringify(kinds)}`);
      assert.equal(code, 0);
    });
  }
});
