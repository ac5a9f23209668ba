// What GET /api/v1/tokens/current answers: who the caller is, as far as check-ins are concerned.
import { Type, type Static } from 'typebox';

export const CurrentCredentialSchema = Type.Object({
  kind: Type.Enum(['token', 'session', 'anonymous'], {
    description:
      '`token`: a gate token (Authorization: Bearer); `session`: a signed-in admin; `anonymous`: no credentials, accepted because the server runs with AUTH_MODE=open.',
  }),
  name: Type.Optional(Type.String({ description: 'The token’s name (kind `token`).' })),
  gate: Type.Optional(
    Type.String({ description: 'The gate the token is bound to; empty when it may check in at any gate (kind `token`).' }),
  ),
  scopes: Type.Optional(
    Type.Array(Type.Enum(['checkin', 'read']), { description: 'What the token may do: `checkin` (record), `read` (attendance data).' }),
  ),
  expiresAt: Type.Optional(
    Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description: 'When the token stops working; null: never (kind `token`).',
    }),
  ),
  username: Type.Optional(Type.String({ description: 'The signed-in admin (kind `session`).' })),
});
export type CurrentCredential = Static<typeof CurrentCredentialSchema>;

const TokenScopeSchema = Type.Enum(['checkin', 'read'], { description: '`checkin`: record check-ins; `read`: read attendance data.' });

export const GateTokenSchema = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  gate: Type.String({ description: 'The gate the token is bound to; empty: any gate.' }),
  scopes: Type.Array(TokenScopeSchema),
  tokenPrefix: Type.String({ description: 'The first characters of the secret, to tell tokens apart.' }),
  expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  createdBy: Type.String(),
  lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  revokedBy: Type.Union([Type.String(), Type.Null()]),
});

export const GateTokenListSchema = Type.Object({ items: Type.Array(GateTokenSchema) });

export const CreatedGateTokenSchema = Type.Intersect([
  GateTokenSchema,
  Type.Object({ token: Type.String({ description: 'The secret (Authorization: Bearer …). Shown only in this answer.' }) }),
]);

export const CreateGateTokenBodySchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100, description: 'What the token is for, e.g. "North entrance tablet".' }),
    gate: Type.Optional(Type.String({ maxLength: 100, description: 'Bind the token to this gate; empty or absent: any gate.' })),
    scopes: Type.Array(TokenScopeSchema, { minItems: 1, maxItems: 2, description: 'What the token may do.' }),
    expiresAt: Type.Optional(
      Type.Union([Type.String({ format: 'date-time', maxLength: 64 }), Type.Null()], {
        description: 'When it stops working (within 3650 days); absent or null: never.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type CreateGateTokenBody = Static<typeof CreateGateTokenBodySchema>;

export const TokenIdParamsSchema = Type.Object({
  id: Type.Integer({ minimum: 1, maximum: 2147483647, description: 'Token id.' }),
});
