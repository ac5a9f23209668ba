// /admin/webhooks: the endpoints (state, latest delivery), a new one (its secret shown once), rotating a
// secret, disabling, enabling and deleting; /admin/webhooks/{id}: an endpoint's delivery log.
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../app.js';
import { DomainError } from '../../domain/domain-error.js';
import { idOf, pageUserOf } from '../../http/page-request.js';
import { formText, formTexts, type FormBody } from '../../views/form.js';
import { notice, type PageUser } from '../../views/layout.js';
import type { SafeHtml } from '../../views/html.js';
import { deliveriesPage, secretShown, webhooksPage } from './webhook-views.js';

const DONE: Record<string, string> = {
  disabled: 'Webhook disabled: nothing more is sent to it, and what was waiting is cancelled.',
  enabled: 'Webhook enabled: new events are sent to it again.',
  deleted: 'Webhook deleted.',
};

export const adminWebhookRoutes: FastifyPluginAsync<AppContext> = async (app, { services }) => {
  const render = async (user: PageUser, top: SafeHtml | '' = '') => webhooksPage(user, await services.webhooks.list(user.actor!), top);

  app.get<{ Querystring: { done?: string } }>('/admin/webhooks', { config: { access: 'admin-page' } }, async (request, reply) => {
    const done = DONE[request.query.done ?? ''];
    return reply.type('text/html; charset=utf-8').send(await render(pageUserOf(request), done ? notice('success', done) : ''));
  });

  app.post<{ Body: FormBody }>('/admin/webhooks', { config: { access: 'admin-page' } }, async (request, reply) => {
    const user = pageUserOf(request);
    try {
      const { endpoint, secret } = await services.webhooks.create(user.actor!, {
        url: formText(request.body, 'url'),
        description: formText(request.body, 'description'),
        events: formTexts(request.body, 'event'),
      });
      return reply
        .header('cache-control', 'no-store')
        .type('text/html; charset=utf-8')
        .send(await render(user, secretShown(`Webhook to ${endpoint.url} created`, secret)));
    } catch (error) {
      if (!(error instanceof DomainError) || error.status !== 400) throw error;
      return reply
        .code(400)
        .type('text/html; charset=utf-8')
        .send(await render(user, notice('error', error.detail)));
    }
  });

  /** A one-button change of endpoint `id`; 404 (with the page) when there is no such endpoint. */
  const change = (path: string, act: (user: PageUser, id: number) => Promise<SafeHtml | string>) =>
    app.post<{ Params: { id: string } }>(`/admin/webhooks/:id/${path}`, { config: { access: 'admin-page' } }, async (request, reply) => {
      const user = pageUserOf(request);
      const id = idOf(request.params.id);
      let outcome: SafeHtml | string;
      try {
        if (id === undefined) throw DomainError.notFoundOf('webhook', request.params.id);
        outcome = await act(user, id);
      } catch (error) {
        if (!(error instanceof DomainError) || error.status !== 404) throw error;
        return reply
          .code(404)
          .type('text/html; charset=utf-8')
          .send(await render(user, notice('error', 'No such webhook.')));
      }
      if (typeof outcome === 'string') return reply.redirect(`/admin/webhooks?done=${outcome}`, 303);
      return reply
        .header('cache-control', 'no-store')
        .type('text/html; charset=utf-8')
        .send(await render(user, outcome));
    });

  change('rotate', async (user, id) => {
    const { endpoint, secret } = await services.webhooks.update(user.actor!, id, { rotateSecret: true });
    return secretShown(`New secret for ${endpoint.url}`, secret!);
  });
  change('disable', async (user, id) => (await services.webhooks.update(user.actor!, id, { enabled: false }), 'disabled'));
  change('enable', async (user, id) => (await services.webhooks.update(user.actor!, id, { enabled: true }), 'enabled'));
  change('delete', async (user, id) => (await services.webhooks.remove(user.actor!, id), 'deleted'));

  app.get<{ Params: { id: string }; Querystring: { cursor?: string } }>(
    '/admin/webhooks/:id',
    { config: { access: 'admin-page' } },
    async (request, reply) => {
      const user = pageUserOf(request);
      const id = idOf(request.params.id);
      if (id === undefined) throw DomainError.notFoundOf('webhook', request.params.id);
      const endpoint = await services.webhooks.get(user.actor!, id);
      const cursor = typeof request.query.cursor === 'string' && request.query.cursor !== '' ? request.query.cursor : undefined;
      const { items, nextCursor } = await services.webhooks.deliveries(user.actor!, id, { limit: 100, cursor });
      return reply.type('text/html; charset=utf-8').send(deliveriesPage(user, endpoint, items, nextCursor));
    },
  );
};
