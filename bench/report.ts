// Renders the benchmark's results as bench/RESULTS.md.
import type { Goal, Scenario } from './run.js';
import type { DrillResult } from '../scripts/restore-drill.js';
import type { HistoryResults } from './history.js';
import type { ProfileSummary } from './profile.js';
import { type HttpResult, type PgbenchResult, SHIPPED_NODE_ARGS, spread } from './tools.js';

export interface Results {
  quick: boolean;
  durationS: number;
  reps: number;
  elapsedS?: number;
  machine: {
    date: string;
    nproc: number;
    cpuModel: string;
    memoryGb: number;
    loadAverage: number[];
    node: string;
    postgres: string;
    postgresSettings: Record<string, string>;
    pgbench: string;
    serverSource: string;
    kernel: string;
  };
  writes: { target: string; connections: number; present: boolean; service: HttpResult[]; pgbench: PgbenchResult[] }[];
  /** The same work on the service, the naive peer and (where it applies) pgbench, per round. */
  peers: PeerRow[];
  views: { rows: 100 | 10_000; connections: number; service: HttpResult[]; pgbench: PgbenchResult[]; bytes: number }[];
  rssUnderLoad?: { maxRssMb: number; hwmMb: number };
  csv?: {
    rows: number;
    runs: { rows: number; bytes: number; seconds: number; rowsPerS: number; baselineRssMb: number; peakRssMb: number; growthMb: number }[];
  };
  history?: HistoryResults;
  restoreDrill?: DrillResult;
  coldStart?: { postgres: number[]; embeddedFirst: number[]; embeddedRestart: number[] };
  explain: string;
  goals?: Goal[];
  profiles: { goal: string; scenario: Scenario; summary: ProfileSummary }[];
  notes: string[];
}

export interface PeerRow {
  work: string;
  connections: number;
  /** pgbench tps per round (empty where pgbench has no equivalent, e.g. /healthz). */
  pgbench: number[];
  naive: HttpResult[];
  barona: HttpResult[];
  /** The service on the embedded database (PGlite), same work, measured after the PostgreSQL rounds. */
  pglite: HttpResult[];
}

/**
 * Issue 22's goals, as ratios to the naive peer (and to pgbench) of the same round: the same as
 * `npm run bench:peers` takes with wrk (the day views were 2× and 5× before that issue raised them).
 */
export function peerGoal(row: PeerRow): { naive?: number; pgbench?: number } {
  if (row.work.includes('/healthz')) return row.connections === 10 ? { naive: 0.85 } : {};
  if (row.work.startsWith('POST')) return row.connections === 10 ? { naive: 1.5 } : { naive: 3, pgbench: 1.3 };
  if (row.connections !== 10) return {};
  return row.work.includes('10,000') ? { naive: 10 } : { naive: 2.5 };
}

function peerTable(r: Results): string[] {
  const out: string[] = [];
  out.push('## Against the peers, one run');
  out.push('');
  out.push(
    'Each round runs pgbench (same SQL), the naive peer (`bench/peer/naive-peer.mjs`: Fastify + node-postgres, one INSERT per request, rows turned into JSON in Node; its `/healthz` is a bare Fastify route) and `barona serve` back to back on the same database; each ratio is taken within one round (min / **median** / max over the rounds). PGlite: `barona serve` on the embedded database, same work, after the PostgreSQL rounds; compared with Barona on PostgreSQL.',
  );
  out.push('');
  out.push(
    '| work | conns | pgbench tps | naive req/s | Barona req/s | Barona p99 ms | Barona ÷ naive | Barona ÷ pgbench | goal | met | PGlite req/s | PGlite ÷ Barona on PostgreSQL |',
  );
  out.push('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const row of r.peers) {
    const toNaive = row.barona.map((b, i) => ((row.naive[i]?.rps ?? 0) > 0 ? b.rps / row.naive[i]!.rps : NaN));
    const toPgbench = row.pgbench.length ? row.barona.map((b, i) => b.rps / (row.pgbench[i] ?? NaN)) : [];
    const goal = peerGoal(row);
    const goalText = [goal.naive ? `≥ ${goal.naive}× naive` : '', goal.pgbench ? `≥ ${goal.pgbench}× pgbench` : '']
      .filter(Boolean)
      .join(', ');
    const met =
      goal.naive === undefined
        ? ''
        : !Number.isFinite(spread(toNaive).median)
          ? 'not measurable (the peer answered nothing)'
          : spread(toNaive).median >= goal.naive && (goal.pgbench === undefined || spread(toPgbench).median >= goal.pgbench)
            ? 'yes'
            : '**no**';
    const pgliteRatio = row.pglite.map((p, i) => ((row.barona[i]?.rps ?? 0) > 0 ? p.rps / row.barona[i]!.rps : NaN));
    out.push(
      `| ${row.work} | ${row.connections} | ${row.pgbench.length ? triple(row.pgbench, n0) : '–'} | ${triple(
        row.naive.map((x) => x.rps),
        n0,
      )} | ${triple(
        row.barona.map((x) => x.rps),
        n0,
      )} | ${n1(spread(row.barona.map((x) => x.p99Ms)).median)} | ${triple(toNaive, n2)} | ${toPgbench.length ? triple(toPgbench, n2) : '–'} | ${goalText || '–'} | ${met || '–'} | ${
        row.pglite.length
          ? triple(
              row.pglite.map((x) => x.rps),
              n0,
            )
          : '–'
      } | ${row.pglite.length ? triple(pgliteRatio, n2) : '–'} |`,
    );
  }
  out.push('');
  return out;
}

