// /admin/mail: whether e-mail is configured, and the message log (owner, manager).
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../app.js';
import { pageUserOf } from '../../http/page-request.js';
import { mailPage } from './mail-views.js';

export const adminMailRoutes: FastifyPluginAsync<AppContext> = async (app, { services }) => {
  app.get<{ Querystring: { cursor?: string } }>('/admin/mail', { config: { access: 'admin-page' } }, async (request, reply) => {
    const user = pageUserOf(request);
    const cursor = typeof request.query.cursor === 'string' && request.query.cursor !== '' ? request.query.cursor : undefined;
    const status = services.mail.status(user.actor!);
    const { items, nextCursor } = await services.mail.messages(user.actor!, { limit: 100, cursor });
    return reply.type('text/html; charset=utf-8').send(mailPage(user, status, items, nextCursor));
  });
};
