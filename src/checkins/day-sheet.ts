// The seed's attendance sheet of one day, sent as a stream of ready JSON pieces. PostgreSQL still builds
// the JSON (same bytes as json_agg), but in pieces of a few hundred entries instead of one value: a
// 10,000-entry day is one 1.2 MB value otherwise, which node-postgres collects in a growing buffer,
// decodes to one large string, and the HTTP layer encodes back into another large buffer. Pieces of
// ~50 kB stay out of those large allocations; measured in docs/PERFORMANCE.md ("Day view").
import { Readable } from 'node:stream';
import type { Queryable } from '../db/database.js';
import { ON_DAY } from './checkin-repository.js';

const ENTRIES_PER_PIECE = 400;

export interface DaySheet {
  /** Content-Length of the whole JSON array. */
  byteLength: number;
  /** One buffer for a day of one piece, else a stream of one buffer per piece. */
  body: Buffer | Readable;
}

/** Live (not soft-deleted) entries whose login falls on local day `day` ('YYYY-MM-DD'), by id, as the seed's JSON array. */
export async function daySheet(db: Queryable, day: string): Promise<DaySheet> {
  const { rows } = await db.query<{ piece: string }>(
    `SELECT string_agg(entry, ', ' ORDER BY id) AS piece
       FROM (SELECT id,
                    json_build_object('id', id, 'login', login, 'lastname', lastname, 'firstname', firstname, 'gate', gate)::text AS entry,
                    (row_number() OVER (ORDER BY id) - 1) / ${ENTRIES_PER_PIECE} AS piece_no
               FROM checkins WHERE ${ON_DAY} AND deleted_at IS NULL) AS entries
      GROUP BY piece_no
      ORDER BY piece_no`,
    [day],
  );
  // json_agg separates entries with ", "; the pieces are joined the same way, so the bytes are identical.
  // Each piece (with its separator or bracket) is one chunk, so one write per piece, and a small day
  // is one buffer sent in one write.
  const last = rows.length - 1;
  const chunks = rows.length === 0 ? [Buffer.from('[]')] : rows.map((row, index) => Buffer.from(`${index === 0 ? '[' : ', '}${row.piece}${index === last ? ']' : ''}`, 'utf8'));
  const byteLength = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  return { byteLength, body: chunks.length === 1 ? chunks[0]! : Readable.from(chunks, { objectMode: false }) };
}
