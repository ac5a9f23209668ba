// /api/v1/gates: the managed list of gates (kiosks and admins read it; admins change it), and
// /api/v1/occupancy: how many people are inside now, per gate, against capacity. The occupancy holds
// counts only, no personal data, so the venue's big screen (/screen) reads it without credentials; it
// is counted at most once every OCCUPANCY_TTL_MS per process, however many screens ask.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../app.js';
import { localDate } from '../../domain/calendar.js';
import { changeGate, createGate, listGates, occupancy, removeGate, type Occupancy } from './gate-service.js';
import { actorNameOf } from '../../plugins/access-control.js';
import {
  CreateGateBodySchema,
  GateIdParamsSchema,
  GateListSchema,
  GateSchema,
  OccupancySchema,
  UpdateGateBodySchema,
} from './gate-schemas.js';
import { ProblemSchema } from '../../http/problem-schema.js';

const TAGS = ['gates'];
export const OCCUPANCY_TTL_MS = 2000;

export const apiV1GateRoutes: FastifyPluginAsync<AppContext> = async (app, { db, config }) => {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.get(
    '/gates',
    {
      config: { access: 'checkin' },
      schema: {
        tags: TAGS,
        summary: 'List the gates',
        description: 'The managed list of gates, by name. Kiosks with a check-in token choose their gate from it.',
        response: { 200: GateListSchema },
      },
    },
    async () => ({ items: await listGates(db) }),
  );

  api.post(
    '/gates',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Add a gate (admin)',
        description: 'A name already in use is a 409.',
        body: CreateGateBodySchema,
        response: { 201: GateSchema, 400: ProblemSchema, 409: ProblemSchema },
      },
    },
    async (request, reply) => {
      const gate = await createGate(db, actorNameOf(request), request.body);
      return reply.code(201).header('location', `/api/v1/gates/${gate.id}`).send(gate);
    },
  );

  api.patch(
    '/gates/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Rename a gate or change its capacity (admin)',
        description: 'Renaming does not change the gate named by earlier check-ins.',
        params: GateIdParamsSchema,
        body: UpdateGateBodySchema,
        response: { 200: GateSchema, 400: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema },
      },
    },
    async (request) => changeGate(db, actorNameOf(request), request.params.id, request.body),
  );

  api.delete(
    '/gates/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Remove a gate from the list (admin)',
        description: 'Its check-ins keep their gate name, which then shows as unlisted.',
        params: GateIdParamsSchema,
        response: { 204: { description: 'Removed.', type: 'null' }, 400: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request, reply) => {
      await removeGate(db, actorNameOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  );

  let counted: { at: number; value: Promise<Occupancy> } | undefined;
  api.get(
    '/occupancy',
    {
      config: { access: 'public' },
      schema: {
        tags: TAGS,
        summary: 'People inside now, per gate',
        description: `Counts only, no personal data (what the venue's big screen at /screen shows). A person is inside when their last passage today was a check-in; they count at that check-in's gate. Counted at most every ${OCCUPANCY_TTL_MS / 1000} s.`,
        response: { 200: OccupancySchema },
      },
    },
    async (_request, reply) => {
      const now = Date.now();
      if (!counted || now - counted.at >= OCCUPANCY_TTL_MS) {
        const value = occupancy(db, localDate(config.timezone), config.timezone);
        counted = { at: now, value };
        value.catch(() => (counted = undefined)); // a failed count is not kept
      }
      reply.header('cache-control', `public, max-age=${OCCUPANCY_TTL_MS / 1000}`);
      return counted.value;
    },
  );
};
