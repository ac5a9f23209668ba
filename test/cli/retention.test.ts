// Retention (RETENTION_DAYS) against a real PostgreSQL: `barona prune --dry-run` lists, `barona prune`
// deletes whole local days older than the period (with their Idempotency-Keys) and replaces the names in
// audit entries by a tombstone; the service runs it once a day on exactly one of several replicas. Each
// run, by hand or scheduled, takes the same lock, keeps today's retention_runs row and leaves one audit
// record.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { api } from '../support/api.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { runCli, startServer } from '../support/server.js';

const TZ = 'Europe/Berlin';
/** Local midnight (in TZ) starting the oldest day a 30-day retention keeps. */
const CUTOFF = `((((now() AT TIME ZONE '${TZ}')::date - 30)::timestamp) AT TIME ZONE '${TZ}')`;

/** Old check-ins (two just before the cutoff, one soft-deleted, one 400 days old) with a key and audit entries. */
async function seedOldData(database: TestDatabase): Promise<{ oldIds: number[]; keptId: number }> {
  const rows = await database.query<{ id: number; old: boolean }>(
    `INSERT INTO checkins (login, firstname, lastname, gate, deleted_at)
     VALUES (${CUTOFF} - interval '1 second', 'Old', 'Person', 'A', NULL),
            (${CUTOFF} - interval '2 hours', 'Older', 'Person', 'A', now()),
            (${CUTOFF} - interval '400 days', 'Oldest', 'Person', 'B', NULL),
            (${CUTOFF}, 'Kept', 'Person', 'A', NULL)
     RETURNING id::int AS id, login < ${CUTOFF} AS old`,
  );
  const oldIds = rows.filter((r) => r.old).map((r) => r.id);
  const keptId = rows.find((r) => !r.old)!.id;
  await database.query(
    `INSERT INTO checkin_idempotency_keys (key, request_hash, checkin_id, created_at) VALUES ('old-key', 'h', $1, now())`,
    [oldIds[0]],
  );
  const entry = (id: number, firstname: string) => JSON.stringify({ id, firstname, lastname: 'Person', gate: 'A', direction: 'in' });
  await database.query(
    `INSERT INTO audit_log (at, actor, action, entity, entity_id, before, after) VALUES
       (now(), 'admin', 'delete', 'checkin', $1, $2::jsonb, NULL),
       (${CUTOFF} - interval '1 day', 'admin', 'update', 'checkin', $3, $4::jsonb, $4::jsonb),
       (now(), 'admin', 'update', 'checkin', $3, $4::jsonb, $4::jsonb),
       (${CUTOFF} - interval '1 day', 'admin', 'create token', 'gate_token', '1', NULL, '{"name":"North kiosk"}')`,
    [String(oldIds[1]), entry(oldIds[1]!, 'Older'), String(keptId), entry(keptId, 'Kept')],
  );
  return { oldIds, keptId };
}

