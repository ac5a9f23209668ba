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
//
// DaySheets keeps recently built sheets in memory, each under the ETag it was built with, and answers a
// read from memory only after asking the database for the day's ETag now: the same check that answers
// 304, so a replica never serves a sheet another replica, a migration or plain SQL has changed since. The
// check reads the day's rows without turning them into JSON (3–5× cheaper for PostgreSQL than building
// the sheet, and no decoding in Node), so repeated reads of an unchanged day cost one small query.
import { Readable } from 'node:stream';
import type { Queryable } from '../../db/database.js';
import type { AttendanceDays } from '../../domain/attendance-day.js';

const ENTRY_IDS_PER_PIECE = 512;
/** Up to this size a sheet is sent as one buffer. */
const SINGLE_WRITE_BYTES = 64 * 1024;
/** DaySheets keeps at most this many bytes of sheets, and no single sheet above a quarter of it. */
const CACHE_BYTES = 16 * 1024 * 1024;
/** ... and at most this many days. */
const CACHE_DAYS = 64;

/** The day's [start, end) instants are $1 and $2 (the seed's days: calendar days in APP_TIMEZONE). */
const ON_DAY_LIVE = `c.login >= $1::timestamptz AND c.login < $2::timestamptz AND c.deleted_at IS NULL`;

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

/**
 * The validator itself, written out: the day, the number of live entries, the highest id and the XOR of
 * the row versions (hashing it would only cost each read a digest; an ETag is opaque to clients anyway).
 */
function etagOf(day: string, version: Version | undefined): string {
  const xor = version?.versions ?? 0;
  // The XOR is a signed 64-bit number: written without its sign, with n for negative.
  const versions =
    typeof xor === 'number' && xor < 0 ? `n${-xor}` : typeof xor === 'string' && xor.startsWith('-') ? `n${xor.slice(1)}` : String(xor);
  return `"${day.replaceAll('-', '')}-${version?.entries ?? 0}-${version?.last_id ?? 0}-${versions}"`;
}

/** The ETag the sheet of `day` has now, without building it. */
async function daySheetEtag(db: Queryable, days: AttendanceDays, day: string): Promise<string> {
  const { start, end } = days.bounds(day);
  const { rows } = await db.query<Version>(
    `SELECT count(*) AS entries, max(c.id) AS last_id, bit_xor(hashint8extended(c.id, c.xmin::text::bigint)) AS versions FROM checkins c WHERE ${ON_DAY_LIVE}`,
    [start, end],
    // Every read of a kept sheet runs it: parsed and planned once per connection.
    { prepared: 'barona_day_sheet_etag' },
  );
  return etagOf(day, rows[0]);
}

/** True when an If-None-Match header names `etag` (or is `*`); weak comparison, as RFC 9110 asks for GET. */
function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag);
}

/**
 * Live (not soft-deleted) entries whose login falls on day `day` ('YYYY-MM-DD') of `days`, by id, as the
 * seed's JSON array (login written in APP_TIMEZONE, whatever the session's time zone).
 */
export async function daySheet(db: Queryable, days: AttendanceDays, day: string): Promise<DaySheet> {
  const { chunks, byteLength, etag } = await daySheetPieces(db, days, day);
  if (chunks.length === 1 || byteLength <= SINGLE_WRITE_BYTES) return { byteLength, body: Buffer.concat(chunks, byteLength), etag };
  return { byteLength, body: Readable.from(chunks, { objectMode: false }), etag };
}

