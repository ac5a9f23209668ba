// /api/v1/users: staff accounts (owners only), and /api/v1/session: who is signed in with this cookie,
// with the CSRF token that API changes made with the session must carry.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../app.js';
import { DomainError } from '../../domain/domain-error.js';
import { ProblemSchema } from '../../http/problem-schema.js';
import { actorOf } from '../../plugins/access-control.js';
import {
  CreateStaffBodySchema,
  SessionSchema,
  StaffIdParamsSchema,
  StaffListSchema,
  StaffMemberSchema,
  UpdateStaffBodySchema,
} from './staff-schemas.js';

const TAGS = ['staff'];

export const apiV1StaffRoutes: FastifyPluginAsync<AppContext> = async (app, { services }) => {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.get(
    '/session',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'The signed-in session',
        description: 'Who is signed in with this session cookie, their role, and the CSRF token to send as X-CSRF-Token with changes.',
        response: { 200: SessionSchema, 401: ProblemSchema },
      },
    },
    async (request) => {
      const principal = request.principal;
      if (principal?.kind !== 'session') throw new DomainError(401, 'Unauthorized', 'Sign in at /admin: this needs a session cookie.');
      const { session } = principal;
      return {
        username: session.username,
        role: session.role,
        groups: session.groups,
        csrfToken: session.csrfToken,
        expiresAt: session.expiresAt,
      };
    },
  );

  api.get(
    '/users',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'List staff accounts (owner)',
        response: { 200: StaffListSchema, 403: ProblemSchema },
      },
    },
    async (request) => ({ items: await services.staff.list(actorOf(request)) }),
  );

  api.post(
    '/users',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Add a staff account (owner)',
        description:
          'A leader sees only the groups in `groups`; a leader with an `email` gets the register reports of those groups. A taken username is a 409.',
        body: CreateStaffBodySchema,
        response: { 201: StaffMemberSchema, 400: ProblemSchema, 403: ProblemSchema, 409: ProblemSchema },
      },
    },
    async (request, reply) => {
      const member = await services.staff.create(actorOf(request), request.body);
      return reply.code(201).header('location', `/api/v1/users/${member.id}`).send(member);
    },
  );

  api.get(
    '/users/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'One staff account (owner)',
        params: StaffIdParamsSchema,
        response: { 200: StaffMemberSchema, 400: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request) => services.staff.get(actorOf(request), request.params.id),
  );

  api.patch(
    '/users/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Change a staff account (owner)',
        description:
          'Role, groups (a leader’s), e-mail (`null` or "" removes it), password (every session of the account ends). The new role applies from the account’s next request. The last owner stays an owner (409).',
        params: StaffIdParamsSchema,
        body: UpdateStaffBodySchema,
        response: { 200: StaffMemberSchema, 400: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema },
      },
    },
    async (request) => services.staff.update(actorOf(request), request.params.id, request.body),
  );

  api.delete(
    '/users/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Remove a staff account (owner)',
        description: 'Its sessions end. Nobody removes their own account, and the last owner cannot be removed (409).',
        params: StaffIdParamsSchema,
        response: {
          204: { description: 'Removed.', type: 'null' },
          400: ProblemSchema,
          403: ProblemSchema,
          404: ProblemSchema,
          409: ProblemSchema,
        },
      },
    },
    async (request, reply) => {
      await services.staff.remove(actorOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  );
};
