// What the gate kiosk asks besides recording check-ins: the roster it keeps, the roster search for a
// person without their badge, and undoing the last check-in.
import { Type, type Static } from 'typebox';
import { SafeText } from '../../http/text-schema.js';

export const KioskPeopleQuerySchema = Type.Object(
  {
    q: SafeText({
      minLength: 2,
      maxLength: 100,
      description:
        'Part of the name (at least 2 letters or digits), insensitive to case, accents and punctuation, in any order: `zolc` finds Żółć.',
    }),
  },
  { additionalProperties: false },
);
export type KioskPeopleQuery = Static<typeof KioskPeopleQuerySchema>;

export const KioskPersonSchema = Type.Object({
  id: Type.Integer({ description: 'Send as `personId` to POST /api/v1/checkins.' }),
  firstname: Type.String(),
  lastname: Type.String(),
});

export const KioskPeopleSchema = Type.Object({
  items: Type.Array(KioskPersonSchema, {
    description: 'At most 10 people, by last and first name. Only names: no badge, e-mail or reference.',
  }),
});

export const UndoCheckinBodySchema = Type.Object(
  {
    gate: SafeText({ maxLength: 100, description: "The kiosk's gate: the entry must have been recorded there." }),
  },
  { additionalProperties: false },
);

export const KioskRosterSchema = Type.Object({
  items: Type.Array(
    Type.Object({
      id: Type.Integer({ description: 'Send as `personId` to POST /api/v1/checkins.' }),
      firstname: Type.String(),
      lastname: Type.String(),
      badge: Type.String({ description: "The person's badge code: what their badge's QR code holds." }),
    }),
    { description: 'Everyone the kiosk may scan, by id.' },
  ),
});

export const RosterHeadersSchema = Type.Object({
  'if-none-match': Type.Optional(
    Type.String({ maxLength: 2000, description: 'The ETag of the roster the kiosk holds: 304 (no body) when it is still current.' }),
  ),
});
