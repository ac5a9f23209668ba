// Scale with history: the day view, the day summary, a name search and a one-month CSV export on a
// database holding years of check-ins, against the same requests on a database holding only that month
// (which contains the day). Both are seeded in SQL with generate_series, never through HTTP; the same
// formula gives both databases the same rows for that month. Each query's plan on the large database is
// recorded with EXPLAIN ANALYZE, running the service's own repository functions (so the SQL is exactly
// the service's) under the session settings the service uses (jit=off).
import pg from 'pg';
import { AttendanceDays } from '../src/domain/attendance-day.js';
import { daySheet } from '../src/features/checkins/day-sheet.js';
import { daySummary, exportChunk, exportQuery, listCheckins } from '../src/features/checkins/checkin-repository.js';
import { EXPORT_CHUNK_ROWS } from '../src/features/checkins/csv.js';
import { searchTerms } from '../src/features/checkins/person-name.js';
import type { Queryable } from '../src/db/database.js';
import { databaseUrl } from '../test/support/database.js';
import { runCli } from '../test/support/server.js';
import { type HttpResult, type Service, httpLoad, startService } from './tools.js';

export const HISTORY_START = '2021-01-01';
export const HISTORY_YEARS = 5;
export const TARGET_DAY = '2023-06-15';
const MONTH_FROM = '2023-06-01';
const MONTH_TO = '2023-06-30';
const SEARCH = 'anna5 hist-1';

export interface HistoryQuery {
  name: string;
  path: string;
  /** One download, timed (CSV), instead of a load run. */
  single?: boolean;
  large: number[];
  small: number[];
  explain: string;
}

export interface HistoryResults {
  rows: number;
  rowsInMonth: number;
  rowsOnDay: number;
  seedSeconds: number;
  queries: HistoryQuery[];
}

const SEED = (where: string) => `
  INSERT INTO checkins (login, firstname, lastname, gate, direction, name_key)
  SELECT login, firstname, lastname, 'G' || (i % 8), CASE WHEN i % 3 = 0 THEN 'out' ELSE 'in' END,
         lower(firstname || ' ' || lastname)
    FROM generate_series(0, $1::bigint - 1) AS i,
         LATERAL (SELECT $2::timestamptz + i * ((interval '1 day' * 365.25 * ${HISTORY_YEARS}) / $1::bigint) AS login,
                         'Anna' || (i % 997) AS firstname, 'Hist-' || (i % 100003) AS lastname) AS r
   ${where}`;

