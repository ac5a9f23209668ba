// `npm run bench:peers`: the ratios of issue 22, as an outside black-box run takes them: wrk (a load
// generator in C, in its own process, so the load does not share Node's event loop with either side)
// against `barona serve` (as shipped: the `barona` command's node flags, default settings) and its peers
// on one machine in one run, in alternating rounds; each ratio is taken within a round and the median
// of the rounds is reported, with the machine's speed beside it (a bare Fastify route's rate and
// pgbench's single-row INSERT rate of the same round), since absolute rates move with the machine.
//
//   /healthz, 10 connections            ÷ a bare Fastify route (the naive peer's /healthz)
//   seed POST /table/create, 10 and 50  ÷ the naive peer (Fastify + node-postgres, one INSERT each) and
//                                         ÷ pgbench running the same INSERT; beside them, for reference, a
//                                         bare group-commit route (bench/peer/group-commit-peer.mjs): what
//                                         batching alone reaches on the machine, without Barona's work
//   day of 100 and of 10,000 rows, 10   ÷ the naive peer
//
// package.json runs it (as every benchmark), and so every process it starts, on Node 24
// (scripts/node-line.sh; BENCH_NODE=22 for the other supported line): on Node 20 two identical processes
// can differ in speed by a quarter (docs/PERFORMANCE.md, "2026-12-07 night"), which made its ratios a draw.
// Written to bench/RESULTS-peers.md. Environment: BENCH_DATABASE_URL (a PostgreSQL superuser URL,
// default postgres://postgres@127.0.0.1:5432/postgres), BENCH_DURATION_S (5), BENCH_REPS (3),
// BENCH_LOG_LEVEL (Barona's LOG_LEVEL, default info as shipped). Needs wrk and pgbench (bench/setup.sh).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { databaseUrl } from '../test/support/database.js';
import { ROOT, runCli } from '../test/support/server.js';
import { findPgbench, pgbench, startService, type Service } from './tools.js';

const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
const REPS = Number(process.env.BENCH_REPS ?? 3);
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'info';
const PEER_SCRIPT = path.join(ROOT, 'bench', 'peer', 'naive-peer.mjs');
const FLOOR_SCRIPT = path.join(ROOT, 'bench', 'peer', 'group-commit-peer.mjs');
const SQL_DIR = path.join(ROOT, 'bench', 'sql');
const DAYS = { 100: '2026-01-05', 10_000: '2026-01-06' } as const;

const name = `barona_bench_peers_${process.pid}`;
const url = databaseUrl(name, adminUrl);
const scratch = mkdtempSync(path.join(os.tmpdir(), 'barona-peers-'));

function which(command: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** A POST body per request, unique (so duplicate detection never answers with an earlier entry). */
const POST_LUA = `
local n = 0
local tag = tostring(math.random(1, 1000000000))
request = function()
  n = n + 1
  return wrk.format("POST", nil, {["content-type"] = "application/json"},
    '{"firstname":"Bench","lastname":"Load-' .. tag .. '-' .. n .. '","gate":"G' .. (n % 8) .. '"}')
end
`;

interface WrkResult {
  rps: number;
  p99Ms: number;
  errors: number;
}

function wrk(bin: string, target: string, connections: number, post: boolean): Promise<WrkResult> {
  const luaFile = path.join(scratch, 'post.lua');
  if (post) writeFileSync(luaFile, POST_LUA);
  const args = ['-t', '1', '-c', String(connections), '-d', `${DURATION_S}s`, '--latency', ...(post ? ['-s', luaFile] : []), target];
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('exit', (code) => {
      const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1]);
      if (code !== 0 || !Number.isFinite(rps)) return reject(new Error(`wrk failed: ${output}`));
      const p99 = /\s99%\s+([\d.]+)(us|ms|s)/.exec(output);
      const p99Ms = p99 ? Number(p99[1]) * (p99[2] === 'us' ? 0.001 : p99[2] === 's' ? 1000 : 1) : NaN;
      const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(output)?.[1] ?? 0);
      const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
      const errors = non2xx + (socket ? socket.slice(1).reduce((sum, v) => sum + Number(v), 0) : 0);
      resolve({ rps, p99Ms, errors });
    });
  });
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const fmt = (v: number, digits = 0) => v.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });

interface Row {
  work: string;
  connections: number;
  goal: string;
  met: (ratios: { peer: number; pgbench?: number }) => boolean;
  rounds: { barona: number; peer: number; pgbench?: number; groupCommit?: number; bare: number; baronaP99: number; errors: number }[];
}

