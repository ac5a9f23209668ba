// Restore drill: N check-ins (default 1,000,000) in a PostgreSQL database, `barona backup` to a file,
// `barona restore` into a blank database, every table compared (row count and md5 over the rows).
// Prints the time and peak memory (RSS) of each step. `npm run bench` runs it too (restoreDrill) and
// writes the figures to bench/RESULTS.md.
//
//   DRILL_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres node --import tsx scripts/restore-drill.ts [ROWS]
//
// Needs `npm run build` first and a superuser URL (it creates and drops two databases).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

export interface DrillResult {
  rows: number;
  fillSeconds: number;
  backup: { seconds: number; rssMb: number; fileMb: number };
  restore: { seconds: number; rssMb: number };
}

/** Runs `barona ARGS` under /usr/bin/time; returns seconds and peak RSS in MB. */
function barona(args: string[], databaseUrl: string): { seconds: number; rssMb: number } {
  const started = process.hrtime.bigint();
  const run = spawnSync('/usr/bin/time', ['-f', 'RSS_KB=%M', process.execPath, path.join(ROOT, 'bin/barona.js'), ...args], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' },
    encoding: 'utf8',
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (run.status !== 0) throw new Error(`barona ${args.join(' ')} failed: ${run.stderr}`);
  const rssKb = Number(/RSS_KB=(\d+)/.exec(run.stderr)?.[1] ?? NaN);
  return { seconds, rssMb: rssKb / 1024 };
}

async function fingerprint(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url, options: '-c TimeZone=UTC' });
  await client.connect();
  try {
    const { rows: tables } = await client.query<{ name: string }>(
      `SELECT relname::text AS name FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' AND relname <> 'schema_migrations' ORDER BY 1`,
    );
    const parts: string[] = [];
    for (const { name } of tables) {
      const { rows: r } = await client.query(
        `SELECT count(*) AS n, md5(string_agg(md5(row_to_json(t)::text), '' ORDER BY row_to_json(t)::text)) AS sum FROM ${name} t${name === 'audit_log' ? " WHERE NOT (entity = 'backup' AND action = 'restore')" : ''}`,
      );
      parts.push(`${name}:${r[0].n}:${r[0].sum ?? ''}`);
    }
    return parts.join(' ');
  } finally {
    await client.end();
  }
}

/**
 * Fills a new database with `rows` check-ins, backs it up with `barona backup`, restores the file into
 * another new database with `barona restore`, and throws unless every table is identical.
 */
export async function restoreDrill(admin: string, rows: number, log: (line: string) => void = console.log): Promise<DrillResult> {
  const urlOf = (name: string) => Object.assign(new URL(admin), { pathname: `/${name}` }).toString();
  const source = `barona_drill_src_${process.pid}`;
  const target = `barona_drill_dst_${process.pid}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'barona-drill-'));
  try {
    await client.query(`CREATE DATABASE ${source}`);
    await client.query(`CREATE DATABASE ${target}`);
    barona(['migrate'], urlOf(source));
    const fill = new pg.Client({ connectionString: urlOf(source) });
    await fill.connect();
    const t0 = Date.now();
    await fill.query(
      `INSERT INTO checkins (login, firstname, lastname, gate, recorded_at)
       SELECT now() - make_interval(secs => g * 13), 'First' || (g % 5000), 'Last' || (g % 7919), 'Gate ' || (g % 12), now() - make_interval(secs => g * 13)
         FROM generate_series(1, $1::int) AS g`,
      [rows],
    );
    await fill.query('VACUUM ANALYZE checkins');
    await fill.end();
    const fillSeconds = (Date.now() - t0) / 1000;
    log(`filled ${rows.toLocaleString('en')} check-ins in ${fillSeconds.toFixed(1)} s`);

    const file = path.join(dir, 'drill.backup.gz');
    const backup = { ...barona(['backup', file], urlOf(source)), fileMb: statSync(file).size / 1e6 };
    log(`backup:  ${backup.seconds.toFixed(1)} s, peak RSS ${backup.rssMb.toFixed(0)} MB, file ${backup.fileMb.toFixed(1)} MB`);
    const restore = barona(['restore', file], urlOf(target));
    log(`restore: ${restore.seconds.toFixed(1)} s, peak RSS ${restore.rssMb.toFixed(0)} MB`);
    const [a, b] = [await fingerprint(urlOf(source)), await fingerprint(urlOf(target))];
    if (a !== b) throw new Error(`restored data differs:\n  source ${a}\n  target ${b}`);
    log(`every table identical (row counts and checksums); ${(rows / (backup.seconds + restore.seconds)).toFixed(0)} rows/s round trip`);
    return { rows, fillSeconds, backup, restore };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await client.query(`DROP DATABASE IF EXISTS ${source} WITH (FORCE)`);
    await client.query(`DROP DATABASE IF EXISTS ${target} WITH (FORCE)`);
    await client.end();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  await restoreDrill(process.env.DRILL_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres', Number(process.argv[2] ?? 1_000_000));
}
