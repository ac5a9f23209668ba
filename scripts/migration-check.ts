// Expand/contract check (docs/OPERATIONS.md "Upgrades: expand, then contract"): during an upgrade the
// previous release runs against the new schema, so a migration added since that release must not drop,
// rename or retype a table, column or SQL function the release's code uses, change one of its functions,
// take a default away, or add a NOT NULL column without a default to a table it writes. A migration that
// does so on purpose, once no running release needs the old shape, says so with a `-- contract: <why>`
// line; one that replaces a function by one answering every input alike names it on a
// `-- same results: <function>` line. Migrations that belong to the release must be unchanged.
//
//   node --import tsx scripts/migration-check.ts     exit 1 and one line per problem when something breaks
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));

export interface Release {
  version: string;
  commit: string;
  date: string;
}

/** The releases recorded in releases.json, newest first. */
export function readReleases(root = ROOT): Release[] {
  return (JSON.parse(readFileSync(path.join(root, 'releases.json'), 'utf8')) as { releases: Release[] }).releases;
}

const git = (root: string, args: string[]): string =>
  execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });

/** Whether the release's code mentions `name` as a whole word (in src/, and for functions also its migrations). */
export function usedByRelease(root: string, commit: string, name: string, kind: 'table' | 'column' | 'function'): boolean {
  const paths = kind === 'function' ? ['src', 'migrations'] : ['src'];
  try {
    git(root, ['grep', '-q', '-i', '-w', '-F', '-e', name, commit, '--', ...paths]);
    return true;
  } catch (error) {
    if ((error as { status?: number }).status === 1) return false;
    throw error;
  }
}

/** SQL without comments, string literals and dollar-quoted bodies, on one line. */
function statementsOf(sql: string): string[] {
  const bare = sql
    .replace(/\$([A-Za-z_]*)\$[\s\S]*?\$\1\$/g, ' $body$ ')
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/'(?:[^']|'')*'/g, "''");
  return bare
    .split(';')
    .map((s) => s.replace(/\s+/g, ' ').trim())
    .filter(Boolean);
}

const IDENT = String.raw`(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)`;
const QUALIFIED = String.raw`(?:${IDENT}\.)?(${IDENT})`;
const unquote = (name: string) => (name.startsWith('"') ? name.slice(1, -1).replaceAll('""', '"') : name.toLowerCase());

export interface Change {
  kind: 'table' | 'column' | 'function';
  name: string;
  /** For a column: its table. */
  table?: string;
  /** What the statement does to it, e.g. "drops column checkins.gate". */
  what: string;
}

