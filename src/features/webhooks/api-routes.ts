// /api/v1/webhooks: endpoints that hear of check-ins, corrections, deletions, erasures and register marks
// (owners and managers), signed by the Standard Webhooks specification; the secret is in the answer that
// makes or rotates it, only there; and each endpoint's delivery log.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../app.js';
import { ProblemSchema } from '../../http/problem-schema.js';
import { actorOf } from '../../plugins/access-control.js';
import {
  CreatedWebhookSchema,
  CreateWebhookBodySchema,
  DeliveryPageSchema,
  DeliveryQuerySchema,
  UpdatedWebhookSchema,
  UpdateWebhookBodySchema,
  WebhookIdParamsSchema,
  WebhookListSchema,
  WebhookSchema,
} from './webhook-schemas.js';

const TAGS = ['webhooks'];
const DELIVERY =
  'Each delivery is a POST of `{"type", "timestamp", "data"}` with the headers `webhook-id` (the same on every retry), `webhook-timestamp` (unix seconds of the attempt) and `webhook-signature` (`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`). A 2xx answer within 10 s delivers; anything else (a redirect too) is retried after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h; an endpoint whose deliveries all fail for 24 hours is disabled. Deliveries are not ordered (several run at once, and a retry comes later): order events by the payload\'s `timestamp`, the time of the change.';

export const apiV1WebhookRoutes: FastifyPluginAsync<AppContext> = async (app, { services }) => {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.get(
    '/webhooks',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'List webhooks (owner, manager)',
        description: 'Every endpoint with its state and latest delivery. Secrets are never shown again.',
        response: { 200: WebhookListSchema, 403: ProblemSchema },
      },
    },
    async (request) => ({ items: await services.webhooks.list(actorOf(request)) }),
  );

  api.post(
    '/webhooks',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Register a webhook (owner, manager)',
        description: `Answers 201 with the endpoint and its signing secret in \`secret\`, shown only this once. ${DELIVERY}`,
        body: CreateWebhookBodySchema,
        response: { 201: CreatedWebhookSchema, 400: ProblemSchema, 403: ProblemSchema },
      },
    },
    async (request, reply) => {
      const { endpoint, secret } = await services.webhooks.create(actorOf(request), request.body);
      return reply
        .code(201)
        .header('location', `/api/v1/webhooks/${endpoint.id}`)
        .header('cache-control', 'no-store')
        .send({ ...endpoint, secret });
    },
  );

  api.get(
    '/webhooks/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'One webhook (owner, manager)',
        description: 'Its state and latest delivery; never the secret.',
        params: WebhookIdParamsSchema,
        response: { 200: WebhookSchema, 400: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request) => services.webhooks.get(actorOf(request), request.params.id),
  );

  api.patch(
    '/webhooks/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Change a webhook, enable or disable it, rotate its secret (owner, manager)',
        description:
          'Changes only the fields sent. `enabled: false` stops deliveries (what is pending is cancelled); `enabled: true` resumes them (also after it was disabled for failing). `rotateSecret: true` replaces the secret at once and answers the new one in `secret`, only this once; later retries are signed with it.',
        params: WebhookIdParamsSchema,
        body: UpdateWebhookBodySchema,
        response: { 200: UpdatedWebhookSchema, 400: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request, reply) => {
      const { endpoint, secret } = await services.webhooks.update(actorOf(request), request.params.id, request.body);
      return reply.header('cache-control', 'no-store').send(secret === undefined ? endpoint : { ...endpoint, secret });
    },
  );

  api.delete(
    '/webhooks/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Remove a webhook (owner, manager)',
        description: 'Nothing more is sent to it; its pending messages and its delivery log go with it.',
        params: WebhookIdParamsSchema,
        response: { 204: { type: 'null', description: 'Removed.' }, 400: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request, reply) => {
      await services.webhooks.remove(actorOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  );

  api.get(
    '/webhooks/:id/deliveries',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'The delivery log of a webhook (owner, manager)',
        description:
          'Every delivery attempt, newest first: when, the event type, the message id (`webhook-id`, the same on every retry), the attempt number, the HTTP status, how long it took and why it failed. Kept for 30 days after the message was done.',
        params: WebhookIdParamsSchema,
        querystring: DeliveryQuerySchema,
        response: { 200: DeliveryPageSchema, 400: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request) => services.webhooks.deliveries(actorOf(request), request.params.id, request.query),
  );
};
