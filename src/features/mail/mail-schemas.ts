// What /api/v1/mail, /api/v1/people/{id}/badge/send, /api/v1/people/{id}/contacts,
// /api/v1/groups/{id}/alerts and /api/v1/groups/{id}/reports take and answer.
import { Type } from 'typebox';
import { CONTACTS_MAX, MESSAGES_LIMIT_MAX } from './mail-service.js';

const Time = Type.String({ format: 'date-time' });

export const MailMessageSchema = Type.Object({
  id: Type.Integer(),
  purpose: Type.Enum(['badge', 'absence-alert', 'register-report'], {
    description:
      '`badge`: a person’s badge; `absence-alert`: a contact told of an absence; `register-report`: a day’s or week’s register to a leader.',
  }),
  recipient: Type.String({ description: 'The address it went to.' }),
  subject: Type.String(),
  personId: Type.Union([Type.Integer(), Type.Null()], { description: 'Whom it was about.' }),
  groupId: Type.Union([Type.Integer(), Type.Null()]),
  requestedBy: Type.String({ description: 'Who asked for it (a username, or the scheduler).' }),
  createdAt: Time,
  state: Type.Enum(['pending', 'delivered', 'failed', 'cancelled'], {
    description:
      '`pending`: queued or waiting for a retry; `delivered`: accepted by the mail server; `failed`: refused for good (5xx) or out of retries. The body is not kept once done.',
  }),
  attempts: Type.Integer(),
  doneAt: Type.Union([Time, Type.Null()]),
  lastAttempt: Type.Union([
    Type.Object({
      at: Time,
      ok: Type.Boolean(),
      status: Type.Union([Type.Integer(), Type.Null()], { description: 'The SMTP reply code; null: no answer.' }),
      error: Type.Union([Type.String(), Type.Null()]),
    }),
    Type.Null(),
  ]),
});

export const MailMessagePageSchema = Type.Object({
  configured: Type.Boolean({ description: 'false: SMTP_URL is not set, nothing is queued or sent.' }),
  items: Type.Array(MailMessageSchema),
  nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `cursor` for older messages; null on the last page.' }),
});

export const MailMessageQuerySchema = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: MESSAGES_LIMIT_MAX, default: 50, description: 'Messages per page.' }),
  cursor: Type.Optional(Type.String({ maxLength: 200, description: 'From the previous page’s nextCursor.' })),
});

export const IdParamsSchema = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2147483647 }) });

export const BadgeSentSchema = Type.Object({
  queued: Type.Integer({ description: 'Messages queued (0 when the person has no e-mail address).' }),
  withoutEmail: Type.Array(Type.Object({ id: Type.Integer(), firstname: Type.String(), lastname: Type.String() })),
});

const ContactSchema = Type.Object(
  {
    email: Type.String({ minLength: 3, maxLength: 254, description: 'An e-mail address like name@example.org.' }),
    name: Type.Optional(Type.String({ maxLength: 100, description: 'Who it is (a parent, a guardian).' })),
  },
  { additionalProperties: false },
);

export const ContactsSchema = Type.Object({
  items: Type.Array(Type.Object({ email: Type.String(), name: Type.String() })),
});

export const ContactsBodySchema = Type.Object(
  {
    items: Type.Array(ContactSchema, {
      maxItems: CONTACTS_MAX,
      description: `The contacts, in order (at most ${CONTACTS_MAX}); [] removes them.`,
    }),
  },
  { additionalProperties: false },
);

export const AlertsSchema = Type.Object({
  absenceAlerts: Type.Boolean({
    description:
      'true: the contacts of each member who is absent today (past start + grace, not excused, not marked present or late) get one e-mail that day.',
  }),
});

export const AlertsBodySchema = Type.Object({ absenceAlerts: AlertsSchema.properties.absenceAlerts }, { additionalProperties: false });

export const ReportsSchema = Type.Object({
  schedule: Type.Enum(['off', 'daily', 'weekly'], {
    description:
      'The register report to the group’s leaders (staff with role leader who lead the group and have an e-mail address): `daily`: the previous attendance day’s register, once that day has ended; `weekly`: on Mondays, the register of the seven days before (Monday to Sunday); `off`: none. Counts per status and the names of the absent and late members; only periods with a scheduled day are sent.',
  }),
  recipients: Type.Integer({ description: 'How many of the group’s leaders have an e-mail address: whom the report goes to.' }),
});

export const ReportsBodySchema = Type.Object({ schedule: ReportsSchema.properties.schedule }, { additionalProperties: false });