/** The changes of `sql` that can break code written for the schema before it. */
export function breakingChanges(sql: string, releaseFunctions: ReadonlySet<string> = new Set()): Change[] {
  const changes: Change[] = [];
  for (const statement of statementsOf(sql)) {
    let m: RegExpExecArray | null;
    if (
      (m = new RegExp(String.raw`^DROP (TABLE|VIEW|MATERIALIZED VIEW) (?:IF EXISTS )?(.+?)(?: CASCADE| RESTRICT)?$`, 'i').exec(statement))
    ) {
      for (const target of m[2]!.split(',')) {
        const name = unquote(new RegExp(`^\\s*${QUALIFIED}`).exec(target)?.[1] ?? target.trim());
        changes.push({ kind: 'table', name, what: `drops ${m[1]!.toLowerCase()} ${name}` });
      }
      continue;
    }
    if ((m = new RegExp(String.raw`^DROP (FUNCTION|PROCEDURE) (?:IF EXISTS )?${QUALIFIED}`, 'i').exec(statement))) {
      const name = unquote(m[2]!);
      changes.push({ kind: 'function', name, what: `drops function ${name}` });
      continue;
    }
    if ((m = new RegExp(String.raw`^ALTER (?:FUNCTION|PROCEDURE) ${QUALIFIED}.* (RENAME TO|SET SCHEMA) `, 'i').exec(statement))) {
      const name = unquote(m[1]!);
      changes.push({ kind: 'function', name, what: `renames function ${name}` });
      continue;
    }
    if ((m = new RegExp(String.raw`^CREATE OR REPLACE (?:FUNCTION|PROCEDURE) ${QUALIFIED}`, 'i').exec(statement))) {
      const name = unquote(m[1]!);
      if (releaseFunctions.has(name))
        changes.push({ kind: 'function', name, what: `replaces function ${name} (add one with a new name instead)` });
      continue;
    }
    if ((m = new RegExp(String.raw`^ALTER (?:TABLE|VIEW) (?:IF EXISTS )?(?:ONLY )?${QUALIFIED} (.*)$`, 'i').exec(statement))) {
      const table = unquote(m[1]!);
      const actions = m[2]!;
      if (/^RENAME TO /i.test(actions) || /^SET SCHEMA /i.test(actions)) {
        changes.push({ kind: 'table', name: table, what: `renames table ${table}` });
        continue;
      }
      const rename = new RegExp(String.raw`^RENAME (?:COLUMN )?(${IDENT}) TO`, 'i').exec(actions);
      if (rename && !/^RENAME CONSTRAINT /i.test(actions)) {
        const column = unquote(rename[1]!);
        changes.push({ kind: 'column', name: column, table, what: `renames column ${table}.${column}` });
        continue;
      }
      for (const action of actions.split(/,(?![^(]*\))/)) {
        const a = action.trim();
        let c: RegExpExecArray | null;
        if (
          (c = new RegExp(String.raw`^DROP (?:COLUMN )?(?:IF EXISTS )?(${IDENT})`, 'i').exec(a)) &&
          !/^DROP (CONSTRAINT|DEFAULT|NOT NULL|IDENTITY|EXPRESSION)\b/i.test(a)
        ) {
          const column = unquote(c[1]!);
          changes.push({ kind: 'column', name: column, table, what: `drops column ${table}.${column}` });
        } else if ((c = new RegExp(String.raw`^ALTER (?:COLUMN )?(${IDENT}) (?:SET DATA )?TYPE `, 'i').exec(a))) {
          const column = unquote(c[1]!);
          changes.push({ kind: 'column', name: column, table, what: `changes the type of column ${table}.${column}` });
        } else if ((c = new RegExp(String.raw`^ALTER (?:COLUMN )?(${IDENT}) (DROP DEFAULT|SET NOT NULL)`, 'i').exec(a))) {
          const column = unquote(c[1]!);
          changes.push({
            kind: 'column',
            table,
            name: column,
            what: `${c[2]!.toLowerCase() === 'drop default' ? 'takes the default away from' : 'makes NOT NULL'} column ${table}.${column}`,
          });
        } else if (
          (c = new RegExp(String.raw`^ADD (?:COLUMN )?(?:IF NOT EXISTS )?(${IDENT}) `, 'i').exec(a)) &&
          !/^ADD (CONSTRAINT|PRIMARY|UNIQUE|FOREIGN|CHECK|EXCLUDE)\b/i.test(a)
        ) {
          if (/\bNOT NULL\b/i.test(a) && !/\bDEFAULT\b|\bGENERATED\b/i.test(a)) {
            changes.push({
              kind: 'table',
              name: table,
              what: `adds column ${table}.${unquote(c[1]!)} NOT NULL without a default (the release's inserts cannot fill it)`,
            });
          }
        }
      }
    }
  }
  return changes;
}

export const CONTRACT_MARK = /^\s*--\s*contract:\s*\S/im;
/**
 * `-- same results: f, g`: the migration replaces these functions with bodies that answer every input as
 * before (only faster), so the previous release, its indexes and stored columns are unaffected. A claim a
 * test must hold: the checker takes it for those functions only, never for anything else in the file.
 */
