// /api/v1/tokens: gate tokens for kiosks and scanners (owners and managers make, list and revoke them;
// the secret is in the creation's answer only), and /api/v1/tokens/current: a cheap authenticated call
// that tells a kiosk (or any client) whether its credentials work for check-ins and what they allow.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../app.js';
import { authorize } from '../../domain/actor.js';
import { actorOf } from '../../plugins/access-control.js';
import {
  CreatedGateTokenSchema,
  CreateGateTokenBodySchema,
  CurrentCredentialSchema,
  GateTokenListSchema,
  GateTokenSchema,
  TokenIdParamsSchema,
  type CurrentCredential,
} from './token-schemas.js';
import { ProblemSchema } from '../../http/problem-schema.js';

const TAGS = ['tokens'];

export const apiV1TokenRoutes: FastifyPluginAsync<AppContext> = async (app, { services }) => {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.get(
    '/tokens',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'List gate tokens (owner, manager)',
        description: 'Every token, active first, newest first. The secrets are never shown again: only their first characters.',
        response: { 200: GateTokenListSchema, 403: ProblemSchema },
      },
    },
    async (request) => ({ items: await services.tokens.list(actorOf(request)) }),
  );

  api.post(
    '/tokens',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Make a gate token (owner, manager)',
        description:
          'Answers 201 with the token and its secret in `token`, shown only this once (only a hash is kept). A token bound to a gate may check in only there.',
        body: CreateGateTokenBodySchema,
        response: { 201: CreatedGateTokenSchema, 400: ProblemSchema, 403: ProblemSchema },
      },
    },
    async (request, reply) => {
      const { token, gateToken } = await services.tokens.create(actorOf(request), request.body);
      return reply
        .code(201)
        .header('location', `/api/v1/tokens/${gateToken.id}`)
        .header('cache-control', 'no-store')
        .send({ ...gateToken, token });
    },
  );

  api.get(
    '/tokens/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'One gate token (owner, manager)',
        description: 'Never the secret: only its first characters.',
        params: TokenIdParamsSchema,
        response: { 200: GateTokenSchema, 400: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request) => services.tokens.get(actorOf(request), request.params.id),
  );

  api.delete(
    '/tokens/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Revoke a gate token (owner, manager)',
        description: 'Requests with the token are refused from now on, on every replica. An unknown or already revoked token is a 404.',
        params: TokenIdParamsSchema,
        response: { 204: { type: 'null', description: 'Revoked.' }, 400: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request, reply) => {
      await services.tokens.revoke(actorOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  );

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
      if (principal?.kind === 'session') {
        // Only a role that records check-ins may run a kiosk with its session.
        authorize(principal.actor, 'attendance:record');
        return { kind: 'session', username: principal.session.username };
      }
      if (principal?.kind === 'token') {
        const token = await services.tokens.current(principal.actor);
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
