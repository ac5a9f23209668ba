// Group commit for check-in writes. Concurrent requests that arrive within a short window share one
// multi-row INSERT (one statement = one transaction = one WAL flush) instead of paying a commit each.
// A request's promise settles only after the statement holding its row has committed (or failed).
//
//  - A batch is flushed when it reaches `maxRows`, or `windowMs` after its first row arrived.
//  - At most `maxInFlight` batches run at once (the connection pool size); rows arriving while all are
//    busy wait and go out together as soon as one finishes, so batches grow with load by themselves.
//  - When the database is unreachable the batch fails as a whole: exactly the requests in it get the
//    error. Any other error (a row the database refuses) is isolated by bisection: the batch is split
//    and retried until the offending row is alone, so only its request fails and its neighbours commit.
//  - `windowMs` 0 turns batching off: every row is its own INSERT, as the seed did.
import type { Queryable } from '../db/database.js';
import { isDatabaseUnavailable } from '../http-errors.js';
import { type CheckinEntry, type NewCheckin, insertCheckin } from './checkin-repository.js';
import { nameKey } from './person-name.js';

export interface CheckinWriterOptions {
  /** How long the first row of a batch waits for company, in milliseconds; 0 = no batching. */
  windowMs: number;
  /** Rows per INSERT at most. */
  maxRows: number;
  /** Batches in flight at once at most (the number of connections the writer may occupy). */
  maxInFlight: number;
}

export interface CheckinWriterStats {
  /** Multi-row statements sent, including the smaller ones sent while isolating a bad row. */
  statements: number;
  /** Rows committed. */
  rows: number;
  /** Batches that failed and were split to isolate a refused row. */
  isolations: number;
  /** Rows waiting for a batch right now. */
  queued: number;
  inFlight: number;
}

interface PendingRow {
  checkin: NewCheckin;
  /** performance.now() when the row was queued. */
  queuedAt: number;
  resolve: (checkin: CheckinEntry) => void;
  reject: (error: unknown) => void;
}

/**
 * Inserts many rows in one statement and returns them in input order. Ids are drawn from the table's
 * own identity sequence before the insert, so each returned row is matched to its input position by
 * id and ordinality, not by trusting the order of RETURNING (which SQL does not promise). Stores the
 * same columns as insertCheckin (name_key included).
 */
const INSERT_MANY = `
  WITH input AS MATERIALIZED (
    SELECT nextval((SELECT pg_get_serial_sequence('checkins', 'id'))::regclass) AS id, r.*
      FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[])
           WITH ORDINALITY AS r(firstname, lastname, gate, direction, name_key, occurred_at, ord)
  ), inserted AS (
    INSERT INTO checkins (id, firstname, lastname, gate, direction, name_key, login)
    SELECT id, firstname, lastname, gate, direction, name_key, coalesce(occurred_at, now()) FROM input ORDER BY ord
    RETURNING id, login, recorded_at, firstname, lastname, gate, direction
  )
  SELECT inserted.id, to_json(inserted.login) #>> '{}' AS "occurredAt", to_json(inserted.recorded_at) #>> '{}' AS "recordedAt",
         inserted.firstname, inserted.lastname, inserted.gate, inserted.direction
    FROM inserted JOIN input USING (id)
   ORDER BY input.ord`;

export async function insertCheckins(db: Queryable, checkins: readonly NewCheckin[]): Promise<CheckinEntry[]> {
  const { rows } = await db.query<CheckinEntry>(INSERT_MANY, [
    checkins.map((c) => c.firstname),
    checkins.map((c) => c.lastname),
    checkins.map((c) => c.gate),
    checkins.map((c) => c.direction ?? 'in'),
    checkins.map((c) => nameKey(c.firstname, c.lastname)),
    checkins.map((c) => c.occurredAt ?? null),
  ]);
  if (rows.length !== checkins.length) {
    // Cannot happen short of a trigger swallowing rows; refuse to guess which request got which row.
    throw new Error(`batch insert returned ${rows.length} rows for ${checkins.length} check-ins`);
  }
  return rows;
}

