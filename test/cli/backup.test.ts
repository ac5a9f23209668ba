// `barona backup` / `barona restore` as child processes against a real PostgreSQL and PGlite: data written
// through the API, backed up, restored into a fresh database, every table compared (rows and checksum);
// the refusals (non-empty target, newer schema, damaged, cut-off or incomplete file, an overlong line)
// are one stderr line, exit 1; a restore leaves its own audit record.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { api } from '../support/api.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { BIN, ROOT, cleanEnv, runCli, startServer, type RunningServer } from '../support/server.js';

type Query = <Row>(sql: string) => Promise<Row[]>;
type Fingerprint = Record<string, { rows: number; checksum: string }>;

/**
 * Row count and an md5 over every row (row_to_json, in primary-key order) of every table but the ledger;
 * `where` leaves rows out of a table.
 */
async function fingerprint(query: Query, where: Record<string, string> = {}): Promise<Fingerprint> {
  const tables = await query<{ name: string; key: string }>(
    `SELECT c.relname::text AS name,
            coalesce((SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) FROM pg_index i
                        JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey::int2[])
                       WHERE i.indrelid = c.oid AND i.indisprimary), 'row_to_json(t)::text') AS key
       FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND c.relname <> 'schema_migrations'
      ORDER BY 1`,
  );
  const result: Fingerprint = {};
  for (const { name, key } of tables) {
    const [row] = await query<{ rows: number; checksum: string }>(
      `SELECT count(*)::int AS rows, coalesce(md5(string_agg(row_to_json(t)::text, E'\\n' ORDER BY ${key})), '') AS checksum FROM ${name} t
        ${where[name] ? `WHERE ${where[name]}` : ''}`,
    );
    result[name] = row!;
  }
  return result;
}

/**
 * A restored database's fingerprint: what the backup held, without the one audit record the restore
 * adds (by the operator's command, acting as the system, naming the backup and counting what it held).
 */
async function restoredPrint(query: Query): Promise<Fingerprint> {
  const records = await query<{ actor: string; actor_role: string; entity_id: string; after: { tables: number; rows: number } }>(
    `SELECT actor, actor_role, entity_id, after FROM audit_log WHERE entity = 'backup' AND action = 'restore'`,
  );
  assert.equal(records.length, 1, 'the restore leaves one audit record');
  const [record] = records;
  assert.deepEqual([record!.actor, record!.actor_role], ['barona restore', 'system']);
  assert.ok(!Number.isNaN(Date.parse(record!.entity_id)), 'it names the backup by when it was taken');
  assert.ok(record!.after.tables > 5 && record!.after.rows > 20, JSON.stringify(record!.after));
  return fingerprint(query, { audit_log: `NOT (entity = 'backup' AND action = 'restore')` });
}

async function withPg<T>(url: string, work: (query: Query) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, options: '-c TimeZone=UTC' });
  await client.connect();
  try {
    return await work(async (sql) => (await client.query(sql)).rows);
  } finally {
    await client.end();
  }
}

async function withPglite<T>(dataDir: string, work: (query: Query) => Promise<T>): Promise<T> {
  const db = await PGlite.create(dataDir);
  try {
    await db.exec(`SET TIME ZONE 'UTC'`);
    return await work(async <Row>(sql: string) => (await db.query<Row>(sql)).rows);
  } finally {
    await db.close();
  }
}

/** Writes check-ins through both APIs, one with an Idempotency-Key (and its replay), a correction and a deletion (audited). */
async function writeThroughApi(server: RunningServer): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < 20; i++) {
    const seed = await api<{ id: number }>(`${server.url}/table/create`, {
      body: { firstname: `Ánna${i}`, lastname: 'O\'Brien, "Jr"\n', gate: `G${i % 3}` },
    });
    assert.equal(seed.status, 201, seed.text);
    ids.push(seed.body.id);
  }
  const keyed = { firstname: 'Kiosk', lastname: 'Retry', gate: 'North' };
  const first = await api<{ id: number }>(`${server.url}/api/v1/checkins`, { body: keyed, headers: { 'idempotency-key': 'kiosk-1-0001' } });
  assert.equal(first.status, 201, first.text);
  const replay = await api<{ id: number }>(`${server.url}/api/v1/checkins`, {
    body: keyed,
    headers: { 'idempotency-key': 'kiosk-1-0001' },
  });
  assert.equal(replay.body.id, first.body.id);
  ids.push(first.body.id);
  const patched = await api(`${server.url}/api/v1/checkins/${ids[0]}`, { method: 'PATCH', body: { gate: 'Corrected', direction: 'out' } });
  assert.equal(patched.status, 200, patched.text);
  const deleted = await api(`${server.url}/api/v1/checkins/${ids[1]}`, { method: 'DELETE' });
  assert.equal(deleted.status, 204, deleted.text);
  return ids;
}

