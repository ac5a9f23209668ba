// CSV export of check-ins: RFC 4180 (CRLF line ends, fields quoted when they hold a quote, comma or
// line break, quotes doubled), produced chunk by chunk from the database so memory stays flat however
// many rows a range holds. Text a person typed is neutralised against spreadsheet formula injection.
// PostgreSQL renders the entries' lines (checkin-repository.ts exportChunk, same rules as below); this
// module renders the header and streams the chunks.
import { Readable } from 'node:stream';
import type { Queryable } from '../db/database.js';
import { type ExportPosition, type ExportRange, exportChunk } from './checkin-repository.js';

export const CSV_HEADER = ['id', 'occurred_at', 'recorded_at', 'firstname', 'lastname', 'gate', 'direction'] as const;

/** Rows fetched per query: big enough to amortise round trips, small enough to keep memory flat. */
export const EXPORT_CHUNK_ROWS = 5_000;

/** Characters with which a spreadsheet starts a formula (or that hide one, like TAB and CR). */
const FORMULA_START = /^[=+\-@\t\r]/;

/** A leading apostrophe makes spreadsheets show the text as typed instead of evaluating it. */
export function neutraliseFormula(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvLine(fields: readonly string[]): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}

/** The CSV text of a range, as a stream that queries the next chunk only when the client has read the last. */
export function exportCsv(db: Queryable, range: ExportRange, chunkRows = EXPORT_CHUNK_ROWS): Readable {
  async function* lines(): AsyncGenerator<string> {
    yield csvLine(CSV_HEADER);
    let after: ExportPosition | undefined;
    for (;;) {
      const chunk = await exportChunk(db, range, after, chunkRows);
      if (!chunk) return;
      yield chunk.csv;
      if (chunk.rows < chunkRows) return;
      after = chunk.last;
    }
  }
  return Readable.from(lines(), { objectMode: false, highWaterMark: 1 });
}
