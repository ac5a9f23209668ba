// `barona restore`: loads a backup (./format.ts) into an empty database.
//
// "Empty" means: no row in any table (a blank database, or one `barona migrate` has just prepared) and no
// migration applied that the backup does not have. The target is first migrated to exactly the backup's
// schema, the rows are loaded in one transaction (a damaged or cut-off file leaves nothing behind), then
// the remaining migrations of this barona run, so any data migration among them sees the restored rows.
// A backup whose schema is newer than this barona knows is refused before anything is written.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import type { Database, Queryable } from '../../db/database.js';
import { migrate, type Migration } from '../../db/migrator.js';
import { quoteIdent, readCatalog, readLedger, type CatalogTable } from './catalog.js';
import { BackupFormatError, parseControl, parseHeader, type BackupHeader, type TableEnd, type TableStart } from './format.js';

/** Rows per INSERT, or fewer when their lines pass INSERT_BYTES. */
const INSERT_ROWS = 1_000;
const INSERT_BYTES = 1 << 20;

export class RestoreRefused extends Error {
  override name = 'RestoreRefused';
}

export interface RestoreSummary {
  header: BackupHeader;
  tables: { name: string; rows: number }[];
  /** Migrations of this barona applied after the data was loaded (the backup's schema was older). */
  upgraded: Migration[];
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

/** Checks the backup's schema against this barona's migrations; throws RestoreRefused when it cannot be restored. */
function checkSchema(header: BackupHeader, migrations: Migration[], baronaVersion: string): void {
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

async function checkEmpty(db: Queryable, header: BackupHeader): Promise<void> {
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

function openSection(start: TableStart, catalog: Map<string, CatalogTable>): OpenSection {
  const target = catalog.get(start.name);
  if (!target) throw new RestoreRefused(`backup has table ${start.name}, which the target database does not have`);
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
  for (const { column, next } of end.sequences) {
    const sequence = section.target.sequences.find((s) => s.column === column)?.sequence;
    if (!sequence) continue;
    // Never behind the restored rows, and never behind the source: ids handed out there are not reused.
    await conn.query(
      `SELECT setval($1::regclass, greatest($2::bigint, coalesce((SELECT max(${quoteIdent(column)}) FROM ${quoteIdent(name)}), 0) + 1), false)`,
      [sequence, next],
    );
  }
}

export async function restoreBackup(
  db: Database,
  input: Readable,
  migrations: Migration[],
  baronaVersion: string,
): Promise<RestoreSummary> {
  const lines = createInterface({ input: await plainText(input), crlfDelay: Infinity })[Symbol.asyncIterator]();
  const first = await lines.next();
  const header = parseHeader(first.done ? undefined : first.value);
  checkSchema(header, migrations, baronaVersion);
  await checkEmpty(db, header);

  const inBackup = new Set(header.migrations.map((m) => m.version));
  await migrate(
    db,
    migrations.filter((m) => inBackup.has(m.version)),
  );

  const tables: { name: string; rows: number }[] = [];
  await db.withConnection(async (conn) => {
    await conn.query('BEGIN');
    try {
      await conn.query('SET LOCAL statement_timeout = 0');
      const catalog = new Map((await readCatalog(conn)).map((t) => [t.name, t]));
      // Nobody writes while the rows go in (a service started too early waits instead).
      for (const name of catalog.keys()) await conn.query(`LOCK TABLE ${quoteIdent(name)} IN EXCLUSIVE MODE`);
      await checkEmpty(conn, header);

      let section: OpenSection | undefined;
      let done = false;
      for (let next = await lines.next(); !next.done; next = await lines.next()) {
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
          if (section.pending.length >= INSERT_ROWS || section.pendingBytes >= INSERT_BYTES) await flush(conn, section);
          continue;
        }
        if (control.word === 'TABLE' && !section) {
          section = openSection(control.payload as TableStart, catalog);
        } else if (control.word === 'END' && section) {
          await closeSection(conn, section, control.payload as TableEnd);
          tables.push({ name: section.start.name, rows: section.rows });
          section = undefined;
        } else if (control.word === 'DONE' && !section) {
          const expected = (control.payload as { tables: number }).tables;
          if (expected !== tables.length) throw new BackupFormatError(`damaged backup: ${tables.length} of ${expected} tables present`);
          done = true;
        } else {
          throw new BackupFormatError(`damaged backup: unexpected ${control.word} line`);
        }
      }
      if (!done) throw new BackupFormatError('incomplete backup: the file ends before its DONE line (cut off?); nothing was restored');
      await conn.query('COMMIT');
    } catch (error) {
      await conn.query('ROLLBACK').catch(() => {});
      throw error;
    }
  });

  const upgraded = await migrate(db, migrations);
  return { header, tables, upgraded };
}