/** The sheet as one buffer per piece (with its separator or bracket), and its ETag. */
async function daySheetPieces(
  db: Queryable,
  days: AttendanceDays,
  day: string,
): Promise<{ chunks: Buffer[]; byteLength: number; etag: string }> {
  const bounds = days.bounds(day);
  // The version is computed over the same rows in the same statement, so it describes exactly this body.
  // login is written as text in APP_TIMEZONE: row_to_json quotes it, the bytes a timestamptz would give.
  const { rows } = await db.query<{ piece: string } & Version>(
    `SELECT string_agg(row_to_json(e)::text, ',' ORDER BY c.id) AS piece,
            sum(count(*)) OVER () AS entries, max(max(c.id)) OVER () AS last_id,
            bit_xor(bit_xor(hashint8extended(c.id, c.xmin::text::bigint))) OVER () AS versions
       FROM checkins c CROSS JOIN LATERAL (SELECT c.id, ${days.isoSql('c.login', bounds)} AS login, c.lastname, c.firstname, c.gate) AS e
      WHERE ${ON_DAY_LIVE}
      GROUP BY c.id / ${ENTRY_IDS_PER_PIECE}
      ORDER BY c.id / ${ENTRY_IDS_PER_PIECE}`,
    [bounds.start, bounds.end],
  );
  const etag = etagOf(day, rows[0]);
  // Each piece (with its separator or bracket) is one chunk, so one write per piece, and a small day
  // is one buffer sent in one write.
  const last = rows.length - 1;
  const chunks =
    rows.length === 0
      ? [Buffer.from('[]')]
      : rows.map((row, index) => Buffer.from(`${index === 0 ? '[' : ','}${row.piece}${index === last ? ']' : ''}`, 'utf8'));
  return { chunks, byteLength: chunks.reduce((sum, chunk) => sum + chunk.length, 0), etag };
}

/** How a read was answered: 304, the kept bytes (after the ETag check), or a sheet built now. */
export type DaySheetAnswer = 'not_modified' | 'kept' | 'built';

export type DaySheetRead =
  { answer: 'not_modified'; etag: string; sheet?: undefined } | { answer: 'kept' | 'built'; etag: string; sheet: DaySheet };

interface Kept {
  etag: string;
  body: Buffer;
}

/**
 * The day sheets of one process, kept by day under the ETag each was built with (least recently used
 * first out, bounded by CACHE_BYTES and CACHE_DAYS). A read of a day held here first asks the database
 * for the day's ETag: equal, the kept bytes are the answer; different, the sheet is built again. A day
 * not held is built at once (its ETag comes with it), so a day that changes between every read costs at
 * most one extra small query per build.
 */
export class DaySheets {
  private readonly kept = new Map<string, Kept>();
  private bytes = 0;

  constructor(
    private readonly db: Queryable,
    /** Which days: the seed's sheet keeps calendar days (AttendanceDays.calendar). */
    private readonly days: AttendanceDays,
    private readonly limits = { bytes: CACHE_BYTES, days: CACHE_DAYS },
  ) {}

  /**
   * The current sheet of `day`; `undefined` with the ETag when `ifNoneMatch` names the current one (the
   * caller answers 304). The ETag is asked for first whenever it can spare the build.
   */
  async read(day: string, ifNoneMatch?: string): Promise<DaySheetRead> {
    const held = this.kept.get(day);
    if (held || ifNoneMatch) {
      const etag = await daySheetEtag(this.db, this.days, day);
      if (matchesEtag(ifNoneMatch, etag)) return { answer: 'not_modified', etag };
      if (held && held.etag === etag) {
        // Most recently used goes last.
        this.kept.delete(day);
        this.kept.set(day, held);
        return { answer: 'kept', etag, sheet: { byteLength: held.body.length, body: held.body, etag } };
      }
    }
    this.forget(day);
    const { chunks, byteLength, etag } = await daySheetPieces(this.db, this.days, day);
    // A sheet above a quarter of the budget would push out everything else: it is streamed, not kept.
    if (byteLength > this.limits.bytes / 4)
      return { answer: 'built', etag, sheet: { byteLength, body: Readable.from(chunks, { objectMode: false }), etag } };
    const body = Buffer.concat(chunks, byteLength);
    this.keep(day, { etag, body });
    return { answer: 'built', etag, sheet: { byteLength, body, etag } };
  }

  /** Days and bytes held now. */
  stats(): { days: number; bytes: number } {
    return { days: this.kept.size, bytes: this.bytes };
  }

  private keep(day: string, sheet: Kept): void {
    // Another read of the same day may have kept its sheet while this one was being built.
    this.forget(day);
    this.kept.set(day, sheet);
    this.bytes += sheet.body.length;
    for (const [oldest] of this.kept) {
      if (this.bytes <= this.limits.bytes && this.kept.size <= this.limits.days) break;
      this.forget(oldest);
    }
  }

  private forget(day: string): void {
    const held = this.kept.get(day);
    if (!held) return;
    this.kept.delete(day);
    this.bytes -= held.body.length;
  }
}