async function main() {
  const wrkBin = which('wrk');
  const pgbenchBin = findPgbench();
  if (!wrkBin || !pgbenchBin) {
    console.error(
      `bench:peers needs wrk and pgbench (missing: ${[!wrkBin && 'wrk', !pgbenchBin && 'pgbench'].filter(Boolean).join(', ')}); run bench/setup.sh`,
    );
    process.exit(1);
  }
  const started = new Date();
  const loadAtStart = os.loadavg();
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  let barona: Service | undefined;
  let peer: Service | undefined;
  let floor: Service | undefined;
  try {
    const migrated = await runCli(['migrate'], { DATABASE_URL: url });
    if (migrated.code !== 0) throw new Error(migrated.stderr);
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    for (const [rows, day] of Object.entries(DAYS)) {
      await db.query(
        `INSERT INTO checkins (login, firstname, lastname, gate, direction, name_key)
         SELECT $1::timestamptz + make_interval(secs => i * 3), 'Day', 'Row ' || i, 'A', 'in', 'day row ' || i FROM generate_series(1, $2::int) AS i`,
        [`${day}T08:00:00Z`, Number(rows)],
      );
    }
    await db.query('ANALYZE checkins');
    await db.end();

    barona = (await startService({ env: { DATABASE_URL: url, LOG_LEVEL: LOG_LEVEL } })).service;
    peer = (await startService({ env: { DATABASE_URL: url }, script: PEER_SCRIPT })).service;
    floor = (await startService({ env: { DATABASE_URL: url }, script: FLOOR_SCRIPT })).service;
    const rows: Row[] = [
      { work: '`/healthz` (÷ a bare Fastify route)', connections: 10, goal: '≥ 0.85× bare', met: (r) => r.peer >= 0.85, rounds: [] },
      { work: 'seed POST `/table/create`', connections: 10, goal: '≥ 1.5× naive', met: (r) => r.peer >= 1.5, rounds: [] },
      {
        work: 'seed POST `/table/create`',
        connections: 50,
        goal: '≥ 3× naive, ≥ 1.3× pgbench',
        met: (r) => r.peer >= 3 && (r.pgbench ?? 0) >= 1.3,
        rounds: [],
      },
      { work: 'day of 100 rows `/table/view/date:…`', connections: 10, goal: '≥ 2.5× naive', met: (r) => r.peer >= 2.5, rounds: [] },
      { work: 'day of 10,000 rows `/table/view/date:…`', connections: 10, goal: '≥ 10× naive', met: (r) => r.peer >= 10, rounds: [] },
    ];
    const warm = (target: string, post: boolean) => wrk(wrkBin, target, 10, post).catch(() => undefined);
    await warm(`${barona.url}/healthz`, false);
    await warm(`${peer.url}/healthz`, false);
    for (let round = 1; round <= REPS; round++) {
      console.log(`round ${round}/${REPS}`);
      // The machine's speed this round: a bare Fastify route and pgbench's single-row INSERT.
      const bare = (await wrk(wrkBin, `${peer.url}/healthz`, 10, false)).rps;
      const healthz = await wrk(wrkBin, `${barona.url}/healthz`, 10, false);
      rows[0]!.rounds.push({ barona: healthz.rps, peer: bare, bare, baronaP99: healthz.p99Ms, errors: healthz.errors });
      for (const [index, connections] of [
        [1, 10],
        [2, 50],
      ] as const) {
        const ceiling = await pgbench({
          bin: pgbenchBin,
          databaseUrl: url,
          script: path.join(SQL_DIR, 'insert.sql'),
          clients: connections,
          durationS: DURATION_S,
        });
        const naive = await wrk(wrkBin, `${peer.url}/table/create`, connections, true);
        const ours = await wrk(wrkBin, `${barona.url}/table/create`, connections, true);
        const groupCommit = await wrk(wrkBin, `${floor.url}/table/create`, connections, true);
        rows[index]!.rounds.push({
          barona: ours.rps,
          peer: naive.rps,
          pgbench: ceiling.tps,
          groupCommit: groupCommit.rps,
          bare,
          baronaP99: ours.p99Ms,
          errors: ours.errors + naive.errors + groupCommit.errors,
        });
      }
      // The writes above added tens of thousands of rows since the last statistics; autovacuum would
      // catch up within a minute in a real deployment, and stale statistics (a table of 10,000 rows
      // that now holds 100,000) make the planner scan the whole table for a day.
      const stats = new pg.Client({ connectionString: url });
      await stats.connect();
      await stats.query('ANALYZE checkins');
      await stats.end();
      for (const [index, size] of [
        [3, 100],
        [4, 10_000],
      ] as const) {
        const viewPath = `/table/view/date:${DAYS[size].replaceAll('-', '')}`;
        const naive = await wrk(wrkBin, peer.url + viewPath, 10, false);
        const ours = await wrk(wrkBin, barona.url + viewPath, 10, false);
        rows[index]!.rounds.push({ barona: ours.rps, peer: naive.rps, bare, baronaP99: ours.p99Ms, errors: ours.errors + naive.errors });
      }
    }

    const lines = [
      '# Barona against its peers (`npm run bench:peers`)',
      '',
      `${started.toISOString()}, ${os.cpus().length} cores (${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}), Node.js ${process.version}, ` +
        `PostgreSQL at ${new URL(adminUrl).host}; load average at start ${loadAtStart.map((v) => v.toFixed(2)).join(' / ')}, at the end ` +
        `${os
          .loadavg()
          .map((v) => v.toFixed(2))
          .join(' / ')}. wrk -t1, ${DURATION_S} s per measurement, ${REPS} rounds; Barona as shipped (the \`barona\` ` +
        `command's node flags, LOG_LEVEL=${LOG_LEVEL}, defaults otherwise); the naive peer is bench/peer/naive-peer.mjs. ` +
        'Each ratio is taken within a round; the table shows the medians and, in brackets, the rounds. For reference, not a ' +
        'goal: a bare group-commit route (bench/peer/group-commit-peer.mjs: one multi-row INSERT per event-loop turn, ' +
        'nothing else) on the same database, and Barona ÷ it.',
      '',
      '| work | conns | machine: bare Fastify req/s, pgbench tps | naive req/s | Barona req/s | Barona p99 ms | Barona ÷ peer | Barona ÷ pgbench | errors | goal | met | bare group commit req/s (÷ naive) | Barona ÷ bare group commit |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ];
    for (const row of rows) {
      const peerRatios = row.rounds.map((r) => r.barona / r.peer);
      const pgRatios = row.rounds.filter((r) => r.pgbench).map((r) => r.barona / r.pgbench!);
      const ratio = { peer: median(peerRatios), ...(pgRatios.length ? { pgbench: median(pgRatios) } : {}) };
      const pgbenchRates = row.rounds.filter((r) => r.pgbench).map((r) => r.pgbench!);
      const floorRounds = row.rounds.filter((r) => r.groupCommit);
      const floorRatios = floorRounds.map((r) => r.barona / r.groupCommit!);
      const floorCells = floorRounds.length
        ? `${fmt(median(floorRounds.map((r) => r.groupCommit!)))} (${fmt(median(floorRounds.map((r) => r.groupCommit! / r.peer)), 2)}) | ` +
          `${fmt(median(floorRatios), 2)} (${floorRatios.map((v) => fmt(v, 2)).join(', ')})`
        : '– | –';
      lines.push(
        `| ${row.work} | ${row.connections} | ${fmt(median(row.rounds.map((r) => r.bare)))}${pgbenchRates.length ? `, ${fmt(median(pgbenchRates))}` : ''} | ` +
          `${row.work.includes('healthz') ? '–' : fmt(median(row.rounds.map((r) => r.peer)))} | ` +
          `${fmt(median(row.rounds.map((r) => r.barona)))} | ${fmt(median(row.rounds.map((r) => r.baronaP99)), 1)} | ` +
          `**${fmt(ratio.peer, 2)}** (${peerRatios.map((v) => fmt(v, 2)).join(', ')}) | ` +
          `${ratio.pgbench === undefined ? '–' : `**${fmt(ratio.pgbench, 2)}** (${pgRatios.map((v) => fmt(v, 2)).join(', ')})`} | ` +
          `${row.rounds.reduce((sum, r) => sum + r.errors, 0)} | ${row.goal} | ${row.met(ratio) ? 'yes' : '**no**'} | ${floorCells} |`,
      );
    }
    lines.push('');
    writeFileSync(path.join(ROOT, 'bench', 'RESULTS-peers.md'), lines.join('\n'));
    console.log(lines.join('\n'));
  } finally {
    await barona?.stop();
    await peer?.stop();
    await floor?.stop();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
