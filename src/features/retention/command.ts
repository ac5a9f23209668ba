// `barona prune [--dry-run]`: the retention prune (./retention.ts) by hand, with what it removes.
import type { Config } from '../../config.js';
import { openDatabase } from '../../db/database.js';
import { planPrune, prune } from './retention.js';

export async function runPrune(config: Config, dryRun: boolean): Promise<number> {
  const days = config.retentionDays;
  if (days === undefined) {
    throw new Error('RETENTION_DAYS is not set, so nothing is pruned; set it to the number of days to keep check-ins');
  }
  const db = await openDatabase(config.database, { timezone: config.timezone, requestTimeouts: false });
  try {
    const plan = await planPrune(db, days);
    const range = plan.firstDay ? ` (days ${plan.firstDay} to ${plan.lastDay})` : '';
    console.log(`retention: ${days} days in ${config.timezone}; check-ins before ${plan.cutoff} go`);
    if (dryRun) {
      console.log(`would delete     ${plan.checkins} check-ins${range}`);
      console.log(`would delete     ${plan.idempotencyKeys} idempotency keys`);
      console.log(`would anonymise  ${plan.auditEntries} audit entries (names replaced, who did what kept)`);
      console.log('dry run: nothing was changed');
      return 0;
    }
    const counts = await prune(db, days);
    console.log(`deleted     ${counts.checkins} check-ins${range}`);
    console.log(`deleted     ${counts.idempotencyKeys} idempotency keys`);
    console.log(`anonymised  ${counts.auditEntries} audit entries`);
    return 0;
  } finally {
    await db.close();
  }
}
