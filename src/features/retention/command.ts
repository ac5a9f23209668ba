// `barona prune [--dry-run]`: the retention prune (./retention-service.ts) by hand, acting as the
// system, with what it removes. It takes the same lock and keeps today's retention_runs row as the
// scheduled run does, and leaves its audit record.
import type { Config } from '../../config.js';
import { openDatabase } from '../../db/database.js';
import { systemActor } from '../../domain/actor.js';
import { serviceDeps } from '../../services.js';
import { RetentionService, retentionDaysOf } from './retention-service.js';

export async function runPrune(config: Config, dryRun: boolean): Promise<number> {
  const days = retentionDaysOf(config); // before opening: a missing DATA_DIR would be created
  const db = await openDatabase(config.database, { timezone: config.timezone, requestTimeouts: false, direct: true });
  try {
    const retention = new RetentionService(serviceDeps(db, config));
    const actor = systemActor('barona prune');
    const plan = await retention.plan(actor);
    const range = plan.firstDay ? ` (days ${plan.firstDay} to ${plan.lastDay})` : '';
    console.log(`retention: ${days} days in ${config.timezone}; check-ins before ${plan.cutoff} go`);
    if (dryRun) {
      console.log(`would delete     ${plan.checkins} check-ins${range}`);
      console.log(`would delete     ${plan.idempotencyKeys} idempotency keys`);
      console.log(`would anonymise  ${plan.auditEntries} audit entries (names replaced, who did what kept)`);
      console.log('dry run: nothing was changed');
      return 0;
    }
    const run = await retention.prune(actor);
    if (!run.ran) throw new Error('another prune is running now (it holds the retention lock); nothing was changed, try again later');
    console.log(`deleted     ${run.counts.checkins} check-ins${range}`);
    console.log(`deleted     ${run.counts.idempotencyKeys} idempotency keys`);
    console.log(`anonymised  ${run.counts.auditEntries} audit entries`);
    return 0;
  } finally {
    await db.close();
  }
}
