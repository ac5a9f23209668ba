// What /api/v1/webhooks takes and answers.
import { Type, type Static } from 'typebox';
import { EVENT_DESCRIPTIONS, EVENT_TYPES } from './webhook-events.js';

const EventTypeSchema = Type.Enum([...EVENT_TYPES], {
  description: `An event type: ${EVENT_TYPES.map((type) => `\`${type}\`: ${EVENT_DESCRIPTIONS[type]}`).join('; ')}.`,
});

const Time = Type.String({ format: 'date-time' });
const NullableTime = Type.Union([Time, Type.Null()]);

export const WebhookSchema = Type.Object({
  id: Type.Integer(),
  url: Type.String({ description: 'Where deliveries are POSTed.' }),
  description: Type.String(),
  events: Type.Array(EventTypeSchema, { description: 'The event types sent to this endpoint.' }),
  enabled: Type.Boolean(),
  state: Type.Enum(['enabled', 'disabled', 'disabled-failing'], {
    description:
      '`enabled`; `disabled` by a person; `disabled-failing`: disabled because every delivery failed for 24 hours (enable it again with PATCH `enabled: true`).',
  }),
  disabledAt: NullableTime,
  failingSince: Type.Union([Time, Type.Null()], { description: 'Since when every delivery has failed; null when the last one succeeded.' }),
  createdAt: Time,
  createdBy: Type.String(),
  updatedAt: Time,
  secretRotatedAt: NullableTime,
  lastDelivery: Type.Union(
    [
      Type.Object({
        at: Time,
        ok: Type.Boolean(),
        status: Type.Union([Type.Integer(), Type.Null()], { description: 'The HTTP status answered; null: no answer.' }),
        error: Type.Union([Type.String(), Type.Null()]),
      }),
      Type.Null(),
    ],
    { description: 'The latest delivery attempt; null before the first.' },
  ),
});

export const WebhookListSchema = Type.Object({ items: Type.Array(WebhookSchema) });

const SecretSchema = Type.String({
  pattern: '^whsec_[A-Za-z0-9+/]+={0,2}$',
  description:
    'The signing secret (`whsec_` and the base64 of 32 random bytes), shown only in this answer. Each delivery carries `webhook-signature: v1,<base64 HMAC-SHA256 of "webhook-id.webhook-timestamp.body">`, keyed with the base64-decoded part after `whsec_` (Standard Webhooks).',
});

export const CreatedWebhookSchema = Type.Intersect([WebhookSchema, Type.Object({ secret: SecretSchema })]);

export const UpdatedWebhookSchema = Type.Intersect([
  WebhookSchema,
  Type.Object({
    secret: Type.Optional({
      ...SecretSchema,
      description: 'The new secret, only when `rotateSecret` was asked for; shown only in this answer.',
    }),
  }),
]);

const UrlSchema = Type.String({
  minLength: 1,
  maxLength: 2000,
  description:
    'An http:// or https:// URL whose host resolves to public addresses only (loopback, private, link-local and reserved addresses are refused unless the server runs with WEBHOOK_ALLOW_PRIVATE_NETWORKS=true).',
});
const EventsSchema = Type.Array(EventTypeSchema, {
  minItems: 1,
  maxItems: EVENT_TYPES.length * 2,
  description: 'The event types to send.',
});
const DescriptionSchema = Type.String({ maxLength: 200, description: 'What the endpoint is for.' });

export const CreateWebhookBodySchema = Type.Object(
  { url: UrlSchema, events: EventsSchema, description: Type.Optional(DescriptionSchema) },
  { additionalProperties: false },
);
export type CreateWebhookBody = Static<typeof CreateWebhookBodySchema>;

export const UpdateWebhookBodySchema = Type.Object(
  {
    url: Type.Optional(UrlSchema),
    events: Type.Optional(EventsSchema),
    description: Type.Optional(DescriptionSchema),
    enabled: Type.Optional(
      Type.Boolean({
        description: 'false: stop delivering (pending messages are cancelled); true: deliver again (the failure streak is forgotten).',
      }),
    ),
    rotateSecret: Type.Optional(
      Type.Boolean({ description: 'true: a new secret replaces the old one at once; the answer carries it in `secret`, once.' }),
    ),
  },
  { additionalProperties: false },
);
export type UpdateWebhookBody = Static<typeof UpdateWebhookBodySchema>;

export const WebhookIdParamsSchema = Type.Object({
  id: Type.Integer({ minimum: 1, maximum: 2147483647, description: 'Webhook id.' }),
});

export const DeliverySchema = Type.Object({
  id: Type.Integer(),
  at: Type.String({ format: 'date-time', description: 'When the attempt started.' }),
  eventType: Type.String(),
  webhookId: Type.String({ description: 'The message id sent as `webhook-id`: the same on every attempt of one message.' }),
  attempt: Type.Integer({ description: 'The attempt number of this message, from 1.' }),
  ok: Type.Boolean({ description: 'true: answered 2xx, delivered.' }),
  status: Type.Union([Type.Integer(), Type.Null()], {
    description: 'The HTTP status answered; null: no answer (refused, timed out, blocked).',
  }),
  durationMs: Type.Integer(),
  error: Type.Union([Type.String(), Type.Null()], { description: 'Why the attempt failed; null when delivered.' }),
});

export const DeliveryPageSchema = Type.Object({
  items: Type.Array(DeliverySchema),
  nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `cursor` for older attempts; null on the last page.' }),
});

export const DeliveryQuerySchema = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50, description: 'Attempts per page.' }),
  cursor: Type.Optional(Type.String({ maxLength: 200, description: 'From the previous page’s nextCursor.' })),
});
