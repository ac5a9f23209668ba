// The seed's attendance sheet of one day, sent as a stream of ready JSON pieces. PostgreSQL still builds
// the JSON (same bytes as json_agg), but in pieces of at most a few hundred entries instead of one value:
// a 10,000-entry day is one 1.2 MB value otherwise, which node-postgres collects in a growing buffer,
// decodes to one large string, and the HTTP layer encodes back into another large buffer. Pieces of
// at most ~60 kB stay out of those large allocations; measured in docs/PERFORMANCE.md ("Day view").
// A piece is the entries whose ids share id / ENTRY_IDS_PER_PIECE: grouping by an expression of the id
// costs PostgreSQL what one json_agg costs, where numbering the rows with a window function to cut
// equal pieces cost ~20 % more (pgbench, 10,000 entries: 77 vs 64 statements/s).
import { Readable } from 'node:stream';
import type { Queryable } from '../db/database.js';
import { ON_DAY } from './checkin-repository.js';

const ENTRY_IDS_PER_PIECE = 512;
/** Up to this size a sheet is sent as one buffer. */
const SINGLE_WRITE_BYTES = 64 * 1024;

export interface DaySheet {
  /** Content-Length of the whole JSON array. */
  byteLength: number;
  /** One buffer for a small day, else a stream of one buffer per piece. */
  body: Buffer | Readable;
}

/** Live (not soft-deleted) entries whose login falls on local day `day` ('YYYY-MM-DD'), by id, as the seed's JSON array. */
export async function daySheet(db: Queryable, day: string): Promise<DaySheet> {
  const { rows } = await db.query<{ piece: string }>(
    `SELECT string_agg(json_build_object('id', id, 'login', login, 'lastname', lastname, 'firstname', firstname, 'gate', gate)::text,
                       ', ' ORDER BY id) AS piece
       FROM checkins WHERE ${ON_DAY} AND deleted_at IS NULL
      GROUP BY id / ${ENTRY_IDS_PER_PIECE}
      ORDER BY id / ${ENTRY_IDS_PER_PIECE}`,
    [day],
  );
  // json_agg separates entries with ", "; the pieces are joined the same way, so the bytes are identical.
  // Each piece (with its separator or bracket) is one chunk, so one write per piece, and a small day
  // is one buffer sent in one write.
  const last = rows.length - 1;
  const chunks =
    rows.length === 0
      ? [Buffer.from('[]')]
      : rows.map((row, index) => Buffer.from(`${index === 0 ? '[' : ', '}${row.piece}${index === last ? ']' : ''}`, 'utf8'));
  const byteLength = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  // A small day goes out as one buffer in one write, whatever its pieces.
  if (chunks.length === 1 || byteLength <= SINGLE_WRITE_BYTES) return { byteLength, body: Buffer.concat(chunks, byteLength) };
  return { byteLength, body: Readable.from(chunks, { objectMode: false }) };
}