describe('retention', () => {
  let database: TestDatabase;
  let seeded: { oldIds: number[]; keptId: number };
  let todayId: number;
  const env = () => ({ DATABASE_URL: database.url, RETENTION_DAYS: '30', APP_TIMEZONE: TZ });
  before(async () => {
    database = await createTestDatabase();
    seeded = await seedOldData(database);
    const server = await startServer({ env: { DATABASE_URL: database.url, APP_TIMEZONE: TZ } });
    try {
      const today = await api<{ id: number }>(`${server.url}/table/create`, { body: { firstname: 'Today', lastname: 'Person' } });
      assert.equal(today.status, 201);
      todayId = today.body.id;
    } finally {
      await server.stop();
    }
  });
  after(async () => database.drop());

  test('RETENTION_DAYS is validated with one line naming it; prune without it says why', async () => {
    for (const bad of ['0', 'thirty', '-5', '36501', '1.5']) {
      const result = await runCli(['prune', '--dry-run'], { ...env(), RETENTION_DAYS: bad });
      assert.equal(result.code, 1);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      assert.match(
        result.stderr,
        new RegExp(
          `^barona: invalid configuration: RETENTION_DAYS: must be a whole number of days from 1 to 36500.*\\(got "${bad.replace('.', '\\.')}"\\)`,
        ),
      );
    }
    const off = await runCli(['prune'], { DATABASE_URL: database.url });
    assert.equal(off.code, 1);
    assert.match(off.stderr, /^barona: RETENTION_DAYS is not set, so nothing is pruned/);
    const misplaced = await runCli(['migrate', '--dry-run'], env());
    assert.equal(misplaced.code, 2);
  });

  test('--dry-run shows what would go and changes nothing', async () => {
    const before = await database.query('SELECT count(*)::int AS n FROM checkins');
    const result = await runCli(['prune', '--dry-run'], env());
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^retention: 30 days in Europe\/Berlin; check-ins before \S+ go$/m);
    assert.match(result.stdout, /^would delete {5}3 check-ins \(days \d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d\)$/m);
    assert.match(result.stdout, /^would delete {5}1 idempotency keys$/m);
    assert.match(result.stdout, /^would anonymise {2}2 audit entries/m);
    assert.deepEqual(await database.query('SELECT count(*)::int AS n FROM checkins'), before);
    assert.deepEqual(await database.query('SELECT day FROM retention_runs'), [], 'no run recorded');
    assert.deepEqual(await database.query(`SELECT id FROM audit_log WHERE entity = 'retention'`), [], 'no audit record');
  });

  test('prune deletes the old days, keeps the cutoff day and today, and leaves a tombstone in the audit log', async () => {
    const result = await runCli(['prune'], env());
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^deleted {5}3 check-ins/m);
    assert.match(result.stdout, /^deleted {5}1 idempotency keys$/m);
    assert.match(result.stdout, /^anonymised {2}2 audit entries$/m);

    const left = await database.query<{ id: number }>('SELECT id::int AS id FROM checkins ORDER BY id');
    assert.deepEqual(
      left.map((r) => r.id),
      [seeded.keptId, todayId],
    );
    assert.deepEqual(await database.query(`SELECT key FROM checkin_idempotency_keys`), []);
    const audit = await database.query<{
      actor: string;
      action: string;
      entity_id: string;
      before: Record<string, string> | null;
      after: Record<string, string> | null;
      recent: boolean;
    }>(
      `SELECT actor, action, entity_id, before, after, at > now() - interval '1 hour' AS recent FROM audit_log WHERE entity = 'checkin' ORDER BY id`,
    );
    assert.equal(audit.length, 3, 'audit entries are kept');
    const [deletedEntry, oldUpdate, recentUpdate] = audit;
    assert.deepEqual([deletedEntry!.actor, deletedEntry!.action, deletedEntry!.entity_id], ['admin', 'delete', String(seeded.oldIds[1])]);
    assert.equal(deletedEntry!.before!.firstname, '(erased)', 'the entry of a pruned check-in loses its names');
    assert.equal(deletedEntry!.before!.lastname, '(erased)');
    assert.equal(deletedEntry!.before!.gate, 'A', 'what happened is kept');
    assert.equal(oldUpdate!.before!.firstname, '(erased)', 'an entry older than the period loses its names');
    assert.equal(oldUpdate!.after!.lastname, '(erased)');
    assert.equal(recentUpdate!.before!.firstname, 'Kept', 'a recent entry about a kept check-in is untouched');
    const token = await database.query<{ after: { name: string } }>(`SELECT after FROM audit_log WHERE entity = 'gate_token'`);
    assert.equal(token[0]!.after.name, 'North kiosk', 'entries not about check-ins are untouched');

    const again = await runCli(['prune'], env());
    assert.match(again.stdout, /^deleted {5}0 check-ins$/m, 'a second run finds nothing');
    assert.match(again.stdout, /^anonymised {2}0 audit entries$/m);
  });

  test("barona prune keeps today's retention_runs row and leaves one audit record of each run, with counts and no names", async () => {
    const runs = await database.query<{
      today: boolean;
      retention_days: number;
      finished: boolean;
      checkins: number;
      keys: number;
      audit: number;
    }>(
      `SELECT day = (now() AT TIME ZONE '${TZ}')::date AS today, retention_days, finished_at IS NOT NULL AS finished, checkins_deleted::int AS checkins,
              idempotency_keys_deleted::int AS keys, audit_entries_anonymised::int AS audit
         FROM retention_runs`,
    );
    assert.deepEqual(
      runs,
      [{ today: true, retention_days: 30, finished: true, checkins: 3, keys: 1, audit: 2 }],
      "both runs by hand add up in today's row",
    );
    const records = await database.query<{
      actor: string;
      actor_role: string;
      action: string;
      before: unknown;
      after: Record<string, unknown>;
    }>(`SELECT actor, actor_role, action, before, after FROM audit_log WHERE entity = 'retention' ORDER BY id`);
    assert.equal(records.length, 2, 'one record per run');
    const [first, second] = records;
    assert.deepEqual([first!.actor, first!.actor_role, first!.action, first!.before], ['barona prune', 'system', 'prune', null]);
    const { cutoff, ...counts } = first!.after;
    assert.deepEqual(counts, { retentionDays: 30, checkinsDeleted: 3, idempotencyKeysDeleted: 1, auditEntriesAnonymised: 2 });
    const [{ expected }] = (await database.query<{ expected: string }>(`SELECT to_json(${CUTOFF}) #>> '{}' AS expected`)) as [
      { expected: string },
    ];
    assert.equal(new Date(cutoff as string).getTime(), new Date(expected).getTime(), 'the cut-off is local midnight, 30 days back');
    assert.equal(second!.after.checkinsDeleted, 0);
    assert.doesNotMatch(JSON.stringify(records), /Old|Person/, 'no names');
  });

  test('while another prune holds the retention lock, barona prune changes nothing and says so', async () => {
    const holder = new pg.Client({ connectionString: database.url });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock(74201909)');
      const before = await database.query(`SELECT count(*)::int AS n FROM audit_log`);
      const result = await runCli(['prune'], env());
      assert.equal(result.code, 1, result.stdout);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      assert.match(result.stderr, /^barona: another prune is running now/);
      assert.deepEqual(await database.query(`SELECT count(*)::int AS n FROM audit_log`), before, 'no audit record');
    } finally {
      await holder.end();
    }
  });

  test('the service prunes once a day on exactly one of two replicas, logged with counts', async () => {
    await seedOldData(database);
    // The prunes by hand above count as today's run: forget it, so the service runs today's.
    await database.query('DELETE FROM retention_runs');
    const serverEnv = { ...env(), LOG_LEVEL: 'info' };
    const [a, b] = await Promise.all([startServer({ env: serverEnv }), startServer({ env: serverEnv })]);
    try {
      let runs: { finished: boolean; checkins_deleted: number }[] = [];
      for (const deadline = Date.now() + 20_000; Date.now() < deadline; await sleep(200)) {
        runs = await database.query(
          `SELECT finished_at IS NOT NULL AS finished, checkins_deleted::int AS checkins_deleted FROM retention_runs`,
        );
        if (runs[0]?.finished) break;
      }
      assert.deepEqual(runs, [{ finished: true, checkins_deleted: 3 }], 'one run today, by one replica');
      await sleep(500);
      const logs = [a.output(), b.output()].map((out) => out.split('\n').filter((line) => line.includes('retention: pruned')));
      assert.equal(logs.flat().length, 1, `one replica logged the prune: ${JSON.stringify(logs)}`);
      const line = JSON.parse(logs.flat()[0]!) as Record<string, unknown>;
      assert.equal(line.checkinsDeleted, 3);
      assert.equal(line.idempotencyKeysDeleted, 1);
      assert.equal(line.auditEntriesAnonymised, 2);
      assert.equal(line.retentionDays, 30);
      assert.doesNotMatch(logs.flat()[0]!, /Older|Oldest|Person/, 'no names in the log');
      const [{ n }] = (await database.query<{ n: number }>(`SELECT count(*)::int AS n FROM checkins WHERE login < ${CUTOFF}`)) as [
        { n: number },
      ];
      assert.equal(n, 0);
      const records = await database.query<{ actor: string; actor_role: string }>(
        `SELECT actor, actor_role FROM audit_log WHERE entity = 'retention' AND actor <> 'barona prune'`,
      );
      assert.deepEqual(records, [{ actor: 'retention schedule', actor_role: 'system' }], 'the scheduled run leaves one audit record');
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});

describe('retention on embedded PGlite', () => {
  test('barona prune --dry-run and prune on a DATA_DIR', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'barona-retention-'));
    try {
      const migrated = await runCli(['migrate'], { DATA_DIR: dataDir });
      assert.equal(migrated.code, 0, migrated.stderr);
      const seed = async (sql: string) => {
        const db = await PGlite.create(dataDir);
        try {
          return (await db.query<{ n: number }>(sql)).rows;
        } finally {
          await db.close();
        }
      };
      await seed(
        `INSERT INTO checkins (login, firstname, lastname) VALUES (${CUTOFF} - interval '1 day', 'Old', 'Person'), (now(), 'New', 'Person')`,
      );
      const env = { DATA_DIR: dataDir, RETENTION_DAYS: '30', APP_TIMEZONE: TZ };
      const dry = await runCli(['prune', '--dry-run'], env);
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(dry.stdout, /^would delete {5}1 check-ins/m);
      const done = await runCli(['prune'], env);
      assert.equal(done.code, 0, done.stderr);
      assert.match(done.stdout, /^deleted {5}1 check-ins/m);
      assert.deepEqual(await seed(`SELECT count(*)::int AS n FROM checkins WHERE firstname = 'New'`), [{ n: 1 }]);
      assert.deepEqual(await seed(`SELECT count(*)::int AS n FROM checkins`), [{ n: 1 }]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
