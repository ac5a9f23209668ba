// One TypeBox definition per request and response of /api/v1: fastify validates with it, TypeScript
// infers handler types from it, and @fastify/swagger turns it into the OpenAPI document.
import { Type } from 'typebox';
import { CsvBomSchema } from '../../domain/csv.js';
import { SafeText } from '../../http/text-schema.js';
import { parseIsoDate } from '../../domain/calendar.js';
import { DomainError } from '../../domain/domain-error.js';
import { EARLIEST_OCCURRED_AT } from './checkin-fields.js';

const ISO_DATE = '^\\d{4}-\\d{2}-\\d{2}$';

/** A YYYY-MM-DD that passed the schema's pattern but must also be a real day (no 2026-02-30). */
export function calendarDay(field: string, value: string): string {
  const day = parseIsoDate(value);
  if (day === undefined) throw DomainError.invalid(field, `"${value}" is not a calendar date (YYYY-MM-DD)`);
  return day;
}

export const DirectionSchema = Type.Enum(['in', 'out'], { description: 'Check-in (`in`, default) or check-out (`out`).' });

const Name = (description: string) => Type.String({ minLength: 1, maxLength: 100, description });
const Gate = Type.String({ maxLength: 100, description: 'Gate name, e.g. `A` or `north`; empty when unknown.' });

export const CheckinSchema = Type.Object({
  id: Type.Integer(),
  occurredAt: Type.String({ format: 'date-time', description: 'When the person passed the gate, in APP_TIMEZONE with offset.' }),
  recordedAt: Type.String({ format: 'date-time', description: 'When the server stored the entry.' }),
  firstname: Type.String(),
  lastname: Type.String(),
  gate: Type.String(),
  direction: DirectionSchema,
  personId: Type.Union([Type.Integer(), Type.Null()], {
    description: 'The person this entry belongs to (checked in by badge or person id, or linked by an admin); null for a walk-in.',
  }),
});

const PersonIdSchema = Type.Integer({ minimum: 1, maximum: 2147483647 });

export const CreateCheckinResultSchema = Type.Object({
  ...CheckinSchema.properties,
  duplicate: Type.Boolean({
    description:
      'True when the same person passed the same gate in the same direction within the duplicate window: the entry returned is that earlier one and nothing new was stored.',
  }),
  arrivalMissing: Type.Optional(
    Type.Boolean({
      description:
        'Only on check-outs: true when the person has no check-in earlier on the same day (at any gate). The check-out is recorded all the same.',
    }),
  ),
});

export const CreateCheckinBodySchema = Type.Object(
  {
    firstname: Type.Optional(Name('First name (trimmed; must not be blank). Required unless `personId` or `badge` is given.')),
    lastname: Type.Optional(Name('Last name (trimmed; must not be blank). Required unless `personId` or `badge` is given.')),
    personId: Type.Optional({
      ...PersonIdSchema,
      description: 'Check in a known person by id instead of by name (the names come from the person).',
    }),
    badge: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description:
          "Check in a known person by the code on their badge (what the badge's QR code holds). An unknown or reissued code is a 404.",
      }),
    ),
    gate: Type.Optional(Gate),
    direction: Type.Optional(DirectionSchema),
    occurredAt: Type.Optional(
      Type.String({
        format: 'date-time',
        maxLength: 64,
        description: `When it happened (RFC 3339 with offset), e.g. for kiosks that were offline. Never in the future. A gate token (the kiosk) may go at most CHECKIN_BACKDATE_WINDOW_HOURS (default 24) into the past; signed-in staff who may record may go back to any time since ${EARLIEST_OCCURRED_AT.slice(0, 10)}: an entry dated further back than the window is entered by hand. Default: the server time.`,
      }),
    ),
    enteredByHand: Type.Optional(
      Type.Boolean({
        description:
          'Staff only (a gate token gets 403): the entry is typed in by a person, not passed at a gate. It may carry any past `occurredAt` and is audited as `record-by-hand` (who entered it and when), shown on its page. Implied when staff date an entry further back than the backdate window.',
      }),
    ),
  },
  { additionalProperties: false },
);

export const CreateCheckinHeadersSchema = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 200,
      pattern: '^[\\x21-\\x7e]+$',
      description:
        'Makes retries safe: the same key with the same body answers with the first entry again (never a second row); the same key with another body is a 422.',
    }),
  ),
});

