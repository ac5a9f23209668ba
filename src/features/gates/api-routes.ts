// /api/v1/gates: the managed list of gates (kiosks and staff who read attendance see it; owners and
// managers change it), and /api/v1/occupancy: how many people are inside now, per gate, against
// capacity. The occupancy holds counts only, no personal data, so the venue's big screen (/screen) reads
// it without credentials; the gate service counts it at most once every OCCUPANCY_TTL_MS per process.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../app.js';
import { OCCUPANCY_TTL_MS } from './gate-service.js';
import { actorOf } from '../../plugins/access-control.js';
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

export const apiV1GateRoutes: FastifyPluginAsync<AppContext> = async (app, { services }) => {
  const gates = services.gates;
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.get(
    '/gates',
    {
      config: { access: 'checkin' },
      schema: {
        tags: TAGS,
        summary: 'List the gates',
        description:
          'The managed list of gates, by name. Kiosks with a check-in token choose their gate from it; staff who read attendance see it too.',
        response: { 200: GateListSchema },
      },
    },
    async (request) => ({ items: await gates.list(actorOf(request)) }),
  );

  api.get(
    '/gates/:id',
    {
      config: { access: 'checkin' },
      schema: {
        tags: TAGS,
        summary: 'One gate',
        params: GateIdParamsSchema,
        response: { 200: GateSchema, 400: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request) => gates.get(actorOf(request), request.params.id),
  );

  api.post(
    '/gates',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Add a gate (owner or manager)',
        description: 'A name already in use is a 409.',
        body: CreateGateBodySchema,
        response: { 201: GateSchema, 400: ProblemSchema, 409: ProblemSchema },
      },
    },
    async (request, reply) => {
      const gate = await gates.create(actorOf(request), request.body);
      return reply.code(201).header('location', `/api/v1/gates/${gate.id}`).send(gate);
    },
  );

  api.patch(
    '/gates/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Rename a gate or change its capacity (owner or manager)',
        description: 'Renaming does not change the gate named by earlier check-ins.',
        params: GateIdParamsSchema,
        body: UpdateGateBodySchema,
        response: { 200: GateSchema, 400: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema },
      },
    },
    async (request) => gates.change(actorOf(request), request.params.id, request.body),
  );

  api.delete(
    '/gates/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Remove a gate from the list (owner or manager)',
        description: 'Its check-ins keep their gate name, which then shows as unlisted.',
        params: GateIdParamsSchema,
        response: { 204: { description: 'Removed.', type: 'null' }, 400: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request, reply) => {
      await gates.remove(actorOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  );

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
      reply.header('cache-control', `public, max-age=${OCCUPANCY_TTL_MS / 1000}`);
      return gates.occupancy();
    },
  );
};
