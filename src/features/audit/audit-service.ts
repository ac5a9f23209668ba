// Reading the audit log. Records are written only by domain/changes.ts, inside the change they record.
import { type Actor, authorize } from '../../domain/actor.js';
import { DomainError } from '../../domain/domain-error.js';
import { decodePosition, encodeBeforeCursor, fingerprint } from '../../domain/keyset-cursor.js';
import type { ServiceDeps } from '../../services.js';
import { type AuditEntry, listAudit } from './audit-log.js';

const LOG_PRINT = fingerprint({ list: 'audit' });

export class AuditService {
  constructor(private readonly deps: ServiceDeps) {}

  /** The whole log, newest first (owners and managers). */
  async list(actor: Actor, query: { before?: number; limit: number }): Promise<AuditEntry[]> {
    authorize(actor, 'audit:read');
    return listAudit(this.deps.db, this.deps.config.timezone, query);
  }

  /** One page of the log, newest first, for the API: `cursor` continues where the previous page ended. */
  async page(actor: Actor, query: { limit: number; cursor?: string }): Promise<{ items: AuditEntry[]; nextCursor: string | null }> {
    authorize(actor, 'audit:read');
    const position = decodePosition(query.cursor, LOG_PRINT);
    if (position !== undefined && !('before' in position)) throw DomainError.invalid('cursor', 'is not a cursor issued by this API');
    const rows = await listAudit(this.deps.db, this.deps.config.timezone, { before: position?.before, limit: query.limit + 1 });
    const items = rows.slice(0, query.limit);
    return { items, nextCursor: rows.length > query.limit ? encodeBeforeCursor(items[items.length - 1]!.id, LOG_PRINT) : null };
  }
}
