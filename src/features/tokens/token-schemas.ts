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
