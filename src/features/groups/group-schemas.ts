// Groups (rosters), their members, excuses and the attendance register: requests and answers of
// /api/v1/groups.
import { Type, type Static } from 'typebox';
import { SafeText } from '../../http/text-schema.js';
import { CsvBomSchema } from '../../domain/csv.js';
import { PersonSchema } from '../people/people-schemas.js';

const ISO_DATE = '^\\d{4}-\\d{2}-\\d{2}$';
const Day = (description: string) => Type.String({ pattern: ISO_DATE, maxLength: 10, description });

export const ScheduleSchema = Type.Object(
  {
    from: Type.Optional(Type.Union([Day('First day of the weekly schedule (YYYY-MM-DD).'), Type.Null()])),
    to: Type.Optional(Type.Union([Day('Last day of the weekly schedule, inclusive.'), Type.Null()])),
    weekdays: Type.Optional(
      Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), {
        maxItems: 7,
        description: 'ISO weekdays (1 = Monday … 7 = Sunday) the group meets between `from` and `to`.',
      }),
    ),
    dates: Type.Optional(
      Type.Array(Day('An extra scheduled day.'), {
        maxItems: 1000,
        description: 'Scheduled days besides the weekly ones; each at most once and not already a weekly day.',
      }),
    ),
    startTime: Type.Optional(
      Type.Union([
        Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', maxLength: 5, description: 'Local start time HH:MM.' }),
        Type.Null(),
      ]),
    ),
    graceMinutes: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 1440, description: 'Minutes after startTime an arrival still counts as on time.' }),
    ),
  },
  {
    additionalProperties: false,
    description:
      "The days the group is expected: `weekdays` between `from` and `to`, plus the explicit `dates`: attendance days in APP_TIMEZONE (DAY_STARTS_AT). On day D the group starts at `startTime` on D's date, or on the next date for a start time earlier than DAY_STARTS_AT (the day runs to D + 1 at DAY_STARTS_AT). An arrival after startTime + graceMinutes is late.",
  },
);
export type ScheduleBody = Static<typeof ScheduleSchema>;

export const GroupSchema = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  schedule: Type.Object({
    from: Type.Union([Type.String(), Type.Null()]),
    to: Type.Union([Type.String(), Type.Null()]),
    weekdays: Type.Array(Type.Integer()),
    dates: Type.Array(Type.String()),
    startTime: Type.Union([Type.String(), Type.Null()]),
    graceMinutes: Type.Integer(),
  }),
  memberCount: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type GroupDto = Static<typeof GroupSchema>;

const GroupName = Type.String({ minLength: 1, maxLength: 100, description: 'Name of the group (trimmed; must not be blank).' });

export const CreateGroupBodySchema = Type.Object(
  { name: GroupName, schedule: Type.Optional(ScheduleSchema) },
  { additionalProperties: false },
);
export type CreateGroupBody = Static<typeof CreateGroupBodySchema>;

export const UpdateGroupBodySchema = Type.Object(
  { name: Type.Optional(GroupName), schedule: Type.Optional({ ...ScheduleSchema, description: 'Replaces the whole schedule.' }) },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateGroupBody = Static<typeof UpdateGroupBodySchema>;

export const GroupIdParamsSchema = Type.Object({
  id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Group id.' }),
});

export const PersonIdParamsSchema = Type.Object({
  id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Person id.' }),
});

export const MemberParamsSchema = Type.Object({
  id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Group id.' }),
  personId: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Person id.' }),
});

export const ExcuseParamsSchema = Type.Object({
  id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Group id.' }),
  personId: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Person id.' }),
  date: Day('A scheduled day of the group (YYYY-MM-DD).'),
});

export const ListGroupsQuerySchema = Type.Object(
  {
    q: Type.Optional(
      SafeText({ maxLength: 100, description: 'Only groups whose name holds every word (case, accents and punctuation ignored).' }),
    ),
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 50, description: 'Page size.' }),
    cursor: Type.Optional(SafeText({ maxLength: 200, description: 'nextCursor of the previous page.' })),
  },
  { additionalProperties: false },
);

export const GroupPageSchema = Type.Object({
  items: Type.Array(GroupSchema),
  nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `cursor` for the next page; null on the last page.' }),
});

const MembershipDay = (description: string) => Type.Union([Day(description), Type.Null()]);

