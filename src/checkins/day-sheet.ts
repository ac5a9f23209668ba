// The seed's attendance sheet of one day, sent as a stream of ready JSON pieces, with an ETag so a client
// that already holds the current sheet gets 304 Not Modified.
//
// PostgreSQL builds the JSON in the seed's compact form (row_to_json: `{"id":1,"login":…}`, entries
// separated by `,`; json_build_object would write `"id" : 1`, 15 % more bytes), in pieces of at most a
// few hundred entries instead of one value: a 10,000-entry day is one 1.2 MB value otherwise, which
// node-postgres collects in a growing buffer, decodes to one large string, and the HTTP layer encodes
// back into another large buffer. A piece is the entries whose ids share id / ENTRY_IDS_PER_PIECE:
// grouping by an expression of the id costs PostgreSQL what one json_agg costs, where numbering the rows
// with a window function to cut equal pieces cost ~20 % more.
//
// The ETag is derived from the day's rows themselves, in the database, so every replica computes the
// same one and none can answer from a stale memory: the number of live entries, the highest id, and the
// XOR of a 64-bit hash of each row's id and transaction id (xmin). An insert or a soft delete changes the
// set of rows; any UPDATE of a row (a correction, a move to another day, an undelete) gives it a new
// xmin, hence a new hash: the XOR changes unless 64-bit hashes collide. (VACUUM FREEZE may change xmin
// of old rows: that only makes one ETag miss, never a stale sheet.)
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Queryable } from '../db/database.js';

const ENTRY_IDS_PER_PIECE = 512;
/** Up to this size a sheet is sent as one buffer. */
const SINGLE_WRITE_BYTES = 64 * 1024;

const ON_DAY_LIVE = `c.login >= $1::date::timestamptz AND c.login < ($1::date + 1)::timestamptz AND c.deleted_at IS NULL`;

export interface DaySheet {
  /** Content-Length of the whole JSON array. */
  byteLength: number;
  /** One buffer for a small day, else a stream of one buffer per piece. */
  body: Buffer | Readable;
  /** Strong validator of this sheet (quoted, as sent in the ETag header). */
  etag: string;
}

interface Version {
  entries: string | number | null;
  last_id: string | number | null;
  versions: string | number | null;
}

function etagOf(day: string, version: Version | undefined): string {
  const text = `${day}:${version?.entries ?? 0}:${version?.last_id ?? ''}:${version?.versions ?? ''}`;
  return `"${createHash('sha1').update(text).digest('base64url').slice(0, 22)}"`;
}

/** The ETag the sheet of `day` has now, without building it. */
export async function daySheetEtag(db: Queryable, day: string): Promise<string> {
  const { rows } = await db.query<Version>(
    `SELECT count(*) AS entries, max(c.id) AS last_id, bit_xor(hashint8extended(c.id, c.xmin::text::bigint)) AS versions FROM checkins c WHERE ${ON_DAY_LIVE}`,
    [day],
  );
  return etagOf(day, rows[0]);
}

/** True when an If-None-Match header names `etag` (or is `*`); weak comparison, as RFC 9110 asks for GET. */
export function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag);
}

/** Live (not soft-deleted) entries whose login falls on local day `day` ('YYYY-MM-DD'), by id, as the seed's JSON array. */
export async function daySheet(db: Queryable, day: string): Promise<DaySheet> {
  // The version is computed over the same rows in the same statement, so it describes exactly this body.
  const { rows } = await db.query<{ piece: string } & Version>(
    `SELECT string_agg(row_to_json(e)::text, ',' ORDER BY c.id) AS piece,
            sum(count(*)) OVER () AS entries, max(max(c.id)) OVER () AS last_id,
            bit_xor(bit_xor(hashint8extended(c.id, c.xmin::text::bigint))) OVER () AS versions
       FROM checkins c CROSS JOIN LATERAL (SELECT c.id, c.login, c.lastname, c.firstname, c.gate) AS e
      WHERE ${ON_DAY_LIVE}
      GROUP BY c.id / ${ENTRY_IDS_PER_PIECE}
      ORDER BY c.id / ${ENTRY_IDS_PER_PIECE}`,
    [day],
  );
  const etag = etagOf(day, rows[0]);
  // Each piece (with its separator or bracket) is one chunk, so one write per piece, and a small day
  // is one buffer sent in one write.
  const last = rows.length - 1;
  const chunks =
    rows.length === 0
      ? [Buffer.from('[]')]
      : rows.map((row, index) => Buffer.from(`${index === 0 ? '[' : ','}${row.piece}${index === last ? ']' : ''}`, 'utf8'));
  const byteLength = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  if (chunks.length === 1 || byteLength <= SINGLE_WRITE_BYTES) return { byteLength, body: Buffer.concat(chunks, byteLength), etag };
  return { byteLength, body: Readable.from(chunks, { objectMode: false }), etag };
}
