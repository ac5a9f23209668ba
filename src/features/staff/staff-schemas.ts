// Staff accounts and the signed-in session: requests and answers of /api/v1/users and /api/v1/session.
import { Type, type Static } from 'typebox';

const RoleSchema = Type.Enum(['owner', 'manager', 'leader', 'viewer'], {
  description:
    '`owner`: everything; `manager`: attendance, people, groups, gates, tokens, not staff accounts or erasure; `leader`: only the groups listed in `groups`; `viewer`: reads, changes nothing.',
});
const GroupIds = Type.Array(Type.Integer({ minimum: 1, maximum: 2147483647 }), {
  maxItems: 1000,
  description: 'For a leader: the ids of the groups they lead. Other roles lead none.',
});
const Email = Type.Union([Type.String({ maxLength: 254 }), Type.Null()], {
  description: 'Where the account’s mail goes: a leader gets the register reports of the groups they lead there. `null` or "" removes it.',
});
const Password = Type.String({ minLength: 1, maxLength: 1024, description: 'At least 12 characters.' });

export const StaffMemberSchema = Type.Object({
  id: Type.Integer(),
  username: Type.String(),
  role: RoleSchema,
  email: Type.Union([Type.String(), Type.Null()], { description: 'Where register reports go; null: none.' }),
  groups: Type.Array(Type.Integer()),
  createdAt: Type.String({ format: 'date-time' }),
  passwordChangedAt: Type.String({ format: 'date-time' }),
});

export const StaffListSchema = Type.Object({ items: Type.Array(StaffMemberSchema) });

export const CreateStaffBodySchema = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64, description: 'Letters, digits and . _ @ -' }),
    password: Password,
    role: RoleSchema,
    groups: Type.Optional(GroupIds),
    email: Type.Optional(Email),
  },
  { additionalProperties: false },
);
export type CreateStaffBody = Static<typeof CreateStaffBodySchema>;

export const UpdateStaffBodySchema = Type.Object(
  {
    role: Type.Optional(RoleSchema),
    groups: Type.Optional(GroupIds),
    email: Type.Optional(Email),
    password: Type.Optional(Type.String({ ...Password, description: 'A new password; every session of the account ends.' })),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const StaffIdParamsSchema = Type.Object({
  id: Type.Integer({ minimum: 1, maximum: 2147483647, description: 'Staff account id.' }),
});

export const SessionSchema = Type.Object({
  username: Type.String(),
  role: RoleSchema,
  groups: Type.Array(Type.Integer(), { description: 'The groups a leader leads.' }),
  csrfToken: Type.String({ description: 'Send it as X-CSRF-Token with every change made with this session.' }),
  expiresAt: Type.String({ format: 'date-time', description: 'When the session ends at the latest.' }),
});