function assertSameData(restored: Fingerprint, source: Fingerprint): void {
  assert.deepEqual(Object.keys(restored).sort(), Object.keys(source).sort(), 'the same tables');
  for (const [table, expected] of Object.entries(source)) {
    assert.deepEqual(restored[table], expected, `table ${table}: same row count and checksum`);
  }
  assert.ok(source.checkins!.rows >= 21 && source.audit_log!.rows >= 2 && source.admin_users!.rows >= 1, 'the data covers several tables');
  assert.equal(source.checkin_idempotency_keys!.rows, 1);
}

/** `barona backup -` piped straight into `barona restore -`. */
async function pipeBackupToRestore(fromEnv: Record<string, string>, toEnv: Record<string, string>) {
  const backup = spawn(process.execPath, [BIN, 'backup', '-'], { cwd: ROOT, env: cleanEnv(fromEnv), stdio: ['ignore', 'pipe', 'pipe'] });
  const restore = spawn(process.execPath, [BIN, 'restore', '-'], { cwd: ROOT, env: cleanEnv(toEnv), stdio: ['pipe', 'pipe', 'pipe'] });
  backup.stdout.pipe(restore.stdin);
  let backupErr = '';
  let restoreOut = '';
  let restoreErr = '';
  backup.stderr.on('data', (c) => (backupErr += c));
  restore.stdout.on('data', (c) => (restoreOut += c));
  restore.stderr.on('data', (c) => (restoreErr += c));
  const [backupCode, restoreCode] = await Promise.all([
    new Promise((r) => backup.on('exit', r)),
    new Promise((r) => restore.on('exit', r)),
  ]);
  return { backupCode, backupErr, restoreCode, restoreOut, restoreErr };
}

function assertOneLineRefusal(result: { code: number | null; stderr: string }, pattern: RegExp): void {
  assert.equal(result.code, 1, result.stderr);
  assert.equal(result.stderr.trim().split('\n').length, 1, `one line on stderr: ${result.stderr}`);
  assert.match(result.stderr, pattern);
}

/** The backup's text with `edit` applied, gzipped again. */
function editedBackup(file: string, edit: (text: string) => string): string {
  const out = `${file}.edited-${Math.random().toString(36).slice(2)}.gz`;
  writeFileSync(out, gzipSync(edit(gunzipSync(readFileSync(file)).toString('utf8'))));
  return out;
}