export const MemberSchema = Type.Object({
  ...PersonSchema.properties,
  addedAt: Type.String({ format: 'date-time' }),
  since: MembershipDay('First day the member is counted in the register (YYYY-MM-DD); null: from the start.'),
  until: MembershipDay('Last day the member is counted, inclusive; null: no end.'),
});

export const MembershipBodySchema = Type.Union(
  [
    Type.Object(
      {
        since: Type.Optional(
          MembershipDay(
            'First day the member is counted (YYYY-MM-DD in APP_TIMEZONE). A new member: today when left out; null: from the start.',
          ),
        ),
        until: Type.Optional(MembershipDay('Last day the member is counted, inclusive; null or left out for a new member: no end.')),
      },
      { additionalProperties: false },
    ),
    Type.Null(),
  ],
  { description: 'Optional. For a member already in the group, only the days given change.' },
);
export const MemberListSchema = Type.Object({ items: Type.Array(MemberSchema, { description: 'Every member, by last and first name.' }) });

export const ExcuseBodySchema = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 500, description: 'Why the member is excused.' }) },
  { additionalProperties: false },
);

export const ExcuseSchema = Type.Object({
  groupId: Type.Integer(),
  personId: Type.Integer(),
  date: Type.String(),
  reason: Type.String(),
  excusedBy: Type.String(),
  excusedAt: Type.String({ format: 'date-time' }),
});

export const MarkParamsSchema = Type.Object({
  id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Group id.' }),
  date: Day('A scheduled day of the group, today or earlier, within the membership (YYYY-MM-DD).'),
  personId: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Person id.' }),
});

export const MarkBodySchema = Type.Object(
  {
    status: Type.Enum(['present', 'late', 'absent', 'excused'], { description: 'What the cell is set to.' }),
    reason: Type.Optional(Type.Union([Type.String({ maxLength: 500, description: 'Why (required for `excused`).' }), Type.Null()])),
  },
  { additionalProperties: false },
);

export const MarkedCellSchema = Type.Object({
  groupId: Type.Integer(),
  personId: Type.Integer(),
  date: Type.String(),
  status: Type.Enum(['present', 'late', 'absent', 'excused']),
  reason: Type.Union([Type.String(), Type.Null()]),
  markedBy: Type.String({ description: 'Who marked the cell.' }),
  markedAt: Type.String({ format: 'date-time' }),
});

export const RegisterQuerySchema = Type.Object(
  {
    from: Day('First day (YYYY-MM-DD in APP_TIMEZONE), inclusive.'),
    to: Day('Last day, inclusive. At most 366 days from `from`.'),
  },
  { additionalProperties: false },
);

/** register.csv: the register's range, and the byte-order mark of every CSV export. */
export const RegisterCsvQuerySchema = Type.Object(
  { ...RegisterQuerySchema.properties, bom: CsvBomSchema },
  { additionalProperties: false },
);

const Status = Type.Enum(['present', 'late', 'absent', 'excused', 'upcoming', 'not-member'], {
  description:
    'The first that applies: `not-member` (the day is outside the membership, before `since` or after `until`: never counted), `excused` (excused by hand, with a reason), `present`, `late` or `absent` as marked by hand (`marked`), then from the check-ins: `present` (first arrival at or before startTime + graceMinutes, compared in whole seconds), `late` (after it), `upcoming` (a later day, or today until startTime + graceMinutes has passed; all of today for a group without a start time), `absent` (nobody arrived; a day with only a check-out too, see `checkoutOnly`).',
});

const CellSchema = Type.Object({
  date: Type.String(),
  status: Status,
  firstIn: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'First check-in of the day.' }),
  lastOut: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'Last check-out of the day.' }),
  excuse: Type.Union([Type.String(), Type.Null()], { description: 'The reason, when excused.' }),
  checkoutOnly: Type.Boolean({
    description: 'A check-out but no check-in on the day: never `present` or `late` by itself; `absent` unless marked by hand.',
  }),
  marked: Type.Union(
    [
      Type.Object({
        by: Type.String({ description: 'Who marked (or excused) the cell.' }),
        at: Type.String({ format: 'date-time' }),
        reason: Type.Union([Type.String(), Type.Null()]),
      }),
      Type.Null(),
    ],
    { description: 'Set by hand (PUT …/register/{date}/{personId}, or an excuse); null when the check-ins decide.' },
  ),
});

