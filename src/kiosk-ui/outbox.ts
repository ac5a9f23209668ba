// The outbox: check-ins the server does not have yet. This is the code that must never lose a check-in.
//
// Each check-in gets its Idempotency-Key and the time it happened when the button is pressed and keeps
// both until the server has it, so it is counted exactly once however often it is sent. Items are kept
// in a TextStore (localStorage) as one JSON list and written before anything is shown. A round sends
// what waits, oldest first; a network failure ends the round (the rest waits for the next one, with a
// doubling delay); an answer the server will never accept (token refused, badge unknown, a bad body) does
// not drop the item: it stays, held with the reason, until staff deliver it with a new token or download
// it for an admin. Only a delivered item ("done") or one the server has and deleted since ("gone") leaves.
import { readJson, writeJson, type TextStore } from './store.js';

export const OUTBOX_KEY = 'barona.kiosk.outbox';
export const RETRY_MIN_MS = 2000;
export const RETRY_MAX_MS = 60_000;

/** What POST /api/v1/checkins is sent: who (names, a badge or a person id), where, which way, when. */
export interface CheckinBody {
  firstname?: string;
  lastname?: string;
  badge?: string;
  personId?: number;
  gate: string;
  direction: 'in' | 'out';
  occurredAt: string;
}

/** Why the server will not take an item (it stays kept on the tablet). */
export interface Held {
  status: number;
  reason: string;
  since: string;
  /** The badge is unknown: a new token would not help. */
  badge: boolean;
}

export interface OutboxItem {
  key: string;
  /** When it was kept (ISO 8601). */
  at: string;
  /** Who it is, in words (never a badge code): the typed or listed name, or the roster's name of a badge. */
  label: string;
  body: CheckinBody;
  held?: Held;
  exported?: boolean;
}

/** The server's answer to a check-in: an entry, or problem details. */
export interface Answer {
  id?: number;
  firstname?: string;
  lastname?: string;
  occurredAt?: string;
  login?: string;
  duplicate?: boolean;
  arrivalMissing?: boolean;
  detail?: string;
  errors?: { field: string; message?: string }[];
}

export type DeliveryKind = 'done' | 'refused' | 'invalid' | 'gone' | 'retry';

export interface Delivery {
  kind: DeliveryKind;
  /** The HTTP status; 0 when no answer came (network down, timed out). */
  status: number;
  body: Answer;
}

/** What a status means for an item: delivered, refused for good, already gone, or worth another try. */
export function deliveryKind(status: number): DeliveryKind {
  if (status >= 200 && status < 300) return 'done';
  if (status === 401 || status === 403) return 'refused';
  // 409: it was delivered before and an admin has deleted the entry since; nothing left to send.
  if (status === 409) return 'gone';
  if (status === 0 || status === 408 || status === 429 || status >= 500) return 'retry';
  return 'invalid';
}

/** A 404 naming the badge: nobody has this code (never issued, or reissued since). */
export function unknownBadge(result: Delivery): boolean {
  return result.status === 404 && (result.body.errors ?? []).some((error) => error.field === 'badge');
}

/** Why the server will not take a check-in, in words for gate staff. */
export function refusal(result: Delivery): string {
  if (result.status === 401) return "The server no longer accepts this kiosk's gate token (revoked, expired or unknown).";
  if (unknownBadge(result)) return 'Badge not recognised (never issued, or replaced by a newer badge).';
  return result.body.detail ?? `The server answered ${result.status}.`;
}

/** `item` held back with the reason of `result`. */
export function hold(item: OutboxItem, result: Delivery, now = new Date()): OutboxItem {
  return {
    ...item,
    held: { status: result.status, reason: refusal(result), since: now.toISOString(), badge: unknownBadge(result) },
  };
}

/** The kept items, read from the store on every call (another tab or a reload sees the same list). */
export class Outbox {
  constructor(
    private readonly store: TextStore,
    private readonly key = OUTBOX_KEY,
  ) {}

  items(): OutboxItem[] {
    const items = readJson<unknown>(this.store, this.key, []);
    return Array.isArray(items) ? (items as OutboxItem[]) : [];
  }
  waiting(): OutboxItem[] {
    return this.items().filter((item) => !item.held);
  }
  held(): OutboxItem[] {
    return this.items().filter((item) => item.held);
  }
  has(key: string): boolean {
    return this.items().some((item) => item.key === key);
  }

