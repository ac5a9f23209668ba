// Reading the audit log. Records are written only by domain/changes.ts, inside the change they record.
import { type Actor, authorize, type Permission } from '../../domain/actor.js';
import type { ServiceDeps } from '../../services.js';
import { type AuditEntry, listAudit } from './audit-log.js';

/** Which right lets an actor read the history of one thing next to it (an entry's page shows its own). */
const HISTORY_READ: Record<string, Permission> = { checkin: 'attendance:read', person: 'people:read', group: 'groups:read' };

export class AuditService {
  constructor(private readonly deps: ServiceDeps) {}

  /** The whole log, newest first (owners and managers). */
  async list(actor: Actor, query: { before?: number; limit: number }): Promise<AuditEntry[]> {
    authorize(actor, 'audit:read');
    return listAudit(this.deps.db, query);
  }

  /** The changes of one thing, newest first, for whoever may read that thing. */
  async historyOf(actor: Actor, entity: 'checkin' | 'person' | 'group', entityId: number, limit = 50): Promise<AuditEntry[]> {
    authorize(actor, HISTORY_READ[entity] ?? 'audit:read');
    return listAudit(this.deps.db, { entity, entityId: String(entityId), limit });
  }
}
