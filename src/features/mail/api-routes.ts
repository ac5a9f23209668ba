// /api/v1/mail/messages: the message log (owner, manager); /api/v1/people/{id}/badge/send: a person's
// badge by e-mail; /api/v1/people/{id}/contacts: whom absence alerts go to; /api/v1/groups/{id}/alerts:
// a group's absence alerts on or off; /api/v1/groups/{id}/reports: a group's register report (off, daily,
// weekly) to its leaders. Sending answers 503 "e-mail is not configured" without SMTP_URL.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../app.js';
import { ProblemSchema } from '../../http/problem-schema.js';
import { actorOf } from '../../plugins/access-control.js';
import {
  AlertsBodySchema,
  AlertsSchema,
  BadgeSentSchema,
  ContactsBodySchema,
  ContactsSchema,
  IdParamsSchema,
  MailMessagePageSchema,
  MailMessageQuerySchema,
  ReportsBodySchema,
  ReportsSchema,
} from './mail-schemas.js';

const TAGS = ['mail'];

export const apiV1MailRoutes: FastifyPluginAsync<AppContext> = async (app, { services }) => {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.get(
    '/mail/messages',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'The e-mail message log (owner, manager)',
        description:
          'Every message, newest first: to whom, what, about whom, when, and how it went (the SMTP reply of the last attempt). No body is kept once a message is done; entries are forgotten 30 days later. `configured: false` says SMTP_URL is not set: nothing is queued.',
        querystring: MailMessageQuerySchema,
        response: { 200: MailMessagePageSchema, 400: ProblemSchema, 403: ProblemSchema },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      const page = await services.mail.messages(actor, request.query);
      return { configured: services.mail.status(actor).configured, ...page };
    },
  );

  api.post(
    '/people/:id/badge/send',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Send a person their badge by e-mail (owner, manager)',
        description:
          'Queues one message to the person’s e-mail address with the badge’s QR code inline (a PNG) and the code in the text; `queued: 0` and the person in `withoutEmail` when they have no address. 503 when e-mail is not configured.',
        params: IdParamsSchema,
        response: { 202: BadgeSentSchema, 400: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema, 503: ProblemSchema },
      },
    },
    async (request, reply) => reply.code(202).send(await services.mail.sendBadges(actorOf(request), [request.params.id])),
  );

  api.get(
    '/people/:id/contacts',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'A person’s contacts (whoever may see the person)',
        description: 'The e-mail addresses told when the person is absent from a group with absence alerts on.',
        params: IdParamsSchema,
        response: { 200: ContactsSchema, 400: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request) => ({ items: await services.mail.contacts(actorOf(request), request.params.id) }),
  );

  api.put(
    '/people/:id/contacts',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Replace a person’s contacts (owner, manager)',
        description: 'The whole list, in order; each address once.',
        params: IdParamsSchema,
        body: ContactsBodySchema,
        response: { 200: ContactsSchema, 400: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request) => ({ items: await services.mail.setContacts(actorOf(request), request.params.id, request.body.items) }),
  );

  api.get(
    '/groups/:id/alerts',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Whether a group’s absence alerts are on (whoever may see the group)',
        params: IdParamsSchema,
        response: { 200: AlertsSchema, 400: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request) => services.mail.alerts(actorOf(request), request.params.id),
  );

  api.patch(
    '/groups/:id/alerts',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Turn a group’s absence alerts on or off (owner, manager)',
        description:
          'On: every minute the server looks at today’s register; each member whose status is `absent` (past start + grace, not excused, not marked present or late) has each of their contacts sent one message that day.',
        params: IdParamsSchema,
        body: AlertsBodySchema,
        response: { 200: AlertsSchema, 400: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request) => services.mail.setAlerts(actorOf(request), request.params.id, request.body.absenceAlerts),
  );

  api.get(
    '/groups/:id/reports',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'A group’s register report schedule (whoever may see the group)',
        params: IdParamsSchema,
        response: { 200: ReportsSchema, 400: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request) => services.mail.reports(actorOf(request), request.params.id),
  );

  api.put(
    '/groups/:id/reports',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Set a group’s register report: off, daily or weekly (owner, manager)',
        description:
          'The report goes by e-mail to the group’s leaders who have an address (PATCH /api/v1/users/{id} `email`); owners and managers are not sent it. Each period is sent once, however many replicas run.',
        params: IdParamsSchema,
        body: ReportsBodySchema,
        response: { 200: ReportsSchema, 400: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request) => services.mail.setReports(actorOf(request), request.params.id, request.body.schedule),
  );
};
