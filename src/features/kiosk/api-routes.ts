// /api/v1/kiosk: what the gate kiosk needs besides POST /api/v1/checkins, with a gate token's `checkin`
// scope (or an admin session). A person who forgot their badge finds themselves by name (only names are
// answered, never a badge code, e-mail or reference), and the kiosk may undo the check-in it just made:
// within UNDO_WINDOW_SECONDS of being recorded, at the kiosk's own gate, as an audited deletion.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../app.js';
import { DomainError } from '../../domain/domain-error.js';
import { getCheckin } from '../checkins/checkin-service.js';
import { searchPeople } from '../people/person-service.js';
import { actorNameOf } from '../../plugins/access-control.js';
import { CheckinIdParamsSchema, CheckinSchema } from '../checkins/checkin-schemas.js';
import { KioskPeopleQuerySchema, KioskPeopleSchema, UndoCheckinBodySchema } from './kiosk-schemas.js';
import { ProblemSchema } from '../../http/problem-schema.js';

/** How long after it was recorded a kiosk may take a check-in back. */
export const UNDO_WINDOW_SECONDS = 120;
const MATCHES = 10;
const TAGS = ['kiosk'];

export const apiV1KioskRoutes: FastifyPluginAsync<AppContext> = async (app, { db, checkins }) => {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.get(
    '/kiosk/people',
    {
      config: { access: 'checkin' },
      schema: {
        tags: TAGS,
        summary: 'Find a person by name at the kiosk',
        description: `For someone without their badge: at most ${MATCHES} people whose names match \`q\`, with only id and names. Check them in with POST /api/v1/checkins and \`personId\`.`,
        querystring: KioskPeopleQuerySchema,
        response: { 200: KioskPeopleSchema, 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema },
      },
    },
    async (request) => {
      const q = request.query.q;
      if (q.replace(/[\s\p{P}\p{S}]/gu, '').length < 2) throw DomainError.invalid('q', 'needs at least 2 letters or digits');
      const { items } = await searchPeople(db, { q, limit: MATCHES });
      const byName = new Intl.Collator(undefined, { sensitivity: 'base' });
      return {
        items: items
          .map(({ id, firstname, lastname }) => ({ id, firstname, lastname }))
          .sort((a, b) => byName.compare(a.lastname, b.lastname) || byName.compare(a.firstname, b.firstname) || a.id - b.id),
      };
    },
  );

  api.post(
    '/kiosk/checkins/:id/undo',
    {
      config: { access: 'checkin' },
      schema: {
        tags: TAGS,
        summary: 'Undo a check-in just made at this kiosk',
        description: `Deletes the entry (audited like any deletion; an admin can restore it) when it was recorded at most ${UNDO_WINDOW_SECONDS / 60} minutes ago at \`gate\`, the kiosk's gate (for a token bound to a gate: that gate). 403 for an entry of another gate, 409 once the time is up (an admin can still delete it).`,
        params: CheckinIdParamsSchema,
        body: UndoCheckinBodySchema,
        response: {
          200: CheckinSchema,
          400: ProblemSchema,
          401: ProblemSchema,
          403: ProblemSchema,
          404: ProblemSchema,
          409: ProblemSchema,
        },
      },
    },
    async (request) => {
      const entry = await getCheckin(db, request.params.id);
      const principal = request.principal;
      const gate = principal?.kind === 'token' && principal.token.gate !== '' ? principal.token.gate : request.body.gate.trim();
      if (entry.gate !== gate) {
        throw new DomainError(
          403,
          'Forbidden',
          `Check-in ${entry.id} was recorded at gate "${entry.gate}"; a kiosk at gate "${gate}" cannot undo it.`,
        );
      }
      const age = Date.now() - Date.parse(entry.recordedAt);
      if (age > UNDO_WINDOW_SECONDS * 1000) {
        throw new DomainError(
          409,
          'Too late to undo',
          `Check-in ${entry.id} was recorded more than ${UNDO_WINDOW_SECONDS / 60} minutes ago; only an admin can delete it now.`,
        );
      }
      await checkins.delete(actorNameOf(request), entry.id);
      return entry;
    },
  );
};
