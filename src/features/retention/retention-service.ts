// Retention of personal data (RETENTION_DAYS, off by default). Check-ins are names of people: those
// whose attendance day (DAY_STARTS_AT in APP_TIMEZONE) lies more than RETENTION_DAYS days before today
// are deleted, with the
// Idempotency-Keys that point at them; audit entries about check-ins keep who did what and when, but the
// names in their before/after records are replaced by a tombstone. Whole days go at once, so a day's
// sheet is never half there.
//
// The service runs it once a day (every replica looks every hour; the one that gets the lock and claims
// today's row in retention_runs does the work); `barona prune` runs it by hand through the same door.
// A prune is one change: the lock, today's retention_runs row, the deletions and one audit record of
// the run (counts and cut-off, never names) commit together or not at all, so a failed run leaves
// nothing half done and is simply run again within the hour. The rows it deletes are of days long past,
// which nobody writes, so on PostgreSQL the long transaction of a first prune holds up no check-in (the
// embedded database has one connection: requests wait until the prune is done).
//
// Pruning erases personal data: it needs 'people:erase' (the owner, and the system).
import type { Config } from '../../config.js';
import { type Actor, authorize, systemActor } from '../../domain/actor.js';
import { addDays, attendanceDays } from '../../domain/attendance-day.js';
import type { ServiceDeps } from '../../services.js';
import {
  claimRun,
  type Cutoff,
  finishRun,
  planPrune,
  type PruneCounts,
  type PrunePlan,
  pruneExpired,
  tryRetentionLock,
} from './retention-repository.js';

export type { PruneCounts, PrunePlan } from './retention-repository.js';

/** How often each replica looks whether today's prune has run. */
const CHECK_EVERY_MS = 60 * 60 * 1000;

export type PruneRun =
  { ran: false; reason: 'locked' | 'done today' } | { ran: true; retentionDays: number; day: string; cutoff: string; counts: PruneCounts };

export interface RetentionLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

/** RETENTION_DAYS; a prune without it is refused (nothing would say how much to keep). */
export function retentionDaysOf(config: Pick<Config, 'retentionDays'>): number {
  const days = config.retentionDays;
  if (days === undefined) {
    throw new Error('RETENTION_DAYS is not set, so nothing is pruned; set it to the number of days to keep check-ins');
  }
  return days;
}

export class RetentionService {
  constructor(private readonly deps: ServiceDeps) {}

  get retentionDays(): number {
    return retentionDaysOf(this.deps.config);
  }

  /** Today's attendance day, and the start of the oldest attendance day that is kept. */
  private cutoff(): Cutoff {
    const days = attendanceDays(this.deps.config);
    const today = days.today();
    return { today, at: days.bounds(addDays(today, -this.retentionDays)).start };
  }

  /** What a prune would remove now; changes nothing. */
  async plan(actor: Actor): Promise<PrunePlan> {
    authorize(actor, 'people:erase');
    return planPrune(this.deps.db, attendanceDays(this.deps.config), this.cutoff());
  }

  /**
   * Prunes now, unless another prune holds the lock. `daily`: the scheduled run, which does nothing
   * when today's has run already; by hand, a prune always runs and adds its counts to today's row.
   */
  async prune(actor: Actor, options: { daily?: boolean } = {}): Promise<PruneRun> {
    authorize(actor, 'people:erase');
    const retentionDays = this.retentionDays;
    const cutoff = this.cutoff();
    return this.deps.changes.run(actor, async (change): Promise<PruneRun> => {
      if (!(await tryRetentionLock(change.tx))) return { ran: false, reason: 'locked' };
      const claimed = await claimRun(change.tx, attendanceDays(this.deps.config), retentionDays, cutoff, !options.daily);
      if (!claimed) return { ran: false, reason: 'done today' };
      const counts = await pruneExpired(change.tx, cutoff);
      await finishRun(change.tx, claimed.day, counts);
      await change.audit({
        action: 'prune',
        entity: 'retention',
        entityId: claimed.day,
        after: {
          retentionDays,
          cutoff: claimed.cutoff,
          checkinsDeleted: counts.checkins,
          idempotencyKeysDeleted: counts.idempotencyKeys,
          auditEntriesAnonymised: counts.auditEntries,
        },
      });
      if (counts.checkins > 0) change.announce('attendance');
      return { ran: true, retentionDays, day: claimed.day, cutoff: claimed.cutoff, counts };
    });
  }

  /** The daily prune in the service: looks now and every hour; returns a function that stops it. */
  schedule(log: RetentionLog): () => void {
    const actor = systemActor('retention schedule');
    let stopped = false;
    let running: Promise<void> | undefined;
    const check = () => {
      if (stopped || running) return;
      running = this.prune(actor, { daily: true })
        .then((run) => {
          if (run.ran) {
            log.info(
              {
                retentionDays: run.retentionDays,
                day: run.day,
                cutoff: run.cutoff,
                checkinsDeleted: run.counts.checkins,
                idempotencyKeysDeleted: run.counts.idempotencyKeys,
                auditEntriesAnonymised: run.counts.auditEntries,
              },
              'retention: pruned check-ins older than the retention period',
            );
          }
        })
        .catch((error: Error) => log.warn({ reason: error.message }, 'retention: prune failed; retrying within the hour'))
        .finally(() => (running = undefined));
    };
    const first = setTimeout(check, 1_000);
    const timer = setInterval(check, CHECK_EVERY_MS);
    first.unref();
    timer.unref();
    return () => {
      stopped = true;
      clearTimeout(first);
      clearInterval(timer);
    };
  }
}
