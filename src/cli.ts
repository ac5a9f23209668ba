// The `barona` command: serve | migrate [--status] | healthcheck | admin reset-password USERNAME | --version.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from './config.js';
import { openDatabase } from './db/database.js';
import { migrate, schemaStatus } from './db/migrator.js';
import { systemActor } from './domain/actor.js';
import { StaffService } from './features/staff/staff-service.js';
import { serviceDeps } from './services.js';
import { passwordProblem } from './features/staff/passwords.js';

const USAGE = `Usage: barona <command>

Commands:
  serve               run the HTTP service (default)
  migrate             apply pending database migrations (safe to run concurrently)
  migrate --status    list applied and pending migrations
  healthcheck         exit 0 when the local service answers /healthz (for container HEALTHCHECK)
  backup FILE         write a backup of the database to FILE (- for standard output)
  restore FILE        load a backup into an empty database (- for standard input)
  prune [--dry-run]   delete check-ins older than RETENTION_DAYS (--dry-run: only show what would go)
  admin reset-password USERNAME
                      set a new password for an admin (read from stdin, or ADMIN_PASSWORD),
                      end their sessions, and record it in the audit log

Options:
  -h, --help          show this help
  -v, --version       print the version

Configuration is read from environment variables; see README.md.`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function runMigrate(config: Config, statusOnly: boolean): Promise<number> {
  const db = await openDatabase(config.database, { timezone: config.timezone, requestTimeouts: false, direct: true });
  try {
    if (statusOnly) {
      const status = await schemaStatus(db);
      for (const m of status.applied) console.log(`applied  ${m.version}_${m.name}  ${m.appliedAt}`);
      for (const m of status.pending) console.log(`pending  ${m.version}_${m.name}`);
      for (const m of status.newer) console.log(`newer    ${m.version}_${m.name}  (applied by a newer release)`);
      for (const problem of status.problems) console.log(`problem  ${problem}`);
      console.log(`${status.applied.length} applied, ${status.pending.length} pending`);
      return status.problems.length > 0 ? 1 : 0;
    }
    const applied = await migrate(db);
    for (const m of applied) console.log(`applied  ${m.version}_${m.name}`);
    const newer = (await schemaStatus(db)).newer;
    if (newer.length > 0) {
      console.log(
        `schema is ahead of this release (${newer.map((m) => `${m.version}_${m.name}`).join(', ')} applied by a newer one): nothing to do`,
      );
    } else console.log(applied.length > 0 ? `${applied.length} migration(s) applied` : 'schema is up to date');
    return 0;
  } finally {
    await db.close();
  }
}

/** The new password: ADMIN_PASSWORD(_FILE) when set, else stdin (typed without echo on a terminal). */
async function readNewPassword(config: Config, username: string): Promise<string> {
  if (config.auth.adminPassword !== undefined) return config.auth.adminPassword;
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    let text = '';
    for await (const chunk of stdin) text += String(chunk);
    return text.split(/\r?\n/)[0] ?? '';
  }
  process.stderr.write(`New password for ${username} (not shown): `);
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  let typed = '';
  try {
    for await (const chunk of stdin) {
      for (const char of String(chunk)) {
        if (char === '\u0003') throw new UsageError('cancelled');
        if (char === '\r' || char === '\n') return typed;
        typed = char === '\u007f' ? typed.slice(0, -1) : typed + char;
      }
    }
    return typed;
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    process.stderr.write('\n');
  }
}

async function runAdmin(config: Config, args: string[]): Promise<number> {
  const [action, username, ...extra] = args;
  if (action !== 'reset-password')
    throw new UsageError(action ? `unknown admin command "${action}"` : 'admin needs a command: reset-password USERNAME');
  if (!username) throw new UsageError('admin reset-password needs a USERNAME');
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  const password = await readNewPassword(config, username);
  const problem = passwordProblem(password);
  if (problem) throw new Error(problem);
  const db = await openDatabase(config.database, { timezone: config.timezone, requestTimeouts: false, direct: true });
  try {
    const staff = new StaffService(serviceDeps(db, config));
    const user = await staff.resetPassword(systemActor(`operator (barona admin reset-password on ${hostname()})`), username, password);
    if (!user) throw new Error(`there is no admin called "${username}"`);
    console.log(`password of admin "${user.username}" reset; their sessions have ended (recorded in the audit log)`);
    return 0;
  } finally {
    await db.close();
  }
}

async function runHealthcheck(config: Config): Promise<number> {
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  try {
    const response = await fetch(`http://${host.includes(':') ? `[${host}]` : host}:${config.port}/healthz`, {
      signal: AbortSignal.timeout(3_000),
    });
    return response.ok ? 0 : 1;
  } catch {
    return 1;
  }
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      status: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.version) {
    console.log(version());
    return 0;
  }
  const [command = 'serve', ...rest] = positionals;
  const fileCommand = command === 'backup' || command === 'restore';
  if (command !== 'admin' && rest.length > (fileCommand ? 1 : 0))
    throw new UsageError(`unexpected argument "${rest[fileCommand ? 1 : 0]}"`);
  if (fileCommand && rest[0] === undefined)
    throw new UsageError(`${command} needs a FILE (or - for standard ${command === 'backup' ? 'output' : 'input'})`);
  if (values.status && command !== 'migrate') throw new UsageError('--status only goes with migrate');
  if (values['dry-run'] && command !== 'prune') throw new UsageError('--dry-run only goes with prune');

  const config = loadConfig();
  switch (command) {
    case 'serve': {
      const { portIsFree } = await import('./listening.js');
      await portIsFree(config.host, config.port);
      const { serve } = await import('./server.js');
      await serve(config);
      return -1; // keeps running; the process exits when the server shuts down
    }
    case 'migrate':
      return runMigrate(config, values.status ?? false);
    case 'healthcheck':
      return runHealthcheck(config);
    case 'backup':
    case 'restore': {
      const { runBackup, runRestore } = await import('./features/backup/command.js');
      return (command === 'backup' ? runBackup : runRestore)(config, rest[0]!, version());
    }
    case 'prune': {
      const { runPrune } = await import('./features/retention/command.js');
      return runPrune(config, values['dry-run'] ?? false);
    }
    case 'admin':
      return runAdmin(config, rest);
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

class UsageError extends Error {}

function isUsageError(error: unknown): boolean {
  return error instanceof UsageError || String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS');
}

export async function run(argv: string[]): Promise<void> {
  try {
    const code = await main(argv);
    if (code >= 0) process.exitCode = code;
  } catch (error) {
    // One line on stderr, no stack trace: these are the operator's mistakes, not ours.
    const message = (error as Error).message ?? String(error);
    if (error instanceof ConfigError) console.error(`barona: invalid configuration: ${message}`);
    else if (isUsageError(error)) console.error(`barona: ${message} (see barona --help)`);
    else console.error(`barona: ${message.split('\n')[0]}`);
    process.exitCode = isUsageError(error) ? 2 : 1;
    // A failed start must end the process even if something it opened still holds the event loop (a
    // connection, a timer): an orchestrator restarts it, a terminal gets its prompt back.
    setTimeout(() => process.exit(), 2_000).unref();
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
if (invokedDirectly) await run(process.argv.slice(2));
