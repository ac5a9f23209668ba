// Gates (the managed list) and the venue's occupancy: requests and answers of /api/v1/gates and
// /api/v1/occupancy.
import { Type, type Static } from 'typebox';

const GateName = Type.String({ minLength: 1, maxLength: 100, description: 'Gate name, as kiosks and check-ins name it.' });
const Capacity = Type.Union([Type.Integer({ minimum: 1, maximum: 1_000_000 }), Type.Null()], {
  description: 'How many people may be inside through this gate at once; null = no limit.',
});

export const GateSchema = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  capacity: Type.Union([Type.Integer(), Type.Null()]),
});

export const GateListSchema = Type.Object({ items: Type.Array(GateSchema) });

export const CreateGateBodySchema = Type.Object({ name: GateName, capacity: Type.Optional(Capacity) }, { additionalProperties: false });

export const UpdateGateBodySchema = Type.Object(
  { name: Type.Optional(GateName), capacity: Type.Optional(Capacity) },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateGateBody = Static<typeof UpdateGateBodySchema>;

export const GateIdParamsSchema = Type.Object({
  id: Type.Integer({ minimum: 1, maximum: 2147483647, description: 'Gate id.' }),
});

export const OccupancySchema = Type.Object({
  date: Type.String({
    format: 'date',
    description: 'Today: the attendance day containing now (it begins at DAY_STARTS_AT in APP_TIMEZONE, midnight by default).',
  }),
  timezone: Type.String(),
  dayStartsAt: Type.String({ description: 'DAY_STARTS_AT (HH:MM).' }),
  inside: Type.Integer({ description: 'People inside now: their last passage of today (the attendance day) was a check-in.' }),
  capacity: Type.Union([Type.Integer(), Type.Null()], {
    description: "The listed gates' capacities added up, when each has one; otherwise null.",
  }),
  gates: Type.Array(
    Type.Object({
      gate: Type.String(),
      inside: Type.Integer({ description: 'People inside whose last check-in was through this gate.' }),
      capacity: Type.Union([Type.Integer(), Type.Null()]),
      listed: Type.Boolean({ description: 'False for a gate check-ins name that is not on the managed list.' }),
    }),
  ),
  at: Type.String({ format: 'date-time', description: 'When this was counted.' }),
});
