// Would switching the PostgreSQL driver from pg (node-postgres) to postgres.js pay off? Measures, in this
// process and without HTTP, the client-side cost of the service's three hot statements with each driver:
// operations per second and the Node CPU each operation costs (the part a driver can change).
//
//   npm i --no-save postgres@3.4.9 && node --import tsx bench/drivers.ts
//
// Uses BENCH_DATABASE_URL or the local server at 127.0.0.1:5432; creates and drops its own database.
import pg from 'pg';
import { databaseUrl } from '../test/support/database.js';
import { runCli } from '../test/support/server.js';

const SERVER = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const OPS = Number(process.env.DRIVERS_OPS ?? 400);
const CONCURRENCY = 10;

const DAY_SHEET = `SELECT coalesce(json_agg(json_build_object(
    'id', id, 'login', login, 'lastname', lastname, 'firstname', firstname, 'gate', gate
  ) ORDER BY id), '[]')::text AS sheet
  FROM checkins WHERE login >= $1::date::timestamptz AND login < ($1::date + 1)::timestamptz`;
const INSERT_ONE = `INSERT INTO checkins (firstname, lastname, gate) VALUES ($1, $2, $3)
  RETURNING id, to_json(login) #>> '{}' AS login, firstname, lastname, gate`;
const INSERT_MANY = `INSERT INTO checkins (firstname, lastname, gate)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
  RETURNING id, to_json(login) #>> '{}' AS login, firstname, lastname, gate`;

type Run = (op: number) => Promise<unknown>;

/** The little of postgres.js's API used here. */
type PostgresJs = (
  url: string,
  options: Record<string, unknown>,
) => {
  unsafe(query: string, params: unknown[]): Promise<unknown[]> & { raw(): Promise<unknown[]> };
  end(): Promise<void>;
};

async function measure(run: Run, ops: number): Promise<{ opsPerS: number; cpuUsPerOp: number }> {
  let next = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < ops) await run(next++);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { opsPerS: ops / seconds, cpuUsPerOp: (used.user + used.system) / ops };
}

async function main() {
  const name = `barona_drivers_${process.pid}`;
  const admin = new pg.Client({ connectionString: SERVER });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = databaseUrl(name, SERVER);
  try {
    const migrated = await runCli(['migrate'], { DATABASE_URL: url });
    if (migrated.code !== 0) throw new Error(migrated.stderr);
    const setup = new pg.Client({ connectionString: url });
    await setup.connect();
    await setup.query(`INSERT INTO checkins (login, firstname, lastname, gate)
      SELECT '2020-01-02 00:00:00+00'::timestamptz + i * interval '8 seconds', 'Day', 'Person-' || i, 'G' || (i % 8) FROM generate_series(0, 9999) i`);
    await setup.query(`INSERT INTO checkins (login, firstname, lastname, gate)
      SELECT '2020-01-01 00:00:00+00'::timestamptz + i * interval '800 seconds', 'Day', 'Person-' || i, 'G' || (i % 8) FROM generate_series(0, 99) i`);
    await setup.query('VACUUM ANALYZE checkins');
    await setup.end();

    const pool = new pg.Pool({ connectionString: url, max: CONCURRENCY, options: '-c TimeZone=UTC' });
    // Not a dependency of the project: installed with --no-save for this measurement only.
    const driverName = 'postgres';
    const { default: postgres } = (await import(driverName).catch(() => {
      throw new Error('postgres.js is not installed: npm i --no-save postgres@3.4.9');
    })) as { default: PostgresJs };
    const sql = postgres(url, { max: CONCURRENCY, connection: { TimeZone: 'UTC' } });
    const batch = (op: number) => {
      const rows = Array.from({ length: 20 }, (_, i) => `${op}-${i}`);
      return [rows.map((r) => `F${r}`), rows.map((r) => `L${r}`), rows.map(() => 'G')];
    };

    const workloads: [string, number, Run, Run, Run?][] = [
      [
        'day sheet, 10,000 rows',
        Math.max(20, OPS / 10),
        () => pool.query(DAY_SHEET, ['2020-01-02']),
        () => sql.unsafe(DAY_SHEET, ['2020-01-02']),
        () => sql.unsafe(DAY_SHEET, ['2020-01-02']).raw(),
      ],
      [
        'day sheet, 100 rows',
        OPS,
        () => pool.query(DAY_SHEET, ['2020-01-01']),
        () => sql.unsafe(DAY_SHEET, ['2020-01-01']),
        () => sql.unsafe(DAY_SHEET, ['2020-01-01']).raw(),
      ],
      [
        'single-row INSERT',
        OPS,
        (op) => pool.query(INSERT_ONE, [`F${op}`, `L${op}`, 'G']),
        (op) => sql.unsafe(INSERT_ONE, [`F${op}`, `L${op}`, 'G']),
      ],
      ['20-row INSERT (unnest)', OPS / 4, (op) => pool.query(INSERT_MANY, batch(op)), (op) => sql.unsafe(INSERT_MANY, batch(op))],
    ];
    console.log(
      `| statement | pg ops/s | pg client CPU µs/op | postgres.js ops/s | postgres.js client CPU µs/op | postgres.js .raw() ops/s | .raw() CPU µs/op |`,
    );
    console.log('|---|---|---|---|---|---|---|');
    for (const [label, ops, viaPg, viaPostgres, viaRaw] of workloads) {
      // Warm both drivers (connections, JIT, prepared statements) before measuring.
      await measure(viaPg, CONCURRENCY * 2);
      await measure(viaPostgres, CONCURRENCY * 2);
      const a = await measure(viaPg, ops);
      const b = await measure(viaPostgres, ops);
      const c = viaRaw ? await measure(viaRaw, ops) : undefined;
      const f = (v: number) => Math.round(v).toLocaleString('en');
      console.log(
        `| ${label} | ${f(a.opsPerS)} | ${f(a.cpuUsPerOp)} | ${f(b.opsPerS)} | ${f(b.cpuUsPerOp)} | ${c ? f(c.opsPerS) : '–'} | ${c ? f(c.cpuUsPerOp) : '–'} |`,
      );
    }
    await pool.end();
    await sql.end();
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

await main();
