// A throwaway PgBouncer (Debian's package, scripts/install-pgbouncer.sh) in transaction mode in front of a
// PostgreSQL server a test names: its own temporary folder, configuration and port, started in the
// foreground and killed at the end. Nothing Barona sends is ignored (`ignore_startup_parameters` is empty):
// node-postgres sends only user, database and application_name, which PgBouncer handles itself, so a
// startup parameter the pooler cannot pass on is refused as it would be in production.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './ports.js';

export const PGBOUNCER = '/usr/sbin/pgbouncer';

export interface PgbouncerOptions {
  /** The PostgreSQL server behind it: a superuser URL such as TEST_DATABASE_URL (its database is ignored). */
  serverUrl: string;
  /** Server connections per database and user (PgBouncer's default_pool_size). */
  poolSize?: number;
  /** Extra `[pgbouncer]` settings. */
  settings?: Record<string, string | number>;
}

export interface Pgbouncer {
  port: number;
  /** A URL of `database` through the pooler, as the server URL's user. */
  url(database: string): string;
  /** The pooler's own log so far. */
  log(): string;
  /** SIGKILL (a crash: every client connection drops at once); resolves once it has exited. */
  kill(): Promise<void>;
  /** Starts it again on the same port with the same configuration; resolves once it accepts connections. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** As root, PgBouncer refuses to run ("should not run as root"): it runs as the `postgres` system user. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  const uid = id('-u');
  const gid = id('-g');
  if (uid.status !== 0 || gid.status !== 0) throw new Error('running as root, PgBouncer needs a `postgres` system user to run as');
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/**
 * Why the PgBouncer tests cannot run here, or undefined when they can: a machine without Debian's package
 * skips them with this message (as the browser tests do without Chromium); under CI=true a missing
 * PgBouncer is a failure (.ci/run installs it with scripts/install-pgbouncer.sh).
 */
export function pgbouncerMissing(): string | undefined {
  let reason: string | undefined;
  if (!existsSync(PGBOUNCER)) reason = `${PGBOUNCER} not found`;
  else if (process.getuid?.() === 0 && spawnSync('id', ['-u', 'postgres']).status !== 0)
    reason = 'no `postgres` system user to run PgBouncer as';
  if (reason === undefined) return undefined;
  const message = `${reason}: PgBouncer tests skipped (install it with scripts/install-pgbouncer.sh)`;
  if (process.env.CI === 'true') throw new Error(`${message}; under CI=true this is a failure`);
  console.warn(`⚠ ${message}`);
  return message;
}

/** Starts PgBouncer; throws when it is not installed (see pgbouncerMissing). */
export async function startPgbouncer(options: PgbouncerOptions): Promise<Pgbouncer> {
  if (!existsSync(PGBOUNCER)) {
    throw new Error(`${PGBOUNCER} is not installed: run scripts/install-pgbouncer.sh (scripts/ci-setup.sh runs it)`);
  }
  const server = new URL(options.serverUrl);
  const user = decodeURIComponent(server.username || 'postgres');
  const password = decodeURIComponent(server.password);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'barona-pgbouncer-'));
  const port = await freePort();
  const logFile = path.join(dir, 'pgbouncer.log');
  const quote = (value: string) => `"${value.replaceAll('"', '""')}"`;
  // Trust between the test and the pooler; the pooler logs in to PostgreSQL with the auth file's password.
  writeFileSync(path.join(dir, 'userlist.txt'), `${quote(user)} ${quote(password)}\n`);
  const settings: Record<string, string | number> = {
    listen_addr: '127.0.0.1',
    listen_port: port,
    unix_socket_dir: '',
    auth_type: 'trust',
    auth_file: path.join(dir, 'userlist.txt'),
    pool_mode: 'transaction',
    ignore_startup_parameters: '',
    max_client_conn: 400,
    default_pool_size: options.poolSize ?? 10,
    // After PostgreSQL comes back, log in again within a second (the default waits 15 s); a client
    // waits at most 5 s for a server connection (the service's own bounds are 3 s to connect, 15 s a query).
    server_login_retry: 1,
    query_wait_timeout: 5,
    logfile: logFile,
    pidfile: path.join(dir, 'pgbouncer.pid'),
    ...options.settings,
  };
  const ini = [
    '[databases]',
    // Every database name maps to the same name on the server (an auto-database per test database).
    `* = host=${server.hostname === 'localhost' ? '127.0.0.1' : server.hostname} port=${server.port || 5432}`,
    '[pgbouncer]',
    ...Object.entries(settings).map(([key, value]) => `${key} = ${value}`),
    '',
  ].join('\n');
  const config = path.join(dir, 'pgbouncer.ini');
  writeFileSync(config, ini);
  chmodSync(dir, 0o777);
  for (const file of ['pgbouncer.ini', 'userlist.txt']) chmodSync(path.join(dir, file), 0o644);

  let child: ChildProcess | undefined;
  let output = '';
  const start = async () => {
    const started = spawn(PGBOUNCER, [config], { ...runAs(), stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    started.stdout!.on('data', (chunk) => (output += chunk));
    started.stderr!.on('data', (chunk) => (output += chunk));
    const deadline = Date.now() + 10_000;
    while (!(await accepts(port))) {
      if (started.exitCode !== null) throw new Error(`pgbouncer exited with ${started.exitCode}:\n${output}${readLog()}`);
      if (Date.now() > deadline) throw new Error(`pgbouncer does not accept connections on ${port}:\n${output}${readLog()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const readLog = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  const kill = async () => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  };

  await start();
  return {
    port,
    url: (database) => {
      const url = new URL(`postgres://127.0.0.1:${port}/${encodeURIComponent(database)}`);
      url.username = encodeURIComponent(user);
      return url.toString();
    },
    log: () => `${output}${readLog()}`,
    kill,
    start,
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
