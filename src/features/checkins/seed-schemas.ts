// The seed's routes (/table/…) and the operations endpoints (/healthz, /readyz, /metrics) as the OpenAPI
// document describes them. These schemas only describe: the routes validate and serialise by hand, byte
// for byte as the seed did, so they are given to the document (plugins/openapi.ts), never to the routes.
import { Type } from 'typebox';

const SEED_NAME_MAX = 100;

const SeedText = (description: string) => Type.String({ maxLength: SEED_NAME_MAX, description });

export const SeedEntrySchema = Type.Object({
  id: Type.Integer(),
  login: Type.String({ format: 'date-time', description: 'When the person was checked in (the server clock), with offset.' }),
  lastname: Type.String(),
  firstname: Type.String(),
  gate: Type.String(),
});

export const SeedCreateBodySchema = Type.Object(
  {
    firstname: SeedText('First name (trimmed; must not be blank).'),
    lastname: SeedText('Last name (trimmed; must not be blank).'),
    gate: Type.Optional(SeedText('Gate name; empty when unknown.')),
  },
  { description: 'Other fields (the seed sent `login`) are ignored: the entry is stamped with the server time.' },
);

export const SeedFieldErrorsSchema = Type.Record(Type.String(), Type.Array(Type.String()), {
  description:
    'The seed’s validation answer: each field at fault with its messages, e.g. {"lastname":["This field is required."]}; `non_field_errors` when the body is not an object.',
});

export const SeedDetailSchema = Type.Object(
  { detail: Type.String() },
  { description: 'The seed’s error answer, e.g. {"detail":"Authentication credentials were not provided."}.' },
);

export const SeedViewParamsSchema = Type.Object({
  spec: Type.String({
    pattern: '^date:(\\d{8}|today)$',
    maxLength: 13,
    description: '`date:YYYYMMDD` or `date:today` (the day in APP_TIMEZONE).',
  }),
});

export const HealthSchema = Type.Object({ status: Type.Literal('ok') });

export const ReadinessSchema = Type.Object({
  status: Type.Enum(['ready', 'not ready']),
  reason: Type.Optional(Type.String({ description: 'The first check that failed, when not ready.' })),
  checks: Type.Object(
    { database: Type.String(), schema: Type.String(), startup: Type.String(), shutdown: Type.String() },
    { description: 'Each check: `ok`, or why not.' },
  ),
});
