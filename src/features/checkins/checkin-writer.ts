// Group commit for check-in writes, without a fixed wait. A write that finds a free slot goes at once
// (at the end of the current turn of the event loop, so requests parsed in the same turn share it); writes
// arriving while every slot is busy queue up and form the next batch as soon as one frees up, the way
// PostgreSQL groups commits that wait for one WAL flush. Nothing is added to a lone write's latency, and
// batches grow with the load by themselves. A batch is one multi-row INSERT, or one call of the
// record_checkins function when some request carries an Idempotency-Key or asks for duplicate detection
// (checkin-commit.ts). A request's promise settles only after the batch holding it has committed (or failed).
//
//  - At most `maxInFlight` batches run at once (a share of the connection pool); a batch holds at most
//    `maxRows` rows. `windowMs` > 0 adds the old fixed wait for company before an idle writer sends (off
//    by default); `maxRows` 1 turns batching off: every request is its own statement, sent at once.
//  - Two requests with the same Idempotency-Key, or the same person at the same gate under duplicate
//    detection, never share a batch nor run in two batches at once: the later one waits for the next
//    batch, which then sees the first one's committed row (checkin-commit.ts relies on this).
//  - When the database is unreachable the batch fails as a whole: exactly the requests in it get the
//    error. Any other error (a row the database refuses) is isolated by bisection: the batch is split
//    and retried until the offending row is alone, so only its request fails and its neighbours commit.
import { isDatabaseUnavailable } from '../../http/http-errors.js';
import type { Queryable } from '../../db/database.js';
import { type WriteChecks, type WriteOutcome, commitCheckins, conflictKeys } from './checkin-commit.js';
import type { NewCheckin } from './checkin-repository.js';

export interface CheckinWriterOptions {
  /** Extra wait for company before an idle writer sends, in milliseconds; 0 (the default) = none. */
  windowMs: number;
  /** Rows per INSERT at most; 1 = no batching. */
  maxRows: number;
  /** Batches in flight at once at most (the number of connections the writer may occupy). */
  maxInFlight: number;
}

export interface CheckinWriterStats {
  /** Batches sent (one statement each), including the smaller ones sent while isolating a bad row. */
  statements: number;
  /** New rows committed (duplicates and replays are answered without one). */
  rows: number;
  /** Batches that failed and were split to isolate a refused row. */
  isolations: number;
  /** Rows waiting for a batch right now. */
  queued: number;
  inFlight: number;
}

interface PendingRow {
  checkin: NewCheckin;
  checks: WriteChecks;
  /** Names of what this request must not share with another batch in flight (see conflictKeys). */
  conflicts: string[];
  /** performance.now() when the row was queued. */
  queuedAt: number;
  resolve: (outcome: WriteOutcome) => void;
  reject: (error: unknown) => void;
}

export class CheckinWriter {
  private queue: PendingRow[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** A drain is scheduled for the end of this turn of the event loop. */
  private immediate: NodeJS.Immediate | undefined;
  private inFlight = 0;
  /** Conflict names held by batches in flight. */
  private readonly busy = new Set<string>();
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

  /** Stores one check-in (or finds its duplicate or earlier answer); resolves once that is committed. */
  write(checkin: NewCheckin, checks: WriteChecks = {}): Promise<WriteOutcome> {
    return new Promise<WriteOutcome>((resolve, reject) => {
      const row: PendingRow = {
        checkin,
        checks,
        conflicts: conflictKeys({ checkin, checks }),
        queuedAt: performance.now(),
        resolve,
        reject,
      };
      if (this.options.maxRows === 1) {
        // Unbatched: no queue and no slot limit (the pool bounds it); record_checkins' locks and key
        // claims keep the checks exact between concurrent single-request batches.
        this.inFlight++;
        void this.send([row]).finally(() => this.settled());
        return;
      }
      this.queue.push(row);
      if (this.queue.length >= this.options.maxRows) this.drain();
      else if (this.inFlight >= this.options.maxInFlight)
        return; // goes with the next batch, when a slot frees up
      else if (this.options.windowMs > 0)
        this.timer ??= setTimeout(() => {
          this.timer = undefined;
          this.drain();
        }, this.options.windowMs);
      else
        this.immediate ??= setImmediate(() => {
          this.immediate = undefined;
          this.drain();
        });
    });
  }

  stats(): CheckinWriterStats {
    return { ...this.counters, queued: this.queue.length, inFlight: this.inFlight };
  }

  /** Sends what is queued now and resolves once every batch has settled (for shutdown). */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    this.drain();
    while (this.inFlight > 0 || this.queue.length > 0) {
      await new Promise<void>((resolve) => this.idle.push(resolve));
      this.drain();
    }
  }

