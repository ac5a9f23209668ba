// `npm run bench:register`: latency of GET /api/v1/groups/{id}/register for 1,000 members × 31 days on
// PostgreSQL (goal: p99 < 300 ms), and of the admin page that shows it as a grid, with a month of check-ins (two per member and day, half carrying the
// person id, half free names matched through the folded name) plus 100,000 check-ins of other people.
//   BENCH_DATABASE_URL  a PostgreSQL superuser URL (default postgres://postgres@127.0.0.1:5432/postgres)
//   BENCH_REQUESTS      measured requests (default 50)
import assert from 'node:assert/strict';
import pg from 'pg';
import { Browser } from '../test/support/browser.js';
import { databaseUrl } from '../test/support/database.js';
import { runCli, startServer } from '../test/support/server.js';

const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const requests = Number(process.env.BENCH_REQUESTS ?? 50);
const name = `barona_bench_register_${process.pid}`;
const url = databaseUrl(name, adminUrl);

const SEED = `
SET TIME ZONE 'Europe/Berlin';
INSERT INTO people (id, firstname, lastname, external_ref, badge)
SELECT i, 'Member' || i, 'Roster-' || i, 'B' || i, md5('badge' || i) FROM generate_series(1, 1000) AS i;
INSERT INTO groups (id, name, starts_on, ends_on, weekdays, start_time, grace_minutes)
VALUES (1, 'Bench', '2026-10-01', '2026-10-31', '{1,2,3,4,5,6,7}', '09:00', 5);
INSERT INTO group_members (group_id, person_id) SELECT 1, i FROM generate_series(1, 1000) AS i;
-- Arrivals between 08:30 and 09:30, departures at 17:00; one member in ten missing on a given day.
INSERT INTO checkins (login, person_id, firstname, lastname, gate, direction)
SELECT d + time '08:30' + make_interval(mins => (i * 7 + extract(day FROM d)::int) % 60),
       CASE WHEN i % 2 = 0 THEN i END, 'Member' || i, CASE WHEN i % 2 = 0 THEN 'Roster-' || i ELSE 'roster ' || i END, 'A', 'in'
  FROM generate_series(1, 1000) AS i, generate_series(timestamp '2026-10-01', timestamp '2026-10-31', interval '1 day') AS d
 WHERE (i + extract(day FROM d)::int) % 10 <> 0;
INSERT INTO checkins (login, person_id, firstname, lastname, gate, direction)
SELECT d + time '17:00', CASE WHEN i % 2 = 0 THEN i END, 'Member' || i, 'Roster-' || i, 'A', 'out'
  FROM generate_series(1, 1000) AS i, generate_series(timestamp '2026-10-01', timestamp '2026-10-31', interval '1 day') AS d
 WHERE (i + extract(day FROM d)::int) % 10 <> 0;
INSERT INTO checkins (login, firstname, lastname, gate, direction)
SELECT timestamp '2026-10-01' + make_interval(secs => i * 26.7), 'Visitor', 'Number ' || i, 'B', 'in'
  FROM generate_series(1, 100000) AS i;
ANALYZE;`;

const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
try {
  const migrated = await runCli(['migrate'], { DATABASE_URL: url });
  assert.equal(migrated.code, 0, migrated.stderr);
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  await db.query(SEED);
  await db.end();

  const password = 'bench admin password';
  const server = await startServer({
    env: { DATABASE_URL: url, APP_TIMEZONE: 'Europe/Berlin', ADMIN_PASSWORD: password },
    timeoutMs: 120_000,
  });
  try {
    const target = `${server.url}/api/v1/groups/1/register?from=2026-10-01&to=2026-10-31`;
    const first = await fetch(target);
    const body = (await first.json()) as { days: unknown[]; members: { totals: Record<string, number> }[] };
    assert.equal(first.status, 200);
    assert.equal(body.days.length, 31);
    assert.equal(body.members.length, 1000);
    const counted = body.members.reduce((sum, m) => sum + m.totals.present! + m.totals.late!, 0);
    /** Latencies of `requests` sequential GETs after a warm-up: p50, p99, max (ms). */
    const measure = async (get: () => Promise<unknown>) => {
      for (let i = 0; i < 4; i++) await get();
      const times: number[] = [];
      for (let i = 0; i < requests; i++) {
        const start = performance.now();
        await get();
        times.push(performance.now() - start);
      }
      times.sort((a, b) => a - b);
      const at = (q: number) => times[Math.min(times.length - 1, Math.ceil(q * times.length) - 1)]!.toFixed(1);
      return `p50 ${at(0.5)} ms   p99 ${at(0.99)} ms   max ${times.at(-1)!.toFixed(1)} ms`;
    };
    const api = await measure(async () => (await fetch(target)).arrayBuffer());
    console.log(`register 1,000 members × 31 days (${counted} member-days attended, ${requests} requests, PostgreSQL):`);
    console.log(`  ${api}   (goal: p99 < 300 ms)`);

    // The admin page: the same statement, then the grid rendered as HTML in one pass.
    const browser = new Browser(server.url);
    await browser.signIn('admin', password);
    const pagePath = '/admin/groups/1/register?from=2026-10-01&to=2026-10-31';
    const shown = await browser.get(pagePath);
    assert.equal(shown.status, 200);
    assert.equal(shown.text.match(/<td class="st-/g)?.length, 31_000);
    const html = await measure(() => browser.get(pagePath));
    console.log(`register page /admin/groups/1/register (31,000 cells, ${(shown.text.length / 1e6).toFixed(1)} MB of HTML):`);
    console.log(`  ${html}`);
  } finally {
    await server.stop();
  }
} finally {
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}