/** EXPLAIN ANALYZE of every statement a repository function sends (the function then runs normally). */
function explaining(client: pg.Client, plans: string[]): Queryable {
  return {
    async query<Row>(sql: string, params?: readonly unknown[]) {
      const plan = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${sql}`, params as unknown[]);
      plans.push(plan.rows.map((row) => row['QUERY PLAN']).join('\n'));
      const result = await client.query(sql, params as unknown[]);
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
    },
    exec: async (sql) => void (await client.query(sql)),
  };
}

async function explainAll(url: string): Promise<Record<string, string>> {
  const client = new pg.Client({ connectionString: url, options: '-c TimeZone=UTC -c jit=off' });
  await client.connect();
  try {
    const plans: Record<string, string> = {};
    const run = async (name: string, work: (db: Queryable) => Promise<unknown>) => {
      const collected: string[] = [];
      await work(explaining(client, collected));
      plans[name] = collected[0] ?? '';
    };
    const days = AttendanceDays.calendar('UTC');
    await run('day view', (db) => daySheet(db, days, TARGET_DAY));
    await run('day summary', (db) => daySummary(db, days, days.bounds(TARGET_DAY)));
    await run('name search', (db) =>
      listCheckins(db, days, { day: days.bounds(TARGET_DAY), nameTerms: searchTerms(SEARCH) ?? [] }, undefined, 'asc', 50),
    );
    await run('one-month CSV', (db) =>
      exportChunk(db, exportQuery(days, { from: MONTH_FROM, to: MONTH_TO }), undefined, EXPORT_CHUNK_ROWS),
    );
    return plans;
  } finally {
    await client.end();
  }
}

async function download(service: Service, path: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(service.url + path);
  if (!response.ok || !response.body) throw new Error(`${path} answered ${response.status}`);
  for await (const _chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    // read it all
  }
  return (performance.now() - started) / 1000;
}

export async function measureHistory(options: {
  serverUrl: string;
  admin: pg.Client;
  rows: number;
  reps: number;
  durationS: number;
  log: (message: string) => void;
}): Promise<HistoryResults> {
  const { admin, rows, log } = options;
  const names = { large: `barona_bench_history_${process.pid}`, small: `barona_bench_month_${process.pid}` };
  const urls = { large: databaseUrl(names.large, options.serverUrl), small: databaseUrl(names.small, options.serverUrl) };
  const services: Service[] = [];
  try {
    for (const kind of ['large', 'small'] as const) {
      await admin.query(`CREATE DATABASE ${names[kind]}`);
      const migrated = await runCli(['migrate'], { DATABASE_URL: urls[kind] });
      if (migrated.code !== 0) throw new Error(`barona migrate failed:\n${migrated.stderr}`);
    }
    const seedStarted = performance.now();
    const counts = { rowsInMonth: 0, rowsOnDay: 0 };
    for (const kind of ['large', 'small'] as const) {
      const client = new pg.Client({ connectionString: urls[kind], options: '-c TimeZone=UTC' });
      await client.connect();
      log(`history: seeding the ${kind === 'large' ? `${rows.toLocaleString('en')}-row history` : 'one-month'} database`);
      await client.query(
        SEED(kind === 'large' ? '' : `WHERE login >= '${MONTH_FROM}'::timestamptz AND login < ('${MONTH_TO}'::date + 1)::timestamptz`),
        [rows, `${HISTORY_START} 00:00:00+00`],
      );
      await client.query('VACUUM ANALYZE checkins');
      if (kind === 'small') {
        const { rows: found } = await client.query<{ month: string; day: string }>(
          `SELECT count(*) AS month, count(*) FILTER (WHERE login >= $1::date::timestamptz AND login < ($1::date + 1)::timestamptz) AS day FROM checkins`,
          [TARGET_DAY],
        );
        counts.rowsInMonth = Number(found[0]!.month);
        counts.rowsOnDay = Number(found[0]!.day);
      }
      await client.end();
    }
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    const plans = await explainAll(urls.large);

    const large = (await startService({ env: { DATABASE_URL: urls.large } })).service;
    const small = (await startService({ env: { DATABASE_URL: urls.small } })).service;
    services.push(large, small);
    const compact = TARGET_DAY.replaceAll('-', '');
    const queries: HistoryQuery[] = [
      { name: 'day view', path: `/table/view/date:${compact}` },
      { name: 'day summary', path: `/api/v1/days/${TARGET_DAY}/summary` },
      { name: 'name search', path: `/api/v1/checkins?date=${TARGET_DAY}&q=${encodeURIComponent(SEARCH)}` },
      { name: 'one-month CSV', path: `/api/v1/checkins.csv?from=${MONTH_FROM}&to=${MONTH_TO}`, single: true },
    ].map((q) => ({ ...q, large: [], small: [], explain: plans[q.name] ?? '' }));
    for (const query of queries) {
      // Warm both (caches, JIT of the service's code).
      for (const service of [large, small]) {
        if (query.single) await download(service, query.path);
        else await httpLoad({ url: service.url + query.path, connections: 10, durationS: 1, servicePid: service.pid });
      }
    }
    for (let rep = 1; rep <= options.reps; rep++) {
      for (const query of queries) {
        log(`history: ${query.name}, repetition ${rep}/${options.reps}`);
        for (const [kind, service] of [
          ['large', large],
          ['small', small],
        ] as const) {
          if (query.single) {
            query[kind].push(await download(service, query.path));
          } else {
            const result: HttpResult = await httpLoad({
              url: service.url + query.path,
              connections: 10,
              durationS: options.durationS,
              servicePid: service.pid,
            });
            if (result.failures > 0) throw new Error(`${query.name}: ${result.failures} failed requests`);
            // Seconds per request, so that every row of the table reads "time on the large ÷ on the small".
            query[kind].push(1 / result.rps);
          }
        }
      }
    }
    return { rows, ...counts, seedSeconds, queries };
  } finally {
    for (const service of services) await service.stop().catch(() => {});
    for (const name of Object.values(names)) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
  }
}
