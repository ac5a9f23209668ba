// `barona restore`: the pieces that load a backup (./format.ts) into an empty database; the backup
// service (./backup-service.ts) puts them together as one change.
//
// "Empty" means: no row in any table (a blank database, or one `barona migrate` has just prepared) and no
// migration applied that the backup does not have. The target is first migrated to exactly the backup's
// schema, the rows are loaded in one transaction (a damaged or cut-off file leaves nothing behind), then
// the remaining migrations of this barona run, so any data migration among them sees the restored rows.
// A backup whose schema is newer than this barona knows is refused before anything is written.
//
// The file is not trusted to describe itself: once the target is at the backup's schema, its catalog is
// the list of tables a backup of that schema holds, and the file must hold each of them, in that order,
// with the rows it says it has. Lines are read with a bound on their length (./lines.ts).
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Queryable } from '../../db/database.js';
import type { Migration } from '../../db/migrator.js';
import { quoteIdent, readCatalog, readLedger, type CatalogTable } from './catalog.js';
import {
  BackupFormatError,
  parseControl,
  parseHeader,
  type BackupDone,
  type BackupHeader,
  type TableEnd,
  type TableStart,
} from './format.js';
import { boundedLines } from './lines.js';

/** Rows per INSERT, or fewer when their lines pass INSERT_BYTES. */
const INSERT_ROWS = 1_000;
const INSERT_BYTES = 1 << 20;

export class RestoreRefused extends Error {
  override name = 'RestoreRefused';
}

export interface RestoredTable {
  name: string;
  rows: number;
}

export interface RestoreSummary {
  header: BackupHeader;
  tables: RestoredTable[];
  /** Migrations of this barona applied after the data was loaded (the backup's schema was older). */
  upgraded: Migration[];
}

/** A backup being read: its header, and the lines after it. */
export interface OpenBackup {
  header: BackupHeader;
  lines: AsyncIterator<string>;
}