const SAME_RESULTS_MARK = /^\s*--\s*same results:\s*(.+)$/gim;

/** The functions a migration's `-- same results:` lines name. */
export function sameResultFunctions(sql: string): Set<string> {
  const names = new Set<string>();
  for (const m of sql.matchAll(SAME_RESULTS_MARK)) for (const name of m[1]!.split(',')) if (name.trim()) names.add(unquote(name.trim()));
  return names;
}

/** Names of what the release's migrations create: `FUNCTION|PROCEDURE` or `TABLE|VIEW…`. */
function createdBy(sqls: string[], kinds: string): Set<string> {
  const names = new Set<string>();
  const create = new RegExp(String.raw`CREATE (?:OR REPLACE )?(?:${kinds}) (?:IF NOT EXISTS )?${QUALIFIED}`, 'gi');
  for (const sql of sqls) for (const m of sql.matchAll(create)) names.add(unquote(m[1]!));
  return names;
}

/** Problems of the migrations in `migrationsDir` against `release` (one sentence each); empty = fine. */
export function checkMigrations(options: { root?: string; migrationsDir?: string; release?: Release } = {}): string[] {
  const root = options.root ?? ROOT;
  const dir = options.migrationsDir ?? path.join(root, 'migrations');
  const release = options.release ?? readReleases(root)[0]!;
  try {
    git(root, ['cat-file', '-e', `${release.commit}^{commit}`]);
  } catch {
    return [
      `release ${release.version} (commit ${release.commit}) is not in this clone's history: fetch the full history (git fetch --unshallow)`,
    ];
  }
  const released = git(root, ['ls-tree', '--name-only', `${release.commit}`, 'migrations/'])
    .split('\n')
    .filter((f) => f.endsWith('.sql'))
    .map((f) => path.basename(f));
  const releasedSql = new Map(released.map((file) => [file, git(root, ['show', `${release.commit}:migrations/${file}`])]));
  const current = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort();
  const problems: string[] = [];
  for (const [file, sql] of releasedSql) {
    if (!current.includes(file)) problems.push(`${file} belongs to release ${release.version} but is gone`);
    else if (readFileSync(path.join(dir, file), 'utf8') !== sql)
      problems.push(`${file} belongs to release ${release.version} and was edited`);
  }
  const releaseFunctions = createdBy([...releasedSql.values()], 'FUNCTION|PROCEDURE');
  const releaseTables = createdBy([...releasedSql.values()], 'TABLE|VIEW|MATERIALIZED VIEW');
  const lastReleased = released.sort().at(-1) ?? '';
  for (const file of current.filter((f) => !releasedSql.has(f))) {
    if (file < lastReleased) problems.push(`${file} sorts before ${lastReleased}, the last migration of release ${release.version}`);
    const sql = readFileSync(path.join(dir, file), 'utf8');
    if (CONTRACT_MARK.test(sql)) continue;
    const sameResults = sameResultFunctions(sql);
    for (const change of breakingChanges(sql, releaseFunctions)) {
      if (change.kind === 'function' && change.what.startsWith('replaces') && sameResults.has(change.name)) continue;
      // A column matters only on a table the release has; its name is then looked for in the release's code.
      if (change.table !== undefined && !releaseTables.has(change.table)) continue;
      if (
        change.what.startsWith('replaces') ||
        change.what.startsWith('adds') ||
        usedByRelease(root, release.commit, change.name, change.kind)
      ) {
        problems.push(
          `${file} ${change.what}, which release ${release.version} still uses: expand now and contract in a later release (mark that migration "-- contract: <why>")`,
        );
      }
    }
  }
  return problems;
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
if (invokedDirectly) {
  const problems = checkMigrations();
  for (const problem of problems) console.error(`migration-check: ${problem}`);
  if (problems.length === 0) console.log(`migration-check: every migration keeps release ${readReleases()[0]!.version} working`);
  process.exit(problems.length > 0 ? 1 : 0);
}
