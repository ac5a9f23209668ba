// /admin/audit: every change, newest first, 100 to a page (owners and managers).
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../app.js';
import { idOf, pageUserOf } from '../../http/page-request.js';
import { html } from '../../views/html.js';
import { page } from '../../views/layout.js';
import { auditTable } from './audit-views.js';

const PAGE_SIZE = 100;

export const adminAuditRoutes: FastifyPluginAsync<AppContext> = async (app, { services, config }) => {
  app.get<{ Querystring: { before?: string } }>('/admin/audit', { config: { access: 'admin-page' } }, async (request, reply) => {
    const user = pageUserOf(request);
    const entries = await services.audit.list(user.actor!, { before: idOf(request.query.before), limit: PAGE_SIZE });
    const last = entries.at(-1);
    return reply.type('text/html; charset=utf-8').send(
      page({
        title: 'Audit log',
        section: 'audit',
        user,
        body: html`<div class="page-head">
            <h1>Audit log</h1>
            <p class="lede">
              Every change: corrections, deletions, people, groups, gates, tokens and staff accounts, with who made it in which role.
            </p>
          </div>
          <section class="card">
            ${auditTable(entries, config.timezone)}
            ${entries.length === PAGE_SIZE && last ? html`<p><a class="button" href="/admin/audit?before=${last.id}">Older changes</a></p>` : ''}
          </section>`,
      }),
    );
  });
};
