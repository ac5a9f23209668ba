// `npm run bench:pooler`: scale-out behind a connection pooler (issue 22), written to
// bench/RESULTS-pooler.md with the date and the machine's load. In one run, alternating rounds:
//  - one replica straight to PostgreSQL (DATABASE_POOL_MODE=session, the default);
//  - four replicas through PgBouncer in transaction mode (test/support/pgbouncer.ts: Debian's pgbouncer,
//    scripts/install-pgbouncer.sh), each with its own pool, LISTEN on the direct connection;
// both under the seed's POST /table/create and GET /table/view of a day of 100 rows at the same total connections
// (the four replicas share them), with PostgreSQL's server connections counted at the end of each round.
//   BENCH_DATABASE_URL  a PostgreSQL superuser URL (default postgres://postgres@127.0.0.1:5432/postgres)
//   BENCH_DURATION_S, BENCH_REPS, BENCH_CONNECTIONS   per measurement (6 s), rounds (3), total connections (50)
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { type HttpResult, type Service, httpLoad, startService } from './tools.js';
import { databaseUrl } from '../test/support/database.js';
import { startPgbouncer } from '../test/support/pgbouncer.js';
import { ROOT, runCli } from '../test/support/server.js';

const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 6);
const REPS = Number(process.env.BENCH_REPS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const REPLICAS = 4;
const name = `barona_bench_pooler_${process.pid}`;
const url = databaseUrl(name, adminUrl);
let counter = 0;
const uniquePerson = () => JSON.stringify({ firstname: 'Bench', lastname: `Pool-${process.pid}-${++counter}`, gate: `G${counter % 8}` });

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

/** The same load spread over `services` (connections shared out), as one figure. */
async function spread(services: Service[], route: string, method: 'GET' | 'POST'): Promise<HttpResult> {
  const share = Math.max(1, Math.floor(CONNECTIONS / services.length));
  const parts = await Promise.all(
    services.map((service) =>
      httpLoad({
        url: service.url + route,
        connections: share,
        durationS: DURATION_S,
        method,
        ...(method === 'POST' ? { body: uniquePerson } : {}),
        servicePid: service.pid,
      }),
    ),
  );
  return {
    rps: parts.reduce((sum, p) => sum + p.rps, 0),
    p50Ms: median(parts.map((p) => p.p50Ms)),
    p99Ms: Math.max(...parts.map((p) => p.p99Ms)),
    failures: parts.reduce((sum, p) => sum + p.failures, 0),
    serviceCores: parts.reduce((sum, p) => sum + p.serviceCores, 0),
    loadCores: Math.max(...parts.map((p) => p.loadCores)),
  };
}

async function serverConnections(admin: pg.Client): Promise<number> {
  const { rows } = await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1`, [name]);
  return rows[0]!.n;
}

async function main() {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const services: Service[] = [];
  const pooler = await startPgbouncer({ serverUrl: adminUrl, poolSize: 20 });
  try {
    const migrated = await runCli(['migrate'], { DATABASE_URL: url });
    if (migrated.code !== 0) throw new Error(migrated.stderr);
    // A past day of 100 rows to read: today fills up with the writes of the rounds (a sheet of 100,000
    // rows by the last one), which would measure the size of the day instead of the setup.
    const seed = new pg.Client({ connectionString: url });
    await seed.connect();
    await seed.query(
      `INSERT INTO checkins (login, firstname, lastname, gate, direction, name_key)
       SELECT timestamptz '2026-01-05T08:00:00Z' + make_interval(secs => i * 3), 'Day', 'Row ' || i, 'A', 'in', 'day row ' || i
         FROM generate_series(1, 100) AS i`,
    );
    await seed.end();
    const direct = (await startService({ env: { DATABASE_URL: url } })).service;
    services.push(direct);
    const pooled: Service[] = [];
    for (let i = 0; i < REPLICAS; i++) {
      const env = { DATABASE_URL: pooler.url(name), DATABASE_POOL_MODE: 'transaction', DATABASE_DIRECT_URL: url };
      pooled.push((await startService({ env })).service);
    }
    services.push(...pooled);

    const rows: { work: string; setup: string; results: HttpResult[]; connections: number[] }[] = [];
    const row = (work: string, setup: string) => {
      let found = rows.find((r) => r.work === work && r.setup === setup);
      if (!found) rows.push((found = { work, setup, results: [], connections: [] }));
      return found;
    };
    for (let rep = 1; rep <= REPS; rep++) {
      for (const [work, route, method] of [
        ['POST /table/create', '/table/create', 'POST'],
        ['GET /table/view/date:20260105 (100 rows)', '/table/view/date:20260105', 'GET'],
      ] as const) {
        console.log(`${work}, round ${rep}/${REPS}`);
        const one = row(work, '1 replica, direct');
        one.results.push(await spread([direct], route, method));
        one.connections.push(await serverConnections(admin));
        const four = row(work, `${REPLICAS} replicas through PgBouncer (transaction mode)`);
        four.results.push(await spread(pooled, route, method));
        four.connections.push(await serverConnections(admin));
      }
    }

    const lines = [
      '# Scale-out behind PgBouncer (`npm run bench:pooler`)',
      '',
      `${new Date().toISOString()}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), load average ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} at the end; ${CONNECTIONS} connections in total, ${DURATION_S} s per measurement, medians of ${REPS} rounds.`,
      '',
      '| work | setup | req/s (min–max) | p50 / p99 ms | failures | service cores | PostgreSQL connections |',
      '|---|---|---:|---:|---:|---:|---:|',
      ...rows.map((r) => {
        const rps = r.results.map((x) => x.rps);
        return `| ${r.work} | ${r.setup} | ${median(rps).toFixed(0)} (${Math.min(...rps).toFixed(0)}–${Math.max(...rps).toFixed(0)}) | ${median(
          r.results.map((x) => x.p50Ms),
        ).toFixed(1)} / ${median(r.results.map((x) => x.p99Ms)).toFixed(1)} | ${r.results.reduce((s, x) => s + x.failures, 0)} | ${median(
          r.results.map((x) => x.serviceCores),
        ).toFixed(2)} | ${Math.max(...r.connections)} |`;
      }),
      '',
    ];
    const output = path.join(ROOT, 'bench', 'RESULTS-pooler.md');
    writeFileSync(output, lines.join('\n'));
    console.log(lines.join('\n'));
    console.log(`written to ${path.relative(ROOT, output)}`);
  } finally {
    for (const service of services) await service.stop();
    await pooler.stop();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

await main();
