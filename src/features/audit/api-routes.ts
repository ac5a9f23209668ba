// /api/v1/audit: every change, newest first, with who made it and in which role (owners and managers).
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../app.js';
import { ProblemSchema } from '../../http/problem-schema.js';
import { actorOf } from '../../plugins/access-control.js';
import { AuditPageSchema, AuditQuerySchema } from './audit-schemas.js';

export const apiV1AuditRoutes: FastifyPluginAsync<AppContext> = async (app, { services }) => {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.get(
    '/audit',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['audit'],
        summary: 'The audit log (owner, manager)',
        description: 'Every change made through the service, newest first: the actor and their role, the record before and after.',
        querystring: AuditQuerySchema,
        response: { 200: AuditPageSchema, 400: ProblemSchema, 403: ProblemSchema },
      },
    },
    async (request) => services.audit.page(actorOf(request), request.query),
  );
};