  /** Keeps `item` (replacing one with its key). Throws when the store cannot take it: the caller must say so. */
  keep(item: OutboxItem): void {
    this.write([...this.items().filter((other) => other.key !== item.key), item]);
  }
  change(key: string, update: (item: OutboxItem) => OutboxItem): void {
    this.write(this.items().map((item) => (item.key === key ? update(item) : item)));
  }
  remove(key: string): void {
    this.write(this.items().filter((item) => item.key !== key));
  }

  /** Items held for a refused token (401, 403) wait again: a new token may deliver them. */
  releaseRefused(): void {
    this.write(this.items().map(({ held, ...item }) => (held && (held.status === 401 || held.status === 403) ? item : { ...item, held })));
  }

  markExported(keys: ReadonlySet<string>): void {
    this.write(this.items().map((item) => (keys.has(item.key) ? { ...item, exported: true } : item)));
  }

  /** Removes the items downloaded for an admin; answers how many. */
  removeExported(): number {
    const items = this.items();
    const left = items.filter((item) => !item.exported);
    this.write(left);
    return items.length - left.length;
  }

  private write(items: OutboxItem[]): void {
    // undefined members (a released item's `held`) are left out by JSON.stringify.
    writeJson(this.store, this.key, items);
  }
}

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface CourierOptions {
  outbox: Outbox;
  /** One delivery attempt of an item. */
  send(item: OutboxItem): Promise<Delivery>;
  /** False when the browser knows it is offline (no attempt is made). */
  online(): boolean;
  /** An item reached the server (called before it leaves the outbox). */
  delivered?(item: OutboxItem, entry: Answer): void;
  /** A round ended (render the counts). */
  settled?(): void;
  timers?: Timers;
}

/**
 * Sends the outbox: one round at a time, retried in the background while items wait, backing off from
 * RETRY_MIN_MS to RETRY_MAX_MS while the network is down.
 */
export class Courier {
  private flushing = false;
  private timer: unknown;
  private delay = RETRY_MIN_MS;
  private readonly timers: Timers;

  constructor(private readonly options: CourierOptions) {
    this.timers = options.timers ?? {
      setTimeout: (callback, ms) => setTimeout(callback, ms),
      clearTimeout: (handle) => clearTimeout(handle as number),
    };
  }

  get busy(): boolean {
    return this.flushing;
  }
  /** How long the next retry waits. */
  get retryDelay(): number {
    return this.delay;
  }

  /** The network is back: the next round starts from the shortest delay. */
  resetBackoff(): void {
    this.delay = RETRY_MIN_MS;
  }

  /** A round soon (after the current delay), unless one is running (it schedules its own successor). */
  schedule(): void {
    if (this.flushing) return;
    this.timers.clearTimeout(this.timer);
    this.timer = this.timers.setTimeout(() => void this.flush(), this.delay);
  }

  /** Sends what waits in the outbox (and, when asked, what was held back), oldest first. */
  async flush({ includeHeld = false } = {}): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    this.timers.clearTimeout(this.timer);
    const { outbox } = this.options;
    let networkDown = false;
    try {
      for (const item of outbox.items().filter((one) => includeHeld || !one.held)) {
        // Undone while this round ran: not sent.
        if (!outbox.has(item.key)) continue;
        if (!this.options.online()) {
          networkDown = true;
          break;
        }
        const result = await this.options.send(item);
        if (result.kind === 'retry') {
          networkDown = true;
          break;
        }
        if (result.kind === 'done') this.options.delivered?.(item, result.body);
        if (result.kind === 'done' || result.kind === 'gone') outbox.remove(item.key);
        // Undone while it was being sent: not kept (a delivered one was taken back through `delivered`).
        else if (outbox.has(item.key)) outbox.change(item.key, (current) => hold(current, result));
      }
    } finally {
      this.flushing = false;
      if (!networkDown) this.delay = RETRY_MIN_MS;
      // Still waiting: the network is down (back off), or check-ins were queued while this round ran.
      if (outbox.waiting().length > 0) {
        this.timer = this.timers.setTimeout(() => void this.flush(), this.delay);
        if (networkDown) this.delay = Math.min(this.delay * 2, RETRY_MAX_MS);
      }
      this.options.settled?.();
    }
  }
}