export class CheckinWriter {
  private queue: PendingRow[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight = 0;
  private readonly idle: (() => void)[] = [];
  private counters = { statements: 0, rows: 0, isolations: 0 };

  constructor(
    private readonly db: Queryable,
    private readonly options: CheckinWriterOptions,
  ) {
    if (!(options.maxRows >= 1 && options.maxInFlight >= 1 && options.windowMs >= 0)) {
      throw new RangeError('CheckinWriter: maxRows and maxInFlight must be >= 1 and windowMs >= 0');
    }
  }

  /** Stores one check-in; resolves with the stored row once it is committed. */
  write(checkin: NewCheckin): Promise<CheckinEntry> {
    if (this.options.windowMs === 0) return this.writeAlone(checkin);
    return new Promise<CheckinEntry>((resolve, reject) => {
      this.queue.push({ checkin, queuedAt: performance.now(), resolve, reject });
      if (this.queue.length >= this.options.maxRows) this.drain();
      else this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.drain();
      }, this.options.windowMs);
    });
  }

  stats(): CheckinWriterStats {
    return { ...this.counters, queued: this.queue.length, inFlight: this.inFlight };
  }

  /** Sends what is queued now and resolves once every batch has settled (for shutdown). */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.drain();
    while (this.inFlight > 0 || this.queue.length > 0) {
      await new Promise<void>((resolve) => this.idle.push(resolve));
      this.drain();
    }
  }

  private async writeAlone(checkin: NewCheckin): Promise<CheckinEntry> {
    this.counters.statements++;
    const row = await insertCheckin(this.db, checkin);
    this.counters.rows++;
    return row;
  }

  /** Starts batches while there are rows and free slots. */
  private drain(): void {
    while (this.queue.length > 0 && this.inFlight < this.options.maxInFlight) {
      const batch = this.queue.splice(0, this.options.maxRows);
      if (this.queue.length === 0 && this.timer) {
        clearTimeout(this.timer);
        this.timer = undefined;
      }
      this.inFlight++;
      void this.send(batch).finally(() => {
        this.inFlight--;
        // Rows left behind while every slot was busy go now if they fill a batch or their window is
        // over; rows still inside their window keep waiting for the timer.
        const oldest = this.queue[0];
        if (oldest && (this.queue.length >= this.options.maxRows || performance.now() - oldest.queuedAt >= this.options.windowMs)) {
          this.drain();
        }
        if (this.inFlight === 0) for (const wake of this.idle.splice(0)) wake();
      });
    }
  }

  private async send(batch: PendingRow[]): Promise<void> {
    try {
      await this.insertOrIsolate(batch);
    } catch (error) {
      // The database is unavailable: every request of this batch, and only those, fails.
      for (const row of batch) row.reject(error);
    }
  }

  /**
   * Inserts `batch`; when the database refuses it for a reason other than being unavailable, splits it
   * in halves and retries each, so a refused row ends up alone and fails only its own request.
   * Throws only for unavailability (the caller fails the whole batch).
   */
  private async insertOrIsolate(batch: PendingRow[]): Promise<void> {
    let stored: CheckinEntry[];
    try {
      this.counters.statements++;
      stored = await insertCheckins(
        this.db,
        batch.map((row) => row.checkin),
      );
    } catch (error) {
      if (isDatabaseUnavailable(error)) throw error;
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      this.counters.isolations++;
      const middle = Math.ceil(batch.length / 2);
      const [left, right] = [batch.slice(0, middle), batch.slice(middle)];
      // Settle each half separately: an outage during the right half must not fail the committed left.
      for (const half of [left, right]) {
        try {
          await this.insertOrIsolate(half);
        } catch (halfError) {
          for (const row of half) row.reject(halfError);
        }
      }
      return;
    }
    this.counters.rows += stored.length;
    batch.forEach((row, index) => row.resolve(stored[index]!));
  }
}
