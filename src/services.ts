// Every feature's service, made once per process: the only door through which routes, commands and
// plugins read or change anything. A service method takes the acting Actor first, checks its role
// (domain/actor.ts), validates, and makes each change through domain/changes.ts (one transaction with
// its audit record, announced after commit). Routes are given these services, never the database.
import type { StaffService } from './features/staff/staff-service.js';
import type { GroupService } from './features/groups/group-service.js';
import type { TokenService } from './features/tokens/token-service.js';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import { type Announcer, Changes } from './domain/changes.js';
import type { AuditService } from './features/audit/audit-service.js';
import type { GateService } from './features/gates/gate-service.js';
import type { RetentionService } from './features/retention/retention-service.js';
import type { CheckinService } from './features/checkins/checkin-service.js';
import type { KioskService } from './features/kiosk/kiosk-service.js';
import type { PersonService } from './features/people/person-service.js';
import type { WebhookService } from './features/webhooks/webhook-service.js';
import type { MailService } from './features/mail/mail-service.js';

/** What every service is made from. */
export interface ServiceDeps {
  db: Database;
  changes: Changes;
  config: Config;
}

export interface Services {
  checkins: CheckinService;
  people: PersonService;
  groups: GroupService;
  gates: GateService;
  kiosk: KioskService;
  staff: StaffService;
  tokens: TokenService;
  audit: AuditService;
  retention: RetentionService;
  webhooks: WebhookService;
  mail: MailService;
}

export function serviceDeps(db: Database, config: Config, announcer?: Announcer): ServiceDeps {
  return { db, config, changes: new Changes(db, announcer) };
}
