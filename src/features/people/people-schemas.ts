// People who can belong to groups (rosters): requests and answers of /api/v1/people.
import { Type, type Static } from 'typebox';
import { SafeText } from '../../http/text-schema.js';
import { CsvBomSchema } from '../../domain/csv.js';
import { CheckinSchema } from '../checkins/checkin-schemas.js';

const Name = (description: string) => Type.String({ minLength: 1, maxLength: 100, description });
const ExternalRef = Type.String({
  minLength: 1,
  maxLength: 100,
  description: 'Student, employee or ticket number; unique among people.',
});
const Email = Type.String({ minLength: 3, maxLength: 254, description: 'E-mail address.' });

export const PersonSchema = Type.Object({
  id: Type.Integer(),
  firstname: Type.String(),
  lastname: Type.String(),
  externalRef: Type.Union([Type.String(), Type.Null()]),
  email: Type.Union([Type.String(), Type.Null()]),
  badge: Type.Union([Type.String(), Type.Null()], {
    description:
      'Badge code (URL-safe, unguessable) printed as a QR code or typed by a scanner; reissuing replaces it. A badge checks its holder in, so it is null for a role that may not change people (viewer, leader).',
  }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type PersonDto = Static<typeof PersonSchema>;

export const CreatePersonBodySchema = Type.Object(
  {
    firstname: Name('First name (trimmed; must not be blank).'),
    lastname: Name('Last name (trimmed; must not be blank).'),
    externalRef: Type.Optional(Type.Union([ExternalRef, Type.Null()])),
    email: Type.Optional(Type.Union([Email, Type.Null()])),
  },
  { additionalProperties: false },
);
export type CreatePersonBody = Static<typeof CreatePersonBodySchema>;

export const UpdatePersonBodySchema = Type.Object(
  {
    firstname: Type.Optional(Name('New first name.')),
    lastname: Type.Optional(Name('New last name.')),
    externalRef: Type.Optional(Type.Union([ExternalRef, Type.Null()], { description: 'null removes it.' })),
    email: Type.Optional(Type.Union([Email, Type.Null()], { description: 'null removes it.' })),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdatePersonBody = Static<typeof UpdatePersonBodySchema>;

export const PersonIdParamsSchema = Type.Object({
  id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Person id.' }),
});

/** A person's check-ins as CSV: the byte-order mark of every CSV export. */
export const PersonCsvQuerySchema = Type.Object({ bom: CsvBomSchema }, { additionalProperties: false });

export const ListPeopleQuerySchema = Type.Object(
  {
    q: Type.Optional(
      SafeText({
        maxLength: 200,
        description:
          'Search by name or external reference, insensitive to case, accents and punctuation, in any order: `obrien`, `Lovelace, Ada` and `zolc` find O’Brien, Ada Lovelace and Żółć.',
      }),
    ),
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 50, description: 'Page size.' }),
    cursor: Type.Optional(SafeText({ maxLength: 200, description: 'nextCursor of the previous page.' })),
  },
  { additionalProperties: false },
);
export type ListPeopleQuery = Static<typeof ListPeopleQuerySchema>;

export const PersonPageSchema = Type.Object({
  items: Type.Array(PersonSchema),
  nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `cursor` for the next page; null on the last page.' }),
});

// ---- A person's data: export and erasure -------------------------------------------------------------

const AuditRecordSchema = Type.Object({
  id: Type.Integer(),
  at: Type.String({ format: 'date-time' }),
  actor: Type.String({ description: 'The admin (or gate token) who made the change.' }),
  action: Type.String(),
  entity: Type.String({ description: '`person`, `checkin` or `group` (memberships and excuses).' }),
  entityId: Type.String(),
  before: Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()]),
  after: Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()]),
});

export const PersonExportSchema = Type.Object({
  exportedAt: Type.String({ format: 'date-time' }),
  person: PersonSchema,
  memberships: Type.Array(
    Type.Object({ groupId: Type.Integer(), groupName: Type.String(), addedAt: Type.String({ format: 'date-time' }) }),
  ),
  excuses: Type.Array(
    Type.Object({
      groupId: Type.Integer(),
      groupName: Type.String(),
      date: Type.String({ format: 'date' }),
      reason: Type.String(),
      excusedBy: Type.String({ description: 'The admin who excused the day.' }),
      excusedAt: Type.String({ format: 'date-time' }),
    }),
  ),
  checkins: Type.Array(
    Type.Object({
      ...CheckinSchema.properties,
      deletedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'Set when an admin deleted the entry.' }),
      matchedBy: Type.Enum(['person', 'name'], {
        description:
          '`person`: the entry carries the person id; `name`: a free-name entry whose names match the person’s, in either order (case, accents and punctuation ignored).',
      }),
    }),
  ),
  audit: Type.Array(AuditRecordSchema, {
    description:
      'Audit records about the person, their memberships and excuses, and their check-ins, oldest first. A side (before or after) of a check-in record that is not theirs (a correction from or to another name) comes without its names and person id.',
  }),
});

export const ErasureSchema = Type.Object({
  checkins: Type.Integer({ description: 'Check-ins deleted (by person id and by matching free names, deleted ones included).' }),
  memberships: Type.Integer({ description: 'Group memberships removed.' }),
  excuses: Type.Integer({ description: 'Excuses removed.' }),
  auditEntriesAnonymised: Type.Integer({
    description: 'Audit records about the person whose names, e-mail, reference or reasons were replaced by "(erased)".',
  }),
});