describe('barona backup / restore on PostgreSQL', () => {
  let source: TestDatabase;
  let dir: string;
  let file: string;
  let sourcePrint: Fingerprint;
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'barona-backup-'));
    file = path.join(dir, 'barona.backup.gz');
    source = await createTestDatabase();
    const server = await startServer({ env: { DATABASE_URL: source.url } });
    try {
      await writeThroughApi(server);
    } finally {
      assert.equal(await server.stop(), 0);
    }
    sourcePrint = await withPg(source.url, fingerprint);
  });
  after(async () => {
    await source.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('backup, then restore into a blank database: every table the same, ids continue after the restored ones', async () => {
    const backup = await runCli(['backup', file], { DATABASE_URL: source.url });
    assert.equal(backup.code, 0, backup.stderr);
    assert.match(backup.stdout, /backed up {2}checkins {2}\d+ rows/);
    assert.match(backup.stdout, /^backup complete: \d+ tables/m);
    const blank = await createTestDatabase({ migrated: false });
    try {
      const restore = await runCli(['restore', file], { DATABASE_URL: blank.url });
      assert.equal(restore.code, 0, restore.stderr);
      assert.match(restore.stdout, /restored {2}checkins {2}\d+ rows/);
      assertSameData(await withPg(blank.url, restoredPrint), sourcePrint);
      const status = await runCli(['migrate', '--status'], { DATABASE_URL: blank.url });
      assert.match(status.stdout, / 0 pending/, 'the restored database is at this version’s schema');

      const server = await startServer({ env: { DATABASE_URL: blank.url } });
      try {
        const created = await api<{ id: number }>(`${server.url}/table/create`, { body: { firstname: 'After', lastname: 'Restore' } });
        assert.equal(created.status, 201, created.text);
        const [max] = await blank.query<{ max: number }>(`SELECT max(id)::int AS max FROM checkins WHERE firstname <> 'After'`);
        assert.ok(created.body.id > max!.max, 'a new check-in gets a new id');
      } finally {
        await server.stop();
      }
    } finally {
      await blank.drop();
    }
  });

  test('backup - | restore - into a freshly migrated database', async () => {
    const migrated = await createTestDatabase();
    try {
      const result = await pipeBackupToRestore({ DATABASE_URL: source.url }, { DATABASE_URL: migrated.url });
      assert.equal(result.backupCode, 0, result.backupErr);
      assert.equal(result.restoreCode, 0, result.restoreErr);
      assert.match(result.backupErr, /backup complete/, 'with the backup on stdout, the summary goes to stderr');
      assertSameData(await withPg(migrated.url, restoredPrint), sourcePrint);
    } finally {
      await migrated.drop();
    }
  });

  test('a database with rows is refused, untouched', async () => {
    const result = await runCli(['restore', file], { DATABASE_URL: source.url });
    assertOneLineRefusal(result, /^barona: the target database is not empty \(table \w+ has rows\)/);
    assert.deepEqual(await withPg(source.url, fingerprint), sourcePrint);
  });

  test('a backup from a newer schema is refused before anything is written', async () => {
    const newer = editedBackup(file, (text) =>
      text.replace(/"migrations":\[/, '"migrations":[{"version":"9999","name":"from_the_future","checksum":"x"},'),
    );
    const blank = await createTestDatabase({ migrated: false });
    try {
      const result = await runCli(['restore', newer], { DATABASE_URL: blank.url });
      assertOneLineRefusal(result, /^barona: backup is from a newer schema \(migration 9999_from_the_future/);
      const [ledger] = await blank.query<{ exists: boolean }>(`SELECT to_regclass('schema_migrations') IS NOT NULL AS exists`);
      assert.equal(ledger!.exists, false, 'nothing written');
    } finally {
      await blank.drop();
    }
  });

  test('a cut-off, a tampered or a foreign file restores nothing', async () => {
    const cutOff = editedBackup(file, (text) => text.slice(0, text.indexOf('DONE ')));
    const tampered = editedBackup(file, (text) => text.replace('Ánna3', 'Anna3'));
    const foreign = path.join(dir, 'not-a-backup.txt');
    writeFileSync(foreign, 'id,login\n1,2\n');
    const cases: [string, RegExp][] = [
      [cutOff, /^barona: incomplete backup: the file ends before its DONE line/],
      [tampered, /^barona: damaged backup: table checkins/],
      [foreign, /^barona: not a barona backup/],
      [path.join(dir, 'missing.gz'), /^barona: cannot read .*missing.gz \(ENOENT\)$/m],
    ];
    const migrated = await createTestDatabase();
    try {
      for (const [input, message] of cases) {
        assertOneLineRefusal(await runCli(['restore', input], { DATABASE_URL: migrated.url }), message);
        const [count] = await migrated.query<{ n: number }>('SELECT count(*)::int AS n FROM checkins');
        assert.equal(count!.n, 0, `${path.basename(input)}: no row restored`);
      }
    } finally {
      await migrated.drop();
    }
  });

  test('a backup with a table left out, its counts lowered to match, is refused naming the table; nothing is restored', async () => {
    const text = gunzipSync(readFileSync(file)).toString('utf8');
    /** The backup without the section of `table`, its DONE line counting what is left. */
    const without = (table: string) =>
      editedBackup(file, (original) => {
        const start = original.indexOf(`TABLE {"name":"${table}"`);
        const endLine = original.indexOf(`END {"name":"${table}"`, start);
        const end = original.indexOf('\n', endLine) + 1;
        const { rows } = JSON.parse(original.slice(endLine + 4, end - 1)) as { rows: number };
        const left = original.slice(0, start) + original.slice(end);
        return left.replace(/^DONE (.*)$/m, (_line, json: string) => {
          const done = JSON.parse(json) as { tables: number; rows: number };
          return `DONE ${JSON.stringify({ tables: done.tables - 1, rows: done.rows - rows })}`;
        });
      });
    const last = /^TABLE \{"name":"([^"]+)"/gm;
    const tables = [...text.matchAll(last)].map((match) => match[1]!);
    assert.ok(tables.includes('checkin_idempotency_keys') && tables.length > 5, tables.join(', '));
    const lastTable = tables.at(-1)!;
    const moreRows = editedBackup(file, (original) =>
      original.replace(/^DONE (.*)$/m, (_line, json: string) => {
        const done = JSON.parse(json) as { tables: number; rows: number };
        return `DONE ${JSON.stringify({ ...done, rows: done.rows + 1 })}`;
      }),
    );
    const cases: [string, RegExp][] = [
      [without('checkin_idempotency_keys'), /^barona: incomplete backup: table checkin_idempotency_keys is missing/],
      [without(lastTable), new RegExp(`^barona: incomplete backup: table ${lastTable} is missing`)],
      [moreRows, /^barona: damaged backup: its DONE line counts \d+ tables and \d+ rows, but it holds/],
    ];
    const migrated = await createTestDatabase();
    try {
      for (const [input, message] of cases) {
        assertOneLineRefusal(await runCli(['restore', input], { DATABASE_URL: migrated.url }), message);
        const [count] = await migrated.query<{ n: number }>(
          'SELECT (SELECT count(*) FROM checkins) + (SELECT count(*) FROM audit_log) AS n',
        );
        assert.equal(Number(count!.n), 0, `${path.basename(input)}: no row restored`);
      }
    } finally {
      await migrated.drop();
    }
  });

  test('a line longer than any backup has is refused naming its line; nothing is restored', async () => {
    const limit = 8 * 1024 * 1024;
    const prefix = '{"id":1,"pad":"';
    const long = editedBackup(file, (text) => {
      const lines = text.split('\n');
      const row = `${prefix}${'x'.repeat(limit + 1 - prefix.length - 2)}"}`;
      assert.equal(row.length, limit + 1);
      assert.match(lines[1]!, /^TABLE /);
      return [lines[0], lines[1], row, ...lines.slice(2)].join('\n');
    });
    const migrated = await createTestDatabase();
    try {
      const result = await runCli(['restore', long], { DATABASE_URL: migrated.url });
      assertOneLineRefusal(result, /^barona: damaged backup: line 3 is longer than 8388608 bytes/);
      const [count] = await migrated.query<{ n: number }>('SELECT (SELECT count(*) FROM checkins) + (SELECT count(*) FROM audit_log) AS n');
      assert.equal(Number(count!.n), 0, 'no row restored');
    } finally {
      await migrated.drop();
    }
  });

  test('usage errors', async () => {
    const missing = await runCli(['backup']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^barona: backup needs a FILE/);
    const noData = await runCli(['backup', path.join(dir, 'x.gz')], { DATA_DIR: path.join(dir, 'no-such-folder') });
    assertOneLineRefusal(noData, /^barona: DATA_DIR \S+no-such-folder holds no database: nothing to back up$/m);
    const extra = await runCli(['restore', 'a', 'b']);
    assert.equal(extra.code, 2);
    assert.match(extra.stderr, /unexpected argument "b"/);
  });
});

describe('barona backup / restore on embedded PGlite', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'barona-backup-pglite-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('PGlite → PGlite and PGlite → PostgreSQL round trips keep every table', async () => {
    const sourceDir = path.join(dir, 'source');
    // PGlite's first start (initdb in WASM, then the migrations) is slow on a busy machine.
    const server = await startServer({ env: { DATA_DIR: sourceDir }, timeoutMs: 180_000 });
    try {
      await writeThroughApi(server);
    } finally {
      assert.equal(await server.stop(), 0);
    }
    const sourcePrint = await withPglite(sourceDir, fingerprint);

    const file = path.join(dir, 'pglite.backup.gz');
    const backup = await runCli(['backup', file], { DATA_DIR: sourceDir });
    assert.equal(backup.code, 0, backup.stderr);

    const targetDir = path.join(dir, 'target');
    const restore = await runCli(['restore', file], { DATA_DIR: targetDir });
    assert.equal(restore.code, 0, restore.stderr);
    assertSameData(await withPglite(targetDir, restoredPrint), sourcePrint);

    const again = await runCli(['restore', file], { DATA_DIR: targetDir });
    assertOneLineRefusal(again, /not empty/);

    const blank = await createTestDatabase({ migrated: false });
    try {
      // Through a pipe from a file, as `barona restore - < FILE` would.
      const child = spawn(process.execPath, [BIN, 'restore', '-'], {
        cwd: ROOT,
        env: cleanEnv({ DATABASE_URL: blank.url }),
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (c) => (stderr += c));
      const exited = new Promise((r) => child.on('exit', r));
      await pipeline(createReadStream(file), child.stdin);
      assert.equal(await exited, 0, stderr);
      assertSameData(await withPg(blank.url, restoredPrint), sourcePrint);
    } finally {
      await blank.drop();
    }
  });
});