  /** Takes up to maxRows queued rows, in arrival order, skipping rows that conflict with a busy one. */
  private takeBatch(): PendingRow[] {
    const { maxRows } = this.options;
    if (this.busy.size === 0 && this.queue.every((row) => row.conflicts.length === 0)) return this.queue.splice(0, maxRows);
    const batch: PendingRow[] = [];
    const left: PendingRow[] = [];
    for (const row of this.queue) {
      if (batch.length < maxRows && row.conflicts.every((name) => !this.busy.has(name))) {
        for (const name of row.conflicts) this.busy.add(name);
        batch.push(row);
      } else {
        left.push(row);
      }
    }
    this.queue = left;
    return batch;
  }

  /** Starts batches while there are rows that may go and free slots. */
  private drain(): void {
    while (this.queue.length > 0 && this.inFlight < this.options.maxInFlight) {
      const batch = this.takeBatch();
      if (batch.length === 0) break; // everything queued waits for a batch in flight
      if (this.queue.length === 0 && this.timer) {
        clearTimeout(this.timer);
        this.timer = undefined;
      }
      this.inFlight++;
      void this.send(batch).finally(() => {
        for (const row of batch) for (const name of row.conflicts) this.busy.delete(name);
        this.settled();
        // Rows that arrived while every slot was busy (or while a conflicting batch ran) form the next
        // batch now; with a fixed window, rows still inside it wait for the rest of it. (They were queued
        // without a timer, because no slot was free then: the timer is armed here, or they would wait
        // for the next request to arrive.)
        const oldest = this.queue[0];
        if (!oldest) return;
        const waited = performance.now() - oldest.queuedAt;
        if (this.options.windowMs === 0 || this.queue.length >= this.options.maxRows || waited >= this.options.windowMs) {
          this.drain();
        } else {
          this.timer ??= setTimeout(() => {
            this.timer = undefined;
            this.drain();
          }, this.options.windowMs - waited);
        }
      });
    }
  }

  private settled(): void {
    this.inFlight--;
    if (this.inFlight === 0) for (const wake of this.idle.splice(0)) wake();
  }

  private async send(batch: PendingRow[]): Promise<void> {
    try {
      await this.commitOrIsolate(batch);
    } catch (error) {
      // The database is unavailable: every request of this batch, and only those, fails.
      for (const row of batch) row.reject(error);
    }
  }

  /**
   * Commits `batch`; when the database refuses it for a reason other than being unavailable, splits it
   * in halves and retries each, so a refused row ends up alone and fails only its own request.
   * Throws only for unavailability (the caller fails the whole batch).
   */
  private async commitOrIsolate(batch: PendingRow[]): Promise<void> {
    let outcomes: (WriteOutcome | Error)[];
    try {
      this.counters.statements++;
      outcomes = await commitCheckins(this.db, batch);
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
          await this.commitOrIsolate(half);
        } catch (halfError) {
          for (const row of half) row.reject(halfError);
        }
      }
      return;
    }
    batch.forEach((row, index) => {
      const outcome = outcomes[index]!;
      if (outcome instanceof Error) return row.reject(outcome);
      if (!outcome.duplicate && !outcome.replayed) this.counters.rows++;
      row.resolve(outcome);
    });
  }
}
