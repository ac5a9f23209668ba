// Small HTTP helpers for the /api/v1 tests, and seeding rows straight into a backend's database
// (for times the API would rightly refuse, e.g. a DST day long past, or 300k rows for an export).
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { createTestDatabase, type TestDatabase } from './database.js';
import { runCli, startServer, type RunningServer } from './server.js';

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export async function api<T = Record<string, unknown>>(
  url: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.body !== undefined) headers['content-type'] ??= 'application/json';
  const response = await fetch(url, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers,
    body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
  });
  const text = await response.text();
  let body: unknown = text;
  if (/json/.test(response.headers.get('content-type') ?? '') && text !== '') body = JSON.parse(text);
  return { status: response.status, headers: response.headers, body: body as T, text };
}

/** Asserts an RFC 9457 answer: status, problem+json, the standard members, and (optionally) the field named. */
export function assertProblem(response: ApiResponse, status: number, field?: string): void {
  assert.equal(response.status, status, response.text);
  assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/, response.text);
  const problem = response.body as {
    type: string;
    title: string;
    status: number;
    detail: string;
    instance: string;
    errors?: { field: string; message: string }[];
  };
  assert.equal(problem.status, status);
  assert.equal(typeof problem.type, 'string');
  assert.ok(problem.title.length > 0);
  assert.ok(problem.detail.length > 0);
  assert.ok(problem.instance.startsWith('/api/'));
  if (field !== undefined) {
    assert.ok(
      problem.errors?.some((e) => e.field === field),
      `errors name ${field}: ${response.text}`,
    );
    assert.match(problem.detail, new RegExp(field.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 'detail names the field');
  }
}

export type Backend = 'postgres' | 'embedded';
export const BACKENDS: readonly Backend[] = ['postgres', 'embedded'];
export const backendName = (backend: Backend) => (backend === 'postgres' ? 'PostgreSQL' : 'embedded PGlite');

/** A running server on `backend`; `seedSql` runs against its database before the server starts. */
export interface ApiServer {
  server: RunningServer;
  database?: TestDatabase;
  stop(): Promise<void>;
}

export async function startApiServer(backend: Backend, env: Record<string, string> = {}, seedSql?: string): Promise<ApiServer> {
  if (backend === 'postgres') {
    const database = await createTestDatabase();
    if (seedSql) await database.query(seedSql);
    const server = await startServer({ env: { DATABASE_URL: database.url, ...env }, timeoutMs: 180_000 });
    return {
      server,
      database,
      async stop() {
        assert.equal(await server.stop(), 0, 'clean exit on SIGTERM');
        await database.drop();
      },
    };
  }
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'barona-data-'));
  if (seedSql) {
    // The real `barona migrate` creates the schema; then the rows go in while no server holds the folder.
    const migrated = await runCli(['migrate'], { DATA_DIR: dataDir });
    assert.equal(migrated.code, 0, migrated.stderr);
    const db = await PGlite.create(dataDir);
    if (env.APP_TIMEZONE) await db.exec(`SET TIME ZONE '${env.APP_TIMEZONE}'`);
    await db.exec(seedSql);
    await db.close();
  }
  const server = await startServer({ env: { DATA_DIR: dataDir, ...env }, timeoutMs: 180_000 });
  return {
    server,
    async stop() {
      assert.equal(await server.stop(), 0, 'clean exit on SIGTERM');
      const { rmSync } = await import('node:fs');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

let counter = 0;
/** A name no other test uses, so tests share a server without seeing each other's people. */
export function uniqueName(prefix = 'Person'): { firstname: string; lastname: string } {
  counter += 1;
  return { firstname: `${prefix}${counter}`, lastname: `T${process.pid}x${Date.now().toString(36)}${counter}` };
}
