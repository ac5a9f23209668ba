// The audit log as /api/v1/audit answers it.
import { Type } from 'typebox';
import { SafeText } from '../../http/text-schema.js';

const Record = Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()]);

export const AuditEntrySchema = Type.Object({
  id: Type.Integer(),
  at: Type.String({ format: 'date-time' }),
  actor: Type.String({ description: 'Who made the change: a username, `token:<name>`, an operator or `system`.' }),
  actorRole: Type.Union([Type.String(), Type.Null()], {
    description: 'Their role then: owner, manager, leader, viewer, token, system, anonymous (null: recorded before roles existed).',
  }),
  action: Type.String(),
  entity: Type.String(),
  entityId: Type.String(),
  before: Record,
  after: Record,
});

export const AuditPageSchema = Type.Object({
  items: Type.Array(AuditEntrySchema),
  nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `cursor` for older changes; null on the last page.' }),
});

export const AuditQuerySchema = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 100, description: 'Changes per page.' }),
  cursor: Type.Optional(SafeText({ maxLength: 200, description: 'From the previous page’s nextCursor.' })),
});
