// CSV export of check-ins: RFC 4180 (CRLF line ends, fields quoted when they hold a quote, comma or
// line break, quotes doubled), produced chunk by chunk from the database so memory stays flat however
// many rows a range holds. PostgreSQL renders the entries' lines, quoting included, and neutralises
// text a person typed against spreadsheet formula injection (checkin-repository.ts, exportChunk); this
// module adds the header and streams the chunks.
import { Readable } from 'node:stream';
import type { Queryable } from '../db/database.js';
import { CHECKIN_CSV_COLUMNS, type ExportPosition, type ExportRange, exportChunk } from './checkin-repository.js';

const HEADER_LINE = `${CHECKIN_CSV_COLUMNS}\r\n`;

/** Rows fetched per query: big enough to amortise round trips, small enough to keep memory flat. */
export const EXPORT_CHUNK_ROWS = 5_000;

/**
 * The CSV text of a range, as a stream. The next chunk is queried while the current one is being sent
 * (one chunk ahead at most), so PostgreSQL's work overlaps the sending instead of alternating with it.
 */
export function exportCsv(db: Queryable, range: ExportRange, chunkRows = EXPORT_CHUNK_ROWS): Readable {
  const fetchAfter = (after: ExportPosition | undefined) => {
    const pending = exportChunk(db, range, after, chunkRows);
    // Handled here too, for when the client leaves and the prefetched chunk is never awaited.
    pending.catch(() => undefined);
    return pending;
  };
  async function* lines(): AsyncGenerator<string | Buffer> {
    yield HEADER_LINE;
    let next = fetchAfter(undefined);
    for (;;) {
      const chunk = await next;
      if (!chunk) return;
      const more = chunk.rows === chunkRows;
      if (more) next = fetchAfter(chunk.last);
      yield Buffer.from(chunk.csv, 'utf8');
      if (!more) return;
    }
  }
  return Readable.from(lines(), { objectMode: false, highWaterMark: 1 });
}
