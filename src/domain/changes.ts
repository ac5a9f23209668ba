// The one door of every change. A service method that changes anything does it inside
// `changes.run(actor, async (change) => …)`: one transaction, in which the work writes through
// `change.tx` and leaves its audit record with `change.audit(…)` (the only way to write one), and which
// announces what changed (`change.announce(…)`) only once it has committed. A change therefore never
// lands without its audit record, nor a record without its change, and nobody hears of a change that
// was rolled back. A change that other systems are told of emits an event (`change.emit(type, data)`):
// its outbox rows (features/webhooks) are written in the same transaction, so an event is delivered if
// and only if its change committed.
import type { Database, Queryable } from '../db/database.js';
import { insertAuditRecord, insertAuditRecords } from '../features/audit/audit-log.js';
import type { EventType } from '../features/webhooks/webhook-events.js';
import { enqueueEvent } from '../features/webhooks/webhook-repository.js';
import type { Actor } from './actor.js';

export interface AuditRecord {
  action: string;
  entity: string;
  entityId: string | number;
  before?: unknown;
  after?: unknown;
}

/** What a committed change tells the rest of the process (and, through it, other replicas). */
export type Announcement = 'attendance';

export interface Announcer {
  announce(what: Announcement): void;
}

/** Nobody listens (commands run outside the server). */
export const NO_ANNOUNCER: Announcer = { announce() {} };

export interface Change {
  readonly actor: Actor;
  /** The change's transaction. */
  readonly tx: Queryable;
  /** Writes an audit record, by this change's actor, in this change's transaction. */
  audit(record: AuditRecord): Promise<void>;
  /** Many records at once (an import), in one statement, in the order given. */
  auditAll(records: readonly AuditRecord[]): Promise<void>;
  /** Announced once the transaction has committed (each announcement once, however often asked). */
  announce(what: Announcement): void;
  /**
   * Emits an event to the endpoints subscribed to it, in this change's transaction (the outbox); one
   * cheap statement when nobody subscribed. `data` is the payload's `data` member.
   */
  emit(type: EventType, data: Record<string, unknown>): Promise<void>;
}

export class Changes {
  constructor(
    private readonly db: Database,
    private readonly announcer: Announcer = NO_ANNOUNCER,
  ) {}

  async run<T>(actor: Actor, work: (change: Change) => Promise<T>): Promise<T> {
    const announcements = new Set<Announcement>();
    const result = await this.db.transaction((tx) =>
      work({
        actor,
        tx,
        audit: (record) => insertAuditRecord(tx, actor, record),
        auditAll: (records) => insertAuditRecords(tx, actor, records),
        announce: (what) => void announcements.add(what),
        emit: (type, data) => enqueueEvent(tx, type, data),
      }),
    );
    for (const what of announcements) this.announcer.announce(what);
    return result;
  }
}
