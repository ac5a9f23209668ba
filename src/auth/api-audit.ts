// Audit records for corrections made through the API (PATCH/DELETE /api/v1/checkins/{id}; an admin
// session, or anyone under AUTH_MODE=open): the entry is read before the handler runs and again after a
// successful answer.
// (The admin pages write their audit records in the same transaction as the change instead.)
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../app.js';
import { findCheckin, type CheckinEntry } from '../checkins/checkin-repository.js';
import { recordAudit } from './audit-log.js';

const ITEM = '/api/v1/checkins/:id';
const ID = /^\d{1,15}$/;

declare module 'fastify' {
  interface FastifyRequest {
    auditBefore?: { id: number; entry: CheckinEntry };
  }
}

const pick = (entry: CheckinEntry) => ({
  firstname: entry.firstname,
  lastname: entry.lastname,
  gate: entry.gate,
  direction: entry.direction,
});

export function installApiAudit(app: FastifyInstance, context: AppContext): void {
  app.addHook('preHandler', async (request) => {
    if (request.method !== 'PATCH' && request.method !== 'DELETE') return;
    if (request.routeOptions.url !== ITEM) return;
    const raw = (request.params as { id?: string }).id ?? '';
    if (!ID.test(raw)) return;
    const id = Number(raw);
    const entry = await findCheckin(context.db, id);
    if (entry) request.auditBefore = { id, entry };
  });

  app.addHook('onResponse', async (request, reply) => {
    const before = request.auditBefore;
    if (!before || reply.statusCode < 200 || reply.statusCode >= 300) return;
    const actor = request.principal?.actor ?? 'anonymous (AUTH_MODE=open)';
    try {
      if (request.method === 'DELETE') {
        await recordAudit(context.db, { actor, action: 'delete', entity: 'checkin', entityId: before.id, before: before.entry });
      } else {
        const after = await findCheckin(context.db, before.id);
        await recordAudit(context.db, {
          actor,
          action: 'correct',
          entity: 'checkin',
          entityId: before.id,
          before: pick(before.entry),
          after: after ? pick(after) : null,
        });
      }
    } catch (error) {
      request.log.error({ err: error }, 'could not record the audit entry of an API correction');
    }
  });
}
