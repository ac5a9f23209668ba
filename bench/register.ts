// `npm run bench:register`: the rosters' speed goals (issue 15) on PostgreSQL, written to
// bench/RESULTS-rosters.md with the date and the machine's load:
//  - GET /api/v1/groups/{id}/register for 1,000 members × 31 days (goal: p99 < 300 ms), with a month of
//    check-ins (two per member and day, half carrying the person id, half free names matched through the
//    folded name) plus 100,000 check-ins of other people;
//  - the admin page that shows the register as a grid (same statement, then HTML in one pass);
//  - person search GET /api/v1/people?q= with 100,000 people (goal: p99 < 20 ms);
//  - a 10,000-line CSV import into a group (goal: < 5 s);
//  - check-ins by badge against check-ins by name, 10 connections, alternating rounds (goal: the same rate).
//   BENCH_DATABASE_URL  a PostgreSQL superuser URL (default postgres://postgres@127.0.0.1:5432/postgres)
//   BENCH_REQUESTS      measured requests per latency figure (default 50)
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { httpLoad } from './tools.js';
import { Browser } from '../test/support/browser.js';
import { databaseUrl } from '../test/support/database.js';
import { ROOT, runCli, startServer } from '../test/support/server.js';

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
-- Members since before the month, so every day of it counts.
INSERT INTO group_members (group_id, person_id, since) SELECT 1, i, '2026-09-01' FROM generate_series(1, 1000) AS i;
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
-- 99,000 more people (100,000 in all) for the search, with names that share prefixes.
INSERT INTO people (id, firstname, lastname, external_ref, badge)
SELECT i, (ARRAY['Anna','Ben','Chloé','Dariusz','Émile','Fatima','Grzegorz','Hana'])[1 + i % 8] || i % 977,
       (ARRAY['Müller','O''Brien','Żółć','Nguyen','García','Kowalski','Lovelace','Smith'])[1 + i % 8] || '-' || i,
       'P' || i, md5('person' || i)
  FROM generate_series(1001, 100000) AS i;
