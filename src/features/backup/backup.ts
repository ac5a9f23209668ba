// `barona backup`: every table, from one consistent snapshot, streamed through a server-side cursor into a
// gzip stream, so memory stays bounded however many check-ins there are (format: ./format.ts).
import { createHash } from 'node:crypto';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Database, Queryable } from '../../db/database.js';
import { quoteIdent, readCatalog, readLedger, type CatalogTable } from './catalog.js';
import { FORMAT_VERSION, headerLine, type BackupDone, type SequenceState, type TableEnd } from './format.js';
import { MAX_LINE_BYTES } from './lines.js';

/** Rows fetched from the cursor per round trip: a few hundred kilobytes. */
const FETCH_ROWS = 2_000;

export interface BackupSummary {
  tables: TableEnd[];
  rows: number;
  migrations: number;
}

async function* tableSection(conn: Queryable, table: CatalogTable, ends: TableEnd[]): AsyncGenerator<string> {
  yield `TABLE ${JSON.stringify({ name: table.name, columns: table.columns, key: table.key })}\n`;
  const order = table.key.length > 0 ? ` ORDER BY ${table.key.map((c) => `t.${quoteIdent(c)}`).join(', ')}` : '';
  await conn.query(
    `DECLARE backup_rows NO SCROLL CURSOR FOR SELECT row_to_json(t)::text AS line FROM ONLY ${quoteIdent(table.name)} t${order}`,
  );
  const hash = createHash('sha256');
  let rows = 0;
  for (;;) {
    const batch = await conn.query<{ line: string }>(`FETCH ${FETCH_ROWS} FROM backup_rows`);
    if (batch.rows.length === 0) break;
    let chunk = '';
    for (const row of batch.rows) {
      // Found now rather than by the restore, which refuses such a line.
      if (row.line.length * 3 > MAX_LINE_BYTES && Buffer.byteLength(row.line) > MAX_LINE_BYTES) {
        throw new Error(
          `table ${table.name} has a row longer than ${MAX_LINE_BYTES} bytes, which no restore reads; the backup was stopped`,
        );
      }
      chunk += `${row.line}\n`;
    }
    hash.update(chunk);
    rows += batch.rows.length;
    yield chunk;
  }
  await conn.query('CLOSE backup_rows');
  const sequences: SequenceState[] = [];
  for (const { column, sequence } of table.sequences) {
    const { rows: state } = await conn.query<{ last_value: number | string; is_called: boolean }>(
      `SELECT last_value, is_called FROM ${sequence}`,
    );
    const last = Number(state[0]!.last_value);
    sequences.push({ column, next: state[0]!.is_called ? last + 1 : last });
  }
  const end: TableEnd = { name: table.name, rows, sha256: hash.digest('hex'), sequences };
  ends.push(end);
  yield `END ${JSON.stringify(end)}\n`;
}

/** Writes a backup of `db` to `output` (gzip-compressed) and resolves once it is completely written. */
export async function writeBackup(db: Database, output: Writable, barona: string): Promise<BackupSummary> {
  const ends: TableEnd[] = [];
  let migrations = 0;
  await db.withConnection(async (conn) => {
    // One snapshot for every table: a backup taken while the service writes is still consistent.
    await conn.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    try {
      await conn.query('SET LOCAL statement_timeout = 0');
      const ledger = await readLedger(conn);
      migrations = ledger.length;
      const tables = await readCatalog(conn);
      async function* lines(): AsyncGenerator<string> {
        yield headerLine({
          format: FORMAT_VERSION,
          createdAt: new Date().toISOString(),
          barona,
          engine: db.kind,
          migrations: ledger,
        });
        for (const table of tables) yield* tableSection(conn, table, ends);
        const done: BackupDone = { tables: ends.length, rows: ends.reduce((sum, t) => sum + t.rows, 0) };
        yield `DONE ${JSON.stringify(done)}\n`;
      }
      await pipeline(Readable.from(lines()), createGzip(), output);
    } finally {
      await conn.query('ROLLBACK');
    }
  });
  return { tables: ends, rows: ends.reduce((sum, t) => sum + t.rows, 0), migrations };
}