/** The input's bytes, gunzipped when they start with the gzip magic (an uncompressed file is read as is). */
async function plainText(input: Readable): Promise<Readable> {
  const iterator = input[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  const head: Buffer[] = [];
  let length = 0;
  while (length < 2) {
    const next = await iterator.next();
    if (next.done) break;
    const chunk = Buffer.from(next.value);
    head.push(chunk);
    length += chunk.length;
  }
  const all = Readable.from(
    (async function* () {
      yield* head;
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield Buffer.from(next.value);
    })(),
  );
  const start = Buffer.concat(head);
  if (start[0] !== 0x1f || start[1] !== 0x8b) return all;
  const gunzip = createGunzip();
  all.on('error', (error) => gunzip.destroy(error));
  return all.pipe(gunzip);
}

/** Reads the header of a backup; the rest is read by loadBackup. */
export async function openBackup(input: Readable): Promise<OpenBackup> {
  const lines = boundedLines(await plainText(input))[Symbol.asyncIterator]();
  const first = await lines.next();
  return { header: parseHeader(first.done ? undefined : first.value), lines };
}

/** Checks the backup's schema against this barona's migrations; throws RestoreRefused when it cannot be restored. */
export function checkSchema(header: BackupHeader, migrations: Migration[], baronaVersion: string): void {
  const known = new Map(migrations.map((m) => [m.version, m]));
  for (const m of header.migrations) {
    const mine = known.get(m.version);
    if (!mine) {
      throw new RestoreRefused(
        `backup is from a newer schema (migration ${m.version}_${m.name}, written by barona ${header.barona}) than this barona ${baronaVersion} knows; restore it with barona ${header.barona} or later`,
      );
    }
    if (mine.checksum !== m.checksum) {
      throw new RestoreRefused(
        `backup's migration ${m.version}_${m.name} differs from this barona's ${mine.version}_${mine.name}.sql (checksum)`,
      );
    }
  }
}

export async function checkEmpty(db: Queryable, header: BackupHeader): Promise<void> {
  const inBackup = new Set(header.migrations.map((m) => m.version));
  const extra = (await readLedger(db)).filter((m) => !inBackup.has(m.version));
  if (extra.length > 0) {
    throw new RestoreRefused(
      `the target database has migration ${extra[0]!.version}_${extra[0]!.name}, newer than the backup's schema; restore into a blank database`,
    );
  }
  for (const table of await readCatalog(db)) {
    const { rows } = await db.query<{ any: boolean }>(`SELECT EXISTS (SELECT 1 FROM ONLY ${quoteIdent(table.name)}) AS any`);
    if (rows[0]!.any) {
      throw new RestoreRefused(
        `the target database is not empty (table ${table.name} has rows); restore only into a blank or freshly migrated database`,
      );
    }
  }
}

interface OpenSection {
  start: TableStart;
  target: CatalogTable;
  insert: string;
  hash: ReturnType<typeof createHash>;
  rows: number;
  pending: string[];
  pendingBytes: number;
}

const isText = (value: unknown): value is string => typeof value === 'string';

/** A TABLE line's payload, checked for its shape. */
function tableStart(payload: unknown): TableStart {
  const start = payload as Partial<TableStart> | null;
  if (!start || !isText(start.name) || !Array.isArray(start.columns) || !start.columns.every(isText)) {
    throw new BackupFormatError('damaged backup: a TABLE line without its name and columns');
  }
  return start as TableStart;
}

/**
 * The section the backup opens must be the next table of its schema's catalog: a table left out (with
 * the counts of the file lowered to match) or out of order would otherwise restore as if complete.
 */
function nextTable(name: string, catalog: CatalogTable[], restored: RestoredTable[]): CatalogTable {
  const expected = catalog[restored.length];
  if (expected?.name === name) return expected;
  if (!catalog.some((t) => t.name === name)) throw new RestoreRefused(`backup has table ${name}, which the target database does not have`);
  if (restored.some((t) => t.name === name))
    throw new BackupFormatError(`damaged backup: table ${name} appears twice; nothing was restored`);
  throw new BackupFormatError(
    `incomplete backup: table ${expected!.name} is missing (the backup's schema has it before ${name}); nothing was restored`,
  );
}

function openSection(start: TableStart, target: CatalogTable): OpenSection {
  const missing = start.columns.filter((c) => !target.columns.includes(c));
  if (missing.length > 0)
    throw new RestoreRefused(`backup has column ${start.name}.${missing[0]}, which the target database does not have`);
  // Only the backup's columns: a column the target has in addition gets its default.
  const columns = start.columns.map(quoteIdent).join(', ');
  const table = quoteIdent(start.name);
  return {
    start,
    target,
    insert: `INSERT INTO ${table} (${columns}) OVERRIDING SYSTEM VALUE
             SELECT ${columns} FROM json_populate_recordset(NULL::${table}, $1::json)`,
    hash: createHash('sha256'),
    rows: 0,
    pending: [],
    pendingBytes: 0,
  };
}

async function flush(conn: Queryable, section: OpenSection): Promise<void> {
  if (section.pending.length === 0) return;
  await conn.query(section.insert, [`[${section.pending.join(',')}]`]);
  section.pending = [];
  section.pendingBytes = 0;
}

async function closeSection(conn: Queryable, section: OpenSection, end: TableEnd): Promise<void> {
  await flush(conn, section);
  const name = section.start.name;
  if (end.name !== name) throw new BackupFormatError(`damaged backup: section ${name} ends as ${end.name}`);
  if (end.rows !== section.rows || end.sha256 !== section.hash.digest('hex')) {
    throw new BackupFormatError(
      `damaged backup: table ${name} holds ${section.rows} rows that do not match its checksum (${end.rows} rows written)`,
    );
  }
  for (const { column, next } of Array.isArray(end.sequences) ? end.sequences : []) {
    const sequence = section.target.sequences.find((s) => s.column === column)?.sequence;
    if (!sequence) continue;
    // Never behind the restored rows, and never behind the source: ids handed out there are not reused.
    await conn.query(
      `SELECT setval($1::regclass, greatest($2::bigint, coalesce((SELECT max(${quoteIdent(column)}) FROM ${quoteIdent(name)}), 0) + 1), false)`,
      [sequence, next],
    );
  }
}

/** The DONE line must count what was read: every table of the catalog, and their rows. */
function checkDone(done: Partial<BackupDone>, catalog: CatalogTable[], restored: RestoredTable[]): void {
  const missing = catalog[restored.length];
  if (missing) {
    throw new BackupFormatError(
      `incomplete backup: table ${missing.name} is missing (the backup's schema has ${catalog.length} tables, the file ${restored.length}); nothing was restored`,
    );
  }
  const rows = restored.reduce((sum, t) => sum + t.rows, 0);
  if (done.tables !== restored.length || done.rows !== rows) {
    throw new BackupFormatError(
      `damaged backup: its DONE line counts ${String(done.tables)} tables and ${String(done.rows)} rows, but it holds ${restored.length} tables and ${rows} rows; nothing was restored`,
    );
  }
}

/**
 * Loads the rows of the backup in `tx`, a transaction on a target that has just been migrated to
 * exactly the backup's schema (so its catalog is that schema's); throws, leaving the rollback to the
 * caller, when the file is damaged, incomplete or does not fit.
 */
export async function loadBackup(tx: Queryable, backup: OpenBackup): Promise<RestoredTable[]> {
  await tx.query('SET LOCAL statement_timeout = 0');
  const catalog = await readCatalog(tx);
  // Nobody writes while the rows go in (a service started too early waits instead).
  for (const table of catalog) await tx.query(`LOCK TABLE ${quoteIdent(table.name)} IN EXCLUSIVE MODE`);
  await checkEmpty(tx, backup.header);

  const restored: RestoredTable[] = [];
  let section: OpenSection | undefined;
  let done = false;
  for (let next = await backup.lines.next(); !next.done; next = await backup.lines.next()) {
    const line = next.value;
    if (line === '') continue;
    if (done) throw new BackupFormatError('damaged backup: lines after DONE');
    const control = parseControl(line);
    if (!control) {
      if (!section) throw new BackupFormatError('damaged backup: a row outside a TABLE section');
      section.hash.update(`${line}\n`);
      section.rows++;
      section.pending.push(line);
      section.pendingBytes += line.length;
      if (section.pending.length >= INSERT_ROWS || section.pendingBytes >= INSERT_BYTES) await flush(tx, section);
      continue;
    }
    if (control.word === 'TABLE' && !section) {
      const start = tableStart(control.payload);
      section = openSection(start, nextTable(start.name, catalog, restored));
    } else if (control.word === 'END' && section) {
      await closeSection(tx, section, (control.payload ?? {}) as TableEnd);
      restored.push({ name: section.start.name, rows: section.rows });
      section = undefined;
    } else if (control.word === 'DONE' && !section) {
      checkDone((control.payload ?? {}) as Partial<BackupDone>, catalog, restored);
      done = true;
    } else {
      throw new BackupFormatError(`damaged backup: unexpected ${control.word} line`);
    }
  }
  if (!done) throw new BackupFormatError('incomplete backup: the file ends before its DONE line (cut off?); nothing was restored');
  return restored;
}
