// An upgrade under load, old and new side by side: the previous release (built from git history) serves
// a database migrated by its own `barona migrate`; while clients keep writing check-ins and reading the
// day sheet, this version's `barona migrate` runs, a new instance joins, the old one is taken out and
// stopped (switch-over), and an old instance is started again on the new schema (rollback). Asserted:
// not one failed request, every acknowledged write stored exactly once, every sheet read shows every
// write acknowledged before it, and the old version keeps the seed contract on the new schema.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { readReleases } from '../../scripts/migration-check.js';
import { buildPreviousRelease, type BuiltRelease } from '../support/previous-release.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { runCli, startServer, type RunningServer } from '../support/server.js';

interface Instance {
  name: string;
  server: RunningServer;
}

interface Outcome {
  instance: string;
  kind: 'seed write' | 'api write' | 'sheet read';
  ok: boolean;
  detail: string;
  startedAt: number;
}

/** Clients at a steady pace through whichever instances the "load balancer" (`live`) lists. */
function startLoad(live: Instance[], clients = 6) {
  const outcomes: Outcome[] = [];
  const acked: { id: number; firstname: string; lastname: string }[] = [];
  let running = true;
  let n = 0;
  const worker = async (w: number) => {
    for (let i = 0; running; i++) {
      const target = live[(w + i) % live.length]!;
      const startedAt = Date.now();
      const kind: Outcome['kind'] = i % 3 === 2 ? 'sheet read' : i % 3 === 0 ? 'seed write' : 'api write';
      const record = (ok: boolean, detail: string) => outcomes.push({ instance: target.name, kind, ok, detail, startedAt });
      try {
        if (kind === 'sheet read') {
          const expected = acked.length; // every write acknowledged before this read
          const response = await fetch(`${target.server.url}/table/view/date:today`, { signal: AbortSignal.timeout(10_000) });
          const sheet = (await response.json()) as { id: number }[];
          const ids = new Set(sheet.map((row) => row.id));
          const missing = acked.slice(0, expected).filter((w) => !ids.has(w.id));
          record(response.status === 200 && missing.length === 0, `${response.status}, ${missing.length} acknowledged writes missing`);
        } else {
          const person = { firstname: `Mixed${w}`, lastname: `Load${++n}`, gate: target.name };
          const path = kind === 'seed write' ? '/table/create' : '/api/v1/checkins';
          const response = await fetch(`${target.server.url}${path}`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              ...(kind === 'api write' ? { 'idempotency-key': `mixed-${person.lastname}` } : {}),
            },
            body: JSON.stringify(person),
            signal: AbortSignal.timeout(10_000),
          });
          const body = (await response.json()) as { id: number };
          if (response.status === 201) acked.push({ id: body.id, firstname: person.firstname, lastname: person.lastname });
          record(response.status === 201, `${response.status} ${JSON.stringify(body).slice(0, 200)}`);
        }
      } catch (error) {
        record(false, (error as Error).message);
      }
      await sleep(5);
    }
  };
  const workers = Array.from({ length: clients }, (_, w) => worker(w));
  return {
    outcomes,
    acked,
    async stop() {
      running = false;
      await Promise.all(workers);
    },
  };
}

/** The seed API's contract (docs/API.md), checked against one instance. */
async function assertSeedContract(url: string): Promise<void> {
  const created = await fetch(`${url}/table/create`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ firstname: 'Seed', lastname: 'Contract', gate: 'A', login: '2000-01-01T00:00:00Z' }),
  });
  assert.equal(created.status, 201);
  const entry = (await created.json()) as Record<string, unknown>;
  assert.deepEqual(Object.keys(entry), ['id', 'login', 'firstname', 'lastname', 'gate']);
  assert.match(String(entry.login), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
  assert.ok(!String(entry.login).startsWith('2000'), 'login is the server time');

  const sheet = (await (await fetch(`${url}/table/view/date:today`)).json()) as Record<string, unknown>[];
  const row = sheet.find((r) => r.id === entry.id);
  assert.ok(row, 'the new entry is on today’s sheet');
  assert.deepEqual(Object.keys(row), ['id', 'login', 'lastname', 'firstname', 'gate']);

  const missing = await fetch(`${url}/table/create`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"lastname":"X"}',
  });
  assert.equal(missing.status, 400);
  assert.deepEqual(await missing.json(), { firstname: ['This field is required.'] });
  assert.equal((await fetch(`${url}/table/create`)).status, 405);
  const badDate = await fetch(`${url}/table/view/date:2024-1-1`);
  assert.equal(badDate.status, 400);
  assert.equal(await badDate.text(), 'Invalid date. Use YYYYMMDD.');
  assert.equal((await fetch(`${url}/table/`)).status, 200);
  assert.equal((await fetch(`${url}/admin`)).status, 200);
}