const n0 = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en') : '–');
const n1 = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '–');
const n2 = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '–');

function triple(values: number[], format: (v: number) => string): string {
  const s = spread(values);
  return `${format(s.min)} / **${format(s.median)}** / ${format(s.max)}`;
}

export function writeReport(r: Results): string {
  const m = r.machine;
  const out: string[] = [];
  out.push('# Benchmark results');
  out.push('');
  out.push(
    r.quick
      ? '> A short run (`BENCH_QUICK=1`): fewer and shorter measurements; figures are indicative only.'
      : '> Written by `npm run bench` (bench/run.ts). Absolute figures drift on this shared machine; the ratios, taken within back-to-back pairs of one run, are what the goals are about.',
  );
  out.push('');
  out.push('## Machine');
  out.push('');
  out.push('| | |');
  out.push('|---|---|');
  out.push(`| date | ${m.date} |`);
  out.push(`| nproc | ${m.nproc} |`);
  out.push(`| CPU | ${m.cpuModel} |`);
  out.push(`| memory | ${m.memoryGb.toFixed(1)} GiB |`);
  out.push(
    `| load average at start (1/5/15 min) | ${m.loadAverage.map((v) => v.toFixed(2)).join(' / ')} (other engineers' work shares the machine) |`,
  );
  out.push(`| kernel | ${m.kernel} |`);
  out.push(`| Node.js | ${m.node} |`);
  out.push(
    `| PostgreSQL | ${m.postgres} — ${m.serverSource}; fsync=${m.postgresSettings.fsync}, synchronous_commit=${m.postgresSettings.synchronous_commit}, shared_buffers=${m.postgresSettings.shared_buffers} (8 kB pages), max_connections=${m.postgresSettings.max_connections} |`,
  );
  out.push(`| pgbench | ${m.pgbench} |`);
  out.push(`| load generator | autocannon 9.0.0, in the benchmark process (its CPU is reported as "load cores") |`);
  out.push(
    `| method | ${r.reps} repetitions × ${r.durationS} s per measurement, after a warm-up; cells are min / **median** / max; each ratio is service ÷ pgbench of the same repetition${r.elapsedS ? `; the whole run took ${n0(r.elapsedS)} s` : ''} |`,
  );
  out.push(
    `| service | \`node bin/barona.js serve\` with the \`barona\` command's node flags (${SHIPPED_NODE_ARGS.join(' ')}), DATABASE_POOL_MAX=10 (default), LOG_LEVEL=warn, WRITE_BATCH_WINDOW_MS=0, WRITE_BATCH_MAX_ROWS=100 (defaults: group commit without a fixed wait) unless stated |`,
  );
  out.push('');

  out.push(...peerTable(r));

  if (r.goals) {
    out.push('## Goals');
    out.push('');
    out.push('| goal | target | reached (median) | met |');
    out.push('|---|---|---|---|');
    for (const g of r.goals)
      out.push(`| ${g.name} | ${g.target} | ${g.reached} | ${g.met === undefined ? 'not measured' : g.met ? 'yes' : '**no**'} |`);
    out.push('');
  }

  out.push('## Writes: service vs pgbench single-row INSERT per transaction');
  out.push('');
  out.push(
    'pgbench runs `bench/sql/insert.sql` (one INSERT … RETURNING per transaction, `--protocol=extended`) with as many clients as the load generator has connections. "service cores" is the CPU the service process got during the run (from /proc); "req/s per service core" is what one core of the service delivered, a figure that depends much less on how crowded the machine was.',
  );
  out.push('');
  out.push(
    '| endpoint | conns | service req/s | p50 ms | p99 ms | failures | service cores | req/s per service core | load cores | pgbench tps | pgbench avg latency ms | ratio |',
  );
  out.push('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const w of r.writes) {
    if (!w.present) {
      if (w.target.includes('/api/v1'))
        out.push(`| ${w.target} | ${w.connections} | not measured: the route is not on this branch yet | | | | | | | | |`);
      continue;
    }
    const ratio = w.service.map((s, i) => s.rps / w.pgbench[i]!.tps);
    out.push(
      `| ${w.target} | ${w.connections} | ${triple(
        w.service.map((s) => s.rps),
        n0,
      )} | ${triple(
        w.service.map((s) => s.p50Ms),
        n1,
      )} | ${triple(
        w.service.map((s) => s.p99Ms),
        n1,
      )} | ${w.service.reduce((a, s) => a + s.failures, 0)} | ${triple(
        w.service.map((s) => s.serviceCores),
        n2,
      )} | ${triple(
        w.service.map((s) => s.rps / s.serviceCores),
        n0,
      )} | ${triple(
        w.service.map((s) => s.loadCores),
        n2,
      )} | ${triple(
        w.pgbench.map((p) => p.tps),
        n0,
      )} | ${triple(
        w.pgbench.map((p) => p.latencyMs),
        n1,
      )} | ${triple(ratio, n2)} |`,
    );
  }
  out.push('');
  if (r.rssUnderLoad) {
    out.push(
      `Peak RSS of the service under the 50-connection write load: highest sampled VmRSS ${n1(r.rssUnderLoad.maxRssMb)} MB, VmHWM ${n1(r.rssUnderLoad.hwmMb)} MB (sampled every 50 ms from /proc/<pid>/status).`,
    );
    out.push('');
  }

  out.push(
    `## Day view: GET /table/view/date:<day> vs pgbench running the same SELECT (${r.views[0]?.connections ?? 10} connections / clients)`,
  );
  out.push('');
  out.push(
    '| rows that day | response bytes | service req/s | p50 ms | p99 ms | failures | service cores | req/s per service core | load cores | pgbench tps | ratio |',
  );
  out.push('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const v of r.views) {
    const ratio = v.service.map((s, i) => s.rps / v.pgbench[i]!.tps);
    out.push(
      `| ${n0(v.rows)} | ${n0(v.bytes)} | ${triple(
        v.service.map((s) => s.rps),
        n0,
      )} | ${triple(
        v.service.map((s) => s.p50Ms),
        n1,
      )} | ${triple(
        v.service.map((s) => s.p99Ms),
        n1,
      )} | ${v.service.reduce((a, s) => a + s.failures, 0)} | ${triple(
        v.service.map((s) => s.serviceCores),
        n2,
      )} | ${triple(
        v.service.map((s) => s.rps / s.serviceCores),
        n0,
      )} | ${triple(
        v.service.map((s) => s.loadCores),
        n2,
      )} | ${triple(
        v.pgbench.map((p) => p.tps),
        n0,
      )} | ${triple(ratio, n2)} |`,
    );
  }
  out.push('');
  out.push('The day query uses the index on `(login, id)` (EXPLAIN ANALYZE of the 10,000-row day, from this run):');
  out.push('');
  out.push('```');
  out.push(r.explain);
  out.push('```');
  out.push('');

  out.push('## CSV export');
  out.push('');
  if (r.csv) {
    out.push(
      `GET /api/v1/checkins.csv for one day holding ${n0(r.csv.rows)} rows, a fresh service process per repetition; RSS sampled every 20 ms.`,
    );
    out.push('');
    out.push('| rows | MB | seconds | rows/s | RSS before MB | peak RSS MB | growth MB |');
    out.push('|---|---|---|---|---|---|---|');
    for (const c of r.csv.runs)
      out.push(
        `| ${n0(c.rows)} | ${n1(c.bytes / 1e6)} | ${n2(c.seconds)} | ${n0(c.rowsPerS)} | ${n1(c.baselineRssMb)} | ${n1(c.peakRssMb)} | ${n1(c.growthMb)} |`,
      );
  } else {
    out.push('Not measured: the endpoint is not on this branch yet (the benchmark measures it once it exists).');
  }
  out.push('');

  if (r.restoreDrill) {
    const d = r.restoreDrill;
    out.push('## Restore drill');
    out.push('');
    out.push(
      `${n0(d.rows)} check-ins (seeded in ${n1(d.fillSeconds)} s), \`barona backup\` to a gzip file, \`barona restore\` into an empty database, then every table compared (row count and md5 of its rows): identical (scripts/restore-drill.ts).`,
    );
    out.push('');
    out.push('| step | seconds | rows/s | peak RSS MB | file MB |');
    out.push('|---|---|---|---|---|');
    out.push(`| backup | ${n1(d.backup.seconds)} | ${n0(d.rows / d.backup.seconds)} | ${n0(d.backup.rssMb)} | ${n1(d.backup.fileMb)} |`);
    out.push(`| restore | ${n1(d.restore.seconds)} | ${n0(d.rows / d.restore.seconds)} | ${n0(d.restore.rssMb)} | – |`);
    out.push('');
  }

  if (r.history) {
    const h = r.history;
    out.push('## Scale with history');
    out.push('');
    out.push(
      `A database holding ${n0(h.rows)} check-ins over five years (seeded with generate_series in ${n0(h.seedSeconds)} s; ${n0(h.rowsOnDay)} on the measured day, ${n0(h.rowsInMonth)} in its month) against one holding only that month, each behind its own \`barona serve\`. Load runs: 10 connections, seconds per request = 1 ÷ req/s; the CSV: one download of the month, timed. Ratio = time on the large database ÷ time on the small one, per round.`,
    );
    out.push('');
    out.push('| query | large, s | one month, s | large ÷ one month | goal |');
    out.push('|---|---|---|---|---|');
    const f = (v: number) => (Number.isFinite(v) ? v.toPrecision(3) : '–');
    for (const q of h.queries) {
      const ratio = q.large.map((large, i) => large / q.small[i]!);
      out.push(`| ${q.name} | ${triple(q.large, f)} | ${triple(q.small, f)} | ${triple(ratio, n2)} | ≤ 1.2 |`);
    }
    out.push('');
    out.push('EXPLAIN (ANALYZE, BUFFERS) of each query on the large database, as the service sends it (jit=off, as its connections run):');
    for (const q of h.queries) {
      out.push('');
      out.push(`### ${q.name}`);
      out.push('');
      out.push('```');
      out.push(q.explain);
      out.push('```');
    }
    out.push('');
  }

  if (r.coldStart) {
    out.push('## Cold start: process start → first /readyz 200');
    out.push('');
    out.push('| database | ms (min / **median** / max) |');
    out.push('|---|---|');
    out.push(`| PostgreSQL (schema already migrated) | ${triple(r.coldStart.postgres, n0)} |`);
    out.push(`| PGlite, first start (empty DATA_DIR: initdb + migrations) | ${triple(r.coldStart.embeddedFirst, n0)} |`);
    out.push(`| PGlite, restart on the same DATA_DIR | ${triple(r.coldStart.embeddedRestart, n0)} |`);
    out.push('');
  }

  if (r.profiles.length > 0) {
    out.push('## Profiles of the goals not met');
    out.push('');
    out.push(
      'Each scenario was run once more with the service under `node --cpu-prof`; self time of the main thread, as a share of its busy time.',
    );
    for (const p of r.profiles) {
      out.push('');
      out.push(`### ${p.goal}`);
      out.push('');
      out.push(
        `${p.summary.windowed ? 'During the measured load' : 'Whole process, start to exit'}: main thread not idle in ${(p.summary.busyShare * 100).toFixed(0)} % of the samples over ${n1(p.summary.wallMs / 1000)} s (a descheduled thread still counts as not idle, so on a crowded machine this overstates CPU use; see "service cores" above for the CPU it got).`,
      );
      out.push('');
      out.push('| area | self ms | share |');
      out.push('|---|---|---|');
      for (const a of p.summary.areas) out.push(`| ${a.area} | ${n0(a.selfMs)} | ${(a.share * 100).toFixed(1)} % |`);
      out.push('');
      out.push('| function | where | self ms | share |');
      out.push('|---|---|---|---|');
      for (const f of p.summary.top)
        out.push(`| ${f.name.replaceAll('|', '\\|')} | ${f.where} | ${n0(f.selfMs)} | ${(f.share * 100).toFixed(1)} % |`);
    }
    out.push('');
  }

  if (r.notes.length > 0) {
    out.push('## Notes');
    out.push('');
    for (const note of r.notes) out.push(`- ${note}`);
    out.push('');
  }
  return out.join('\n');
}