SELECT setval(pg_get_serial_sequence('people', 'id'), 100000);
SELECT setval(pg_get_serial_sequence('groups', 'id'), 1);
ANALYZE;`;

/** p50 / p99 / max of `count` sequential requests made by `next` (after a short warm-up). */
async function latencies(count: number, next: () => Promise<Response>): Promise<{ p50: number; p99: number; max: number }> {
  for (let i = 0; i < 4; i++) await (await next()).arrayBuffer();
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    const response = await next();
    await response.arrayBuffer();
    assert.equal(response.status, 200);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.ceil(q * times.length) - 1)]!;
  return { p50: at(0.5), p99: at(0.99), max: times.at(-1)! };
}

const lines: string[] = [];
const say = (line: string) => {
  console.log(line);
  lines.push(line);
};
const ms = (v: number) => v.toFixed(1);
const loadAtStart = os.loadavg();

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
    const register = await latencies(requests, () => fetch(target));
    say(
      `| register, 1,000 members × 31 days (${counted} member-days attended), ${requests} requests | p50 ${ms(register.p50)} ms, p99 ${ms(register.p99)} ms, max ${ms(register.max)} ms | p99 < 300 ms | ${register.p99 < 300 ? 'yes' : '**no**'} |`,
    );

    // The admin page: the same statement, then the grid rendered as HTML in one pass.
    const browser = new Browser(server.url);
    await browser.signIn('admin', password);
    const pagePath = '/admin/groups/1/register?from=2026-10-01&to=2026-10-31';
    const shown = await browser.get(pagePath);
    assert.equal(shown.status, 200);
    assert.equal(shown.text.match(/<td class="st-/g)?.length, 31_000);
    const grid = await latencies(requests, () =>
      fetch(server.url + pagePath, { headers: { cookie: browser.cookieHeader(), accept: 'text/html' } }),
    );
    say(
      `| register page /admin/groups/1/register (31,000 cells, ${(shown.text.length / 1e6).toFixed(1)} MB of HTML), ${requests} requests | p50 ${ms(grid.p50)} ms, p99 ${ms(grid.p99)} ms, max ${ms(grid.max)} ms | – | – |`,
    );

    // Person search among 100,000 people: name fragments, accents and punctuation folded.
    const words = ['zolc', 'obrien 12', 'lovelace, anna', 'chloe', 'nguyen-4', 'P5123', 'muller 9', 'garc'];
    let turn = 0;
    const search = await latencies(requests, () =>
      fetch(`${server.url}/api/v1/people?limit=50&q=${encodeURIComponent(words[turn++ % words.length]!)}`),
    );
    say(
      `| person search among 100,000 people, ${requests} requests | p50 ${ms(search.p50)} ms, p99 ${ms(search.p99)} ms, max ${ms(search.max)} ms | p99 < 20 ms | ${search.p99 < 20 ? 'yes' : '**no**'} |`,
    );

    // A 10,000-line import into a new group: people created (external references), then made members.
    const group = await fetch(`${server.url}/api/v1/groups`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Import bench' }),
    });
    assert.equal(group.status, 201);
    const groupId = ((await group.json()) as { id: number }).id;
    const csv = [
      'firstname,lastname,externalRef,email',
      ...Array.from({ length: 10_000 }, (_, i) => `Imported${i},Person-${i},IMP${i},imp${i}@example.org`),
    ].join('\n');
    const importStart = performance.now();
    const imported = await fetch(`${server.url}/api/v1/groups/${groupId}/members/import`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: csv,
    });
    const importMs = performance.now() - importStart;
    assert.equal(imported.status, 200, await imported.clone().text());
    const { created, updated, unchanged, added } = (await imported.json()) as Record<string, number>;
    say(
      `| CSV import of 10,000 new people into a group (created ${created}, updated ${updated}, unchanged ${unchanged}, added ${added}) | ${ms(importMs / 1000)} s | < 5 s | ${importMs < 5000 ? 'yes' : '**no**'} |`,
    );

    // Check-ins by badge against check-ins by name: a new gate per request, so duplicate detection never
    // answers with an earlier entry; rounds alternate so both see the same machine.
    const badges = await (async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const { rows } = await client.query<{ badge: string }>('SELECT badge FROM people WHERE id <= 1000');
      await client.end();
      return rows.map((row) => row.badge);
    })();
    let n = 0;
    const byName = () => JSON.stringify({ firstname: 'Walk', lastname: `In ${n}`, gate: `G${n++}` });
    const byBadge = () => JSON.stringify({ badge: badges[n % badges.length], gate: `G${n++}` });
    const pid = server.process.pid!;
    const rates: { name: number[]; badge: number[] } = { name: [], badge: [] };
    for (let round = 0; round < 3; round++) {
      for (const [kind, body] of [
        ['name', byName],
        ['badge', byBadge],
      ] as const) {
        const result = await httpLoad({
          url: `${server.url}/api/v1/checkins`,
          method: 'POST',
          connections: 10,
          durationS: 5,
          body,
          servicePid: pid,
        });
        assert.equal(result.failures, 0, `${kind} check-ins failed`);
        rates[kind].push(result.rps);
      }
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[1]!;
    const ratio = median(rates.badge) / median(rates.name);
    say(
      `| check-ins by badge ÷ by name, 10 connections, 3 alternating rounds of 5 s | ${rates.badge.map((v) => v.toFixed(0)).join(' / ')} req/s ÷ ${rates.name.map((v) => v.toFixed(0)).join(' / ')} req/s = ${ratio.toFixed(2)} (medians) | ≥ 0.9 | ${ratio >= 0.9 ? 'yes' : '**no**'} |`,
    );

    writeFileSync(
      path.join(ROOT, 'bench', 'RESULTS-rosters.md'),
      [
        '# Rosters benchmark (`npm run bench:register`)',
        '',
        `${new Date().toISOString()}, ${os.cpus().length} cores (${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}), Node.js ${process.version}, PostgreSQL at ${new URL(adminUrl).host}; load average at start ${loadAtStart.map((v) => v.toFixed(2)).join(' / ')}, at the end ${os
          .loadavg()
          .map((v) => v.toFixed(2))
          .join(' / ')} (other work shares this machine: absolute figures move with it).`,
        '',
        '| work | measured | goal | met |',
        '|---|---|---|---|',
        ...lines,
        '',
      ].join('\n'),
    );
  } finally {
    await server.stop();
  }
} finally {
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}
