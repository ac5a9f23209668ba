// /api/v1/tokens/current: a cheap authenticated call that tells a kiosk (or any client) whether its
// credentials work for check-ins and what they allow, without recording anything.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../app.js';
import { findGateToken } from './gate-tokens.js';
import { CurrentCredentialSchema, type CurrentCredential } from './token-schemas.js';
import { ProblemSchema } from '../../http/problem-schema.js';

export const apiV1TokenRoutes: FastifyPluginAsync<AppContext> = async (app, { db }) => {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.get(
    '/tokens/current',
    {
      config: { access: 'checkin' },
      schema: {
        tags: ['tokens'],
        summary: 'The credentials of this request',
        description:
          'Answers 200 with the gate token presented (name, gate, scopes, expiry) or the signed-in admin, when they may record check-ins; 401 when the token is unknown, expired or revoked; 403 when the token lacks the `checkin` scope. Records nothing: kiosks call it to check a token at setup.',
        response: { 200: CurrentCredentialSchema, 401: ProblemSchema, 403: ProblemSchema },
      },
    },
    async (request): Promise<CurrentCredential> => {
      const principal = request.principal;
      if (principal?.kind === 'session') return { kind: 'session', username: principal.session.username };
      if (principal?.kind === 'token') {
        const token = await findGateToken(db, principal.token.id);
        return {
          kind: 'token',
          name: principal.token.name,
          gate: principal.token.gate,
          scopes: [...principal.token.scopes],
          expiresAt: token?.expiresAt ?? null,
        };
      }
      return { kind: 'anonymous' };
    },
  );
};