// From every recorded release: the first is the previous release (the rolling update of the next
// version); an older one is a user upgrading straight from it to this version, where the migrations
// since run under its load.
for (const recorded of readReleases()) {
  describe(`mixed versions under load, from ${recorded.version} (${recorded.commit.slice(0, 7)})`, () => {
    let release: BuiltRelease;
    let database: TestDatabase;
    const started: RunningServer[] = [];
    before(async () => {
      const t0 = Date.now();
      [release, database] = await Promise.all([
        Promise.resolve().then(() => buildPreviousRelease(recorded)),
        createTestDatabase({ migrated: false }),
      ]);
      console.log(
        `# release ${release.version} (${release.commit.slice(0, 7)}) built in ${((Date.now() - t0) / 1000).toFixed(1)} s, dependencies ${release.dependencies}`,
      );
    });
    after(async () => {
      for (const server of started) await server.stop('SIGKILL');
      await database?.drop();
      release?.remove();
    });

    test(`upgrade and switch-over from ${recorded.version}: 0 failed requests, 0 lost writes`, async () => {
      const env = { DATABASE_URL: database.url, SHUTDOWN_DRAIN_SECONDS: '1', APP_TIMEZONE: 'UTC' };
      const start = async (name: string, root?: string): Promise<Instance> => {
        const server = await startServer({ env, root, timeoutMs: 90_000 });
        started.push(server);
        return { name, server };
      };

      const oldMigrate = await runCli(['migrate'], { DATABASE_URL: database.url }, release.root);
      assert.equal(oldMigrate.code, 0, oldMigrate.stderr);
      const old = await start(`old-${release.version}`, release.root);
      const live: Instance[] = [old];
      const load = startLoad(live);
      try {
        await sleep(1_500);
        // The new instance starts meanwhile; it turns ready once the schema is current.
        const migrateStarted = Date.now();
        const [migrated, current] = await Promise.all([runCli(['migrate'], { DATABASE_URL: database.url }), start('new')]);
        assert.equal(migrated.code, 0, migrated.stderr);
        console.log(`# new migrate under load: ${migrated.stdout.trim().split('\n').join('; ')} (${Date.now() - migrateStarted} ms)`);

        await assertSeedContract(old.server.url);
        live.push(current);
        await sleep(2_000);

        // Switch-over: out of the load balancer first, then SIGTERM (drain, in-flight requests finish).
        // Rollback, meanwhile: the previous release starts again and serves on the migrated schema.
        live.splice(live.indexOf(old), 1);
        const [oldExit, rolledBack] = await Promise.all([old.server.stop(), start(`old-${release.version}-again`, release.root)]);
        assert.equal(oldExit, 0, 'the old instance exits cleanly');
        await assertSeedContract(rolledBack.server.url);
        live.push(rolledBack);
        await sleep(1_500);
      } finally {
        await load.stop();
      }

      const failed = load.outcomes.filter((o) => !o.ok);
      const by = (instance: string, kind?: string) =>
        load.outcomes.filter((o) => o.instance.startsWith(instance) && (!kind || o.kind === kind)).length;
      console.log(
        `# ${load.outcomes.length} requests (old ${by('old')}, new ${by('new')}; writes ${load.acked.length}), ${failed.length} failed`,
      );
      assert.deepEqual(failed.slice(0, 5), [], `${failed.length} failed requests`);
      for (const instance of ['old', 'new']) {
        for (const kind of ['seed write', 'api write', 'sheet read']) assert.ok(by(instance, kind) > 0, `${instance} served ${kind}s`);
      }

      const stored = await database.query<{ id: number; firstname: string; lastname: string }>(
        `SELECT id::int AS id, firstname, lastname FROM checkins WHERE firstname LIKE 'Mixed%' AND deleted_at IS NULL ORDER BY id`,
      );
      assert.equal(stored.length, load.acked.length, 'every acknowledged write stored exactly once, nothing else');
      const byId = new Map(stored.map((row) => [row.id, row]));
      for (const write of load.acked) assert.deepEqual(byId.get(write.id), write);
    });
  });
}