export const CorrectCheckinBodySchema = Type.Object(
  {
    firstname: Type.Optional(Name('Corrected first name.')),
    lastname: Type.Optional(Name('Corrected last name.')),
    gate: Type.Optional(Gate),
    direction: Type.Optional(DirectionSchema),
    personId: Type.Optional(
      Type.Union([PersonIdSchema, Type.Null()], {
        description: 'Link the entry to a person (a walk-in who is on a roster), or unlink it with null.',
      }),
    ),
    occurredAt: Type.Optional(
      Type.String({
        format: 'date-time',
        maxLength: 64,
        description: `Move the entry to another time (RFC 3339 with offset; signed-in staff only): any past time since ${EARLIEST_OCCURRED_AT.slice(0, 10)}, never in the future. The entry then counts on the day of its new time (lists, sheets, summaries, registers); the audit record holds the old and the new time.`,
      }),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const CheckinIdParamsSchema = Type.Object({
  id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Check-in id.' }),
});

export const DateSchema = Type.String({ pattern: ISO_DATE, maxLength: 10, description: 'A calendar day YYYY-MM-DD in APP_TIMEZONE.' });

export const ListCheckinsQuerySchema = Type.Object(
  {
    date: Type.Optional(
      Type.String({
        pattern: ISO_DATE,
        maxLength: 10,
        description: 'Attendance day to list (YYYY-MM-DD; it begins at DAY_STARTS_AT in APP_TIMEZONE); default the day containing now.',
      }),
    ),
    gate: Type.Optional(SafeText({ maxLength: 100, description: 'Only this gate (exact).' })),
    q: Type.Optional(
      SafeText({
        maxLength: 200,
        description:
          'Name search. Words are split at spaces and commas; each is folded (case, accents, transliteration such as ł → l, punctuation removed) and must occur in the folded "firstname lastname", so `zolc` finds Żółć, `obrien` finds O\'Brien and `Lovelace, Ada` finds Ada Lovelace.',
      }),
    ),
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 50, description: 'Page size.' }),
    order: Type.Enum(['asc', 'desc'], {
      default: 'asc',
      description: '`asc`: id order, oldest first (the default). `desc`: newest first.',
    }),
    cursor: Type.Optional(
      SafeText({
        maxLength: 200,
        description: '`nextCursor` (or `prevCursor`) of a page of this list, with the same date, gate, q and order.',
      }),
    ),
  },
  { additionalProperties: false },
);

export const CheckinPageSchema = Type.Object({
  items: Type.Array(CheckinSchema),
  nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `cursor` for the next page; null on the last page.' }),
  prevCursor: Type.Union([Type.String(), Type.Null()], {
    description:
      'Pass as `cursor` for the page before (newer entries with `order=desc`); null on the first page. Paging back to the start answers the first page itself.',
  }),
});

export const ExportQuerySchema = Type.Object(
  {
    from: Type.String({ pattern: ISO_DATE, maxLength: 10, description: 'First day (YYYY-MM-DD in APP_TIMEZONE), inclusive.' }),
    to: Type.Optional(
      Type.String({ pattern: ISO_DATE, maxLength: 10, description: 'Last day, inclusive; default `from`. At most 366 days after `from`.' }),
    ),
    gate: Type.Optional(SafeText({ maxLength: 100, description: 'Only this gate (exact).' })),
    bom: CsvBomSchema,
  },
  { additionalProperties: false },
);

const Counts = {
  total: Type.Integer({ description: 'Entries (check-ins plus check-outs).' }),
  checkIns: Type.Integer(),
  checkOuts: Type.Integer(),
};

export const DaySummarySchema = Type.Object({
  date: Type.String({ description: 'The attendance day: it begins at DAY_STARTS_AT in APP_TIMEZONE (midnight by default).' }),
  timezone: Type.String({ description: 'APP_TIMEZONE, in which the day and its hours are counted.' }),
  dayStartsAt: Type.String({ description: 'DAY_STARTS_AT (HH:MM): when an attendance day begins.' }),
  startsAt: Type.String({ format: 'date-time', description: 'The first instant of the day.' }),
  endsAt: Type.String({ format: 'date-time', description: 'The first instant of the next day (the day is [startsAt, endsAt)).' }),
  gate: Type.Union([Type.String(), Type.Null()], { description: 'The gate the totals are of; null for every gate.' }),
  ...Counts,
  people: Type.Integer({ description: 'Distinct people (by normalised name).' }),
  inside: Type.Integer({
    description: 'People with more check-ins than check-outs on this day up to now, at any gate (also when `gate` is given).',
  }),
  perGate: Type.Array(Type.Object({ gate: Type.String(), ...Counts })),
  perHour: Type.Array(
    Type.Object({
      start: Type.String({ format: 'date-time', description: 'Start of the hour with its UTC offset.' }),
      localTime: Type.String({ description: 'HH:MM local time (appears twice on the day clocks go back).' }),
      ...Counts,
    }),
    { description: 'One item per hour of the local day: 24, or 23/25 on days with a DST change.' },
  ),
});

export const DayParamsSchema = Type.Object({ date: DateSchema });

export const DaySummaryQuerySchema = Type.Object(
  { gate: Type.Optional(SafeText({ maxLength: 100, description: 'Only this gate (exact); `inside` still counts every gate.' })) },
  { additionalProperties: false },
);
