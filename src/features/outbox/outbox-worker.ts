// The delivery worker of the outbox: started by the server (never by the one-shot commands), it claims
// due messages, hands each to the handler of its kind, and records every attempt. Features register a
// handler per kind: webhooks ('webhook') and e-mail ('mail', features/mail).
//
//  - Claiming is one short statement (FOR UPDATE SKIP LOCKED, outbox-repository.ts): no transaction is
//    held while a message is on its way, which matters on the embedded database's single connection.
//    Several replicas poll the same table; each message goes to one of them.
//  - At least once: a message stays pending until an attempt is recorded as delivered. A process that
//    dies between its commit and the delivery (or during it) leaves the row pending; the claim's lease
//    runs out and the next worker (another replica, or this one restarted) sends it. A message recorded
//    as delivered is never sent again.
//  - A failed attempt is retried after the handler's next delay; after the last one the message has
//    failed for good. Each attempt, and the handler's own bookkeeping, is one change (systemActor).
//  - Housekeeping, once an hour on every replica (the first round at start): done messages are forgotten
//    after `keepDays` (30), with their attempts and mail log rows; then each `housekeeping` task the
//    server gives (the mail feature's claims, mail-service.ts). Each deletes in bounded batches of short
//    statements; replicas doing it at once only find fewer rows.
import type { Queryable } from '../../db/database.js';
import { systemActor } from '../../domain/actor.js';
import type { Change, Changes } from '../../domain/changes.js';
import {
  type AttemptRecord,
  claimDue,
  finishMessage,
  insertAttempt,
  type OutboxMessage,
  pruneDone,
  retryLater,
} from './outbox-repository.js';

export type { OutboxMessage } from './outbox-repository.js';

/**
 * What one attempt came to: delivered, failed (retried later; `final`: refused for good, never retried,
 * e.g. a mail server's permanent 5xx), or cancelled (nothing to deliver to any more).
 */
export type AttemptOutcome = (AttemptRecord & { ok: boolean; final?: boolean }) | { cancelled: string };

export interface OutboxHandler {
  /** Waits before the 2nd, 3rd, … attempt, in seconds; after the last one a failing message is given up. */
  retryDelaysSeconds: readonly number[];
  /** Makes one attempt; `signal` aborts it at shutdown. Never throws for a failed delivery: answers it. */
  deliver(message: OutboxMessage, signal: AbortSignal): Promise<AttemptOutcome>;
  /** Bookkeeping in the change that records the attempt (e.g. an endpoint's failure streak). */
  settled?(change: Change, message: OutboxMessage, outcome: AttemptRecord): Promise<void>;
}

/** Bookkeeping forgotten with the outbox's own, once an hour: answers how many rows of what it deleted. */
export interface Housekeeping {
  /** Named in the log line. */
  what: string;
  run(): Promise<Record<string, number>>;
}

export interface WorkerLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export interface OutboxWorkerOptions {
  /** How often to look for due messages when idle (ms). */
  pollMs?: number;
  /** Messages claimed (and delivered concurrently) at once. */
  batchSize?: number;
  /** How long a claim holds a message; longer than any attempt can take. */
  leaseSeconds?: number;
  /** Done messages (and their delivery log) are forgotten after this many days. */
  keepDays?: number;
  /** More housekeeping run after the outbox's own, once an hour. */
  housekeeping?: readonly Housekeeping[];
  log?: WorkerLog;
}

const QUIET: WorkerLog = { info() {}, warn() {} };

export class OutboxWorker {
  private stopped = true;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private abort = new AbortController();
  private lastProblem = '';
  private lastPrune = 0;
  private readonly pollMs: number;
  private readonly batchSize: number;
  private readonly leaseSeconds: number;
  private readonly keepDays: number;
  private readonly housekeeping: readonly Housekeeping[];
  private readonly log: WorkerLog;

  constructor(
    private readonly db: Queryable,
    private readonly changes: Changes,
    private readonly handlers: Readonly<Record<string, OutboxHandler>>,
    options: OutboxWorkerOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 1_000;
    this.batchSize = options.batchSize ?? 10;
    this.leaseSeconds = options.leaseSeconds ?? 30;
    this.keepDays = options.keepDays ?? 30;
    this.housekeeping = options.housekeeping ?? [];
    this.log = options.log ?? QUIET;
  }

  start(): this {
    if (!this.stopped) return this;
    this.stopped = false;
    this.abort = new AbortController();
    this.schedule(0);
    return this;
  }

  /** Stops polling, aborts attempts under way (recorded as failed, so retried) and waits for them to settle. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.abort.abort(new Error('shutting down'));
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.round().finally(() => (this.running = undefined));
    }, delayMs);
  }

  /** One round: claim, deliver, record; then again at once when the batch was full, else after pollMs. */
  private async round(): Promise<void> {
    let next = this.pollMs;
    try {
      const claimed = await claimDue(this.db, Object.keys(this.handlers), this.batchSize, this.leaseSeconds);
      await Promise.all(claimed.map((message) => this.attempt(message)));
      if (claimed.length === this.batchSize) next = 0;
      if (Date.now() - this.lastPrune > 3_600_000) {
        this.lastPrune = Date.now();
        const pruned = await pruneDone(this.db, this.keepDays);
        if (pruned > 0) this.log.info({ pruned, keepDays: this.keepDays }, 'outbox: forgot messages done long ago');
        await this.housekeep();
      }
      this.lastProblem = '';
    } catch (error) {
      // The database is away or not migrated yet: said once, retried quietly.
      const reason = (error as Error).message;
      if (reason !== this.lastProblem) this.log.warn({ reason }, 'outbox: cannot look for messages to deliver; retrying');
      this.lastProblem = reason;
      next = Math.max(this.pollMs, 5_000);
    }
    this.schedule(next);
  }

  /** The housekeeping tasks, one after the other; one failing is said and tried again in an hour. */
  private async housekeep(): Promise<void> {
    for (const task of this.housekeeping) {
      if (this.stopped) return;
      try {
        const forgot = await task.run();
        if (Object.values(forgot).some((count) => count > 0)) this.log.info({ ...forgot }, `outbox housekeeping: forgot ${task.what}`);
      } catch (error) {
        this.log.warn({ reason: (error as Error).message }, `outbox housekeeping: could not forget ${task.what}; trying again in an hour`);
      }
    }
  }

  private async attempt(message: OutboxMessage): Promise<void> {
    const handler = this.handlers[message.kind]!;
    let outcome: AttemptOutcome;
    try {
      outcome = await handler.deliver(message, this.abort.signal);
    } catch (error) {
      outcome = { startedAt: new Date(), durationMs: 0, ok: false, status: null, error: (error as Error).message };
    }
    try {
      await this.changes.run(systemActor(`outbox (${message.kind})`), async (change) => {
        if ('cancelled' in outcome) return finishMessage(change.tx, message.id, 'cancelled');
        await insertAttempt(change.tx, message, outcome);
        if (outcome.ok) await finishMessage(change.tx, message.id, 'delivered');
        else if (outcome.final === true || message.attempt > handler.retryDelaysSeconds.length)
          await finishMessage(change.tx, message.id, 'failed');
        else await retryLater(change.tx, message, handler.retryDelaysSeconds[message.attempt - 1]!);
        await handler.settled?.(change, message, outcome);
      });
    } catch (error) {
      // Not recorded: the claim's lease runs out and the message is attempted again.
      this.log.warn({ outboxId: message.id, reason: (error as Error).message }, 'outbox: could not record an attempt');
    }
  }
}
