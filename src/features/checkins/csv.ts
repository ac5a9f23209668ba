// CSV export of check-ins: RFC 4180 (CRLF line ends, fields quoted when they hold a quote, comma or
// line break, quotes doubled), produced chunk by chunk from the database so memory stays flat however
// many rows a range holds. PostgreSQL renders the entries' lines, quoting included, and neutralises
// text a person typed against spreadsheet formula injection (checkin-repository.ts, exportChunk); this
// module adds the header and streams the chunks.
import { Readable } from 'node:stream';
import type { Queryable } from '../../db/database.js';
import { CHECKIN_CSV_COLUMNS, type ExportPosition, type ExportRange, exportChunk } from './checkin-repository.js';
import { personFold } from './person-name.js';

const HEADER_LINE = `${CHECKIN_CSV_COLUMNS}\r\n`;

/** U+FEFF at the start tells Excel the file is UTF-8 (without it Excel reads Żółć as Windows-1252). */
const BYTE_ORDER_MARK = '\ufeff';

/** Rows fetched per query: big enough to amortise round trips, small enough to keep memory flat. */
export const EXPORT_CHUNK_ROWS = 5_000;

/**
 * The CSV text of a range, as a stream. The next chunk is queried while the current one is being sent
 * (one chunk ahead at most), so PostgreSQL's work overlaps the sending instead of alternating with it.
 */
export function exportCsv(db: Queryable, range: ExportRange, options: { bom?: boolean; chunkRows?: number } = {}): Readable {
  const chunkRows = options.chunkRows ?? EXPORT_CHUNK_ROWS;
  const fetchAfter = (after: ExportPosition | undefined) => {
    const pending = exportChunk(db, range, after, chunkRows);
    // Handled here too, for when the client leaves and the prefetched chunk is never awaited.
    pending.catch(() => undefined);
    return pending;
  };
  async function* lines(): AsyncGenerator<string | Buffer> {
    yield options.bom ? BYTE_ORDER_MARK + HEADER_LINE : HEADER_LINE;
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
export interface ExportFileName {
  /** Only letters a-z, digits, '-' and '_': safe in any header and any file system. */
  ascii: string;
  /** The same with the gate's own letters (Süd stays süd); equal to `ascii` when the gate is ASCII. */
  unicode: string;
}

const MAX_GATE_SLUG = 40;

/** Lower case, runs of anything but letters and digits (of `letters`) as one '-', none at the ends. */
function slug(text: string, letters: RegExp): string {
  return text
    .toLowerCase()
    .replace(letters, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MAX_GATE_SLUG)
    .replace(/-+$/, '');
}

export function exportFileName(range: ExportRange): ExportFileName {
  const days = range.from === range.to ? range.from : `${range.from}_to_${range.to}`;
  const name = (gateSlug: string | undefined) =>
    `barona-checkins-${days}${gateSlug === undefined ? '' : gateSlug === '' ? '-gate' : `-gate-${gateSlug}`}.csv`;
  if (range.gate === undefined) return { ascii: name(undefined), unicode: name(undefined) };
  const unicodeSlug = slug(range.gate.normalize('NFC'), /[^\p{L}\p{N}]+/gu);
  const asciiSlug = slug(personFoldLetters(range.gate), /[^a-z0-9]+/g);
  return { ascii: name(asciiSlug), unicode: name(unicodeSlug === '' ? asciiSlug : unicodeSlug) };
}

/** The gate's letters transliterated like person_fold does (Żółć → zolc), spaces and punctuation kept. */
function personFoldLetters(text: string): string {
  return text
    .split(/([^\p{L}\p{N}]+)/u)
    .map((part, i) => (i % 2 === 0 ? personFold(part) : part))
    .join('');
}