const Totals = Type.Object(
  {
    present: Type.Integer(),
    late: Type.Integer(),
    absent: Type.Integer(),
    excused: Type.Integer(),
    upcoming: Type.Integer(),
  },
  { description: 'Days per status; `not-member` days are in none of them.' },
);

const Rate = Type.Union([Type.Number(), Type.Null()], {
  description: '(present + late) / (present + late + absent): excused, upcoming and not-member days do not count; null when no day counts.',
});

const Membership = Type.Object(
  { since: Type.Union([Type.String(), Type.Null()]), until: Type.Union([Type.String(), Type.Null()]) },
  { description: 'The days the member is counted (inclusive); null: open at that end.' },
);

export const RegisterSchema = Type.Object({
  group: Type.Object({ id: Type.Integer(), name: Type.String() }),
  from: Type.String(),
  to: Type.String(),
  timezone: Type.String({ description: 'APP_TIMEZONE, in which days and times are counted.' }),
  days: Type.Array(
    Type.Object({
      date: Type.String(),
      startsAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
        description: 'The start time of that day, with its UTC offset.',
      }),
      lateAfter: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'Arrivals after this instant are late.' }),
      totals: Totals,
    }),
    { description: 'The scheduled days in the range, in order.' },
  ),
  members: Type.Array(
    Type.Object({
      person: Type.Object({
        id: Type.Integer(),
        firstname: Type.String(),
        lastname: Type.String(),
        externalRef: Type.Union([Type.String(), Type.Null()]),
      }),
      membership: Membership,
      attendance: Type.Array(CellSchema, { description: 'One item per scheduled day, in the order of `days`.' }),
      totals: Totals,
      rate: Rate,
    }),
    { description: 'Every member whose membership overlaps the range, by last and first name.' },
  ),
});

const DaySchema = Type.Object({
  date: Type.String(),
  startsAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  lateAfter: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

export const AttendanceQuerySchema = Type.Object(
  {
    from: Type.Optional(Day('First day (YYYY-MM-DD in APP_TIMEZONE), inclusive; default: 29 days before `to`.')),
    to: Type.Optional(Day('Last day, inclusive; default: today. At most 366 days from `from`.')),
  },
  { additionalProperties: false },
);

export const PersonAttendanceSchema = Type.Object({
  person: Type.Object({
    id: Type.Integer(),
    firstname: Type.String(),
    lastname: Type.String(),
    externalRef: Type.Union([Type.String(), Type.Null()]),
  }),
  from: Type.String(),
  to: Type.String(),
  timezone: Type.String(),
  groups: Type.Array(
    Type.Object({
      group: Type.Object({ id: Type.Integer(), name: Type.String() }),
      membership: Membership,
      days: Type.Array(DaySchema, { description: "The group's scheduled days in the range." }),
      attendance: Type.Array(CellSchema, { description: 'One item per scheduled day, as in the register.' }),
      totals: Totals,
      rate: Rate,
    }),
    { description: 'Each group the person is a member of (a leader: of their groups), by name.' },
  ),
});

export const ImportQuerySchema = Type.Object(
  { dryRun: Type.Boolean({ default: false, description: 'Only report what an import would do; nothing is written.' }) },
  { additionalProperties: false },
);

export const ImportResultSchema = Type.Object({
  dryRun: Type.Boolean(),
  created: Type.Integer({ description: 'People created.' }),
  updated: Type.Integer({ description: 'People whose names or e-mail changed.' }),
  unchanged: Type.Integer({ description: 'People already known as they are.' }),
  added: Type.Integer({ description: 'People who became members of the group.' }),
  lines: Type.Array(
    Type.Object({
      line: Type.Integer({ description: 'Line number in the file (the header is line 1).' }),
      result: Type.Enum(['created', 'updated', 'unchanged']),
      personId: Type.Union([Type.Integer(), Type.Null()], { description: 'null in a dry run for a person not created yet.' }),
      newMember: Type.Boolean(),
    }),
  ),
  warnings: Type.Array(
    Type.Object({
      line: Type.Integer({ description: 'Line number in the file (the header is line 1).' }),
      field: Type.String(),
      message: Type.String(),
    }),
    { description: 'What did not stop the import: a line repeating an earlier one exactly is imported once and listed here.' },
  ),
});
