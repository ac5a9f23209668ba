// CSV export of check-ins, in the one CSV format of domain/csv.ts, produced chunk by chunk from the
// database so memory stays flat however many rows a range holds. The range is of attendance days
// (DAY_STARTS_AT in APP_TIMEZONE) and times are written in APP_TIMEZONE, whatever the session's zone. PostgreSQL renders the entries' lines,
// quoting and formula guard included (checkin-repository.ts, exportChunk, with csvFieldSql); this module
// adds the header (and the byte-order mark) and streams the chunks.
import { Readable } from 'node:stream';
import type { Queryable } from '../../db/database.js';
import { csvFileName, csvHeader, type CsvFileName, type CsvOptions } from '../../domain/csv.js';
import type { AttendanceDays } from '../../domain/attendance-day.js';
import { CHECKIN_CSV_COLUMNS, type ExportPosition, type ExportRange, exportChunk, exportQuery } from './checkin-repository.js';

/** Rows fetched per query: big enough to amortise round trips, small enough to keep memory flat. */
export const EXPORT_CHUNK_ROWS = 5_000;

/**
 * The CSV text of a range, as a stream. The next chunk is queried while the current one is being sent
 * (one chunk ahead at most), so PostgreSQL's work overlaps the sending instead of alternating with it.
 */
export function exportCsv(
  db: Queryable,
  days: AttendanceDays,
  range: ExportRange,
  options: CsvOptions & { chunkRows?: number } = {},
): Readable {
  const chunkRows = options.chunkRows ?? EXPORT_CHUNK_ROWS;
  const query = exportQuery(days, range);
  const fetchAfter = (after: ExportPosition | undefined) => {
    const pending = exportChunk(db, query, after, chunkRows);
    // Handled here too, for when the client leaves and the prefetched chunk is never awaited.
    pending.catch(() => undefined);
    return pending;
  };
  async function* lines(): AsyncGenerator<string | Buffer> {
    yield csvHeader(CHECKIN_CSV_COLUMNS, options);
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

/** The name of an export's file: the day (or range) and the gate, e.g. barona-checkins-2026-11-27-gate-north.csv. */
export function exportFileName(range: ExportRange): CsvFileName {
  const days = range.from === range.to ? range.from : `${range.from}_to_${range.to}`;
  return csvFileName(`barona-checkins-${days}`, range.gate === undefined ? undefined : { prefix: '-gate-', text: range.gate });
}
