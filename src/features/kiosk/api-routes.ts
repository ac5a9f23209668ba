// /api/v1/kiosk: what the gate kiosk needs besides POST /api/v1/checkins, with a gate token's `checkin`
// scope (or a staff session). The roster the kiosk keeps for scanning offline (with an ETag: 304 when the
// kiosk's copy is current; never stored by a cache, it holds badge codes). A person who forgot their badge finds themselves by name (only names are
// searched and answered, never a badge code, e-mail or reference), and the kiosk may undo the check-in it
// just made (kiosk-service.ts holds the rules).
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../app.js';
import { actorOf } from '../../plugins/access-control.js';
import { CheckinIdParamsSchema, CheckinSchema } from '../checkins/checkin-schemas.js';
import { ROSTER_MATCHES, UNDO_WINDOW_SECONDS } from './kiosk-service.js';
import { Type } from 'typebox';
import {
  KioskPeopleQuerySchema,
  KioskPeopleSchema,
  KioskRosterSchema,
  RosterHeadersSchema,
  UndoCheckinBodySchema,
} from './kiosk-schemas.js';
import { ProblemSchema } from '../../http/problem-schema.js';

const TAGS = ['kiosk'];

/** True when an If-None-Match header names `etag` (or is `*`); weak comparison, as RFC 9110 asks for GET. */
function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag);
}

export const apiV1KioskRoutes: FastifyPluginAsync<AppContext> = async (app, { services }) => {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.get(
    '/kiosk/roster',
    {
      config: { access: 'checkin' },
      schema: {
        tags: TAGS,
        summary: 'The people a kiosk may scan',
        description:
          'Everyone the kiosk may check in by badge (gates are not limited to groups, so everyone): id, names and badge code, for scanning without the network. Answered with a strong `ETag`; send it back as `If-None-Match` and an unchanged roster is a 304 without a body. `Cache-Control: private, no-store`: badge codes are kept by the kiosk itself, never by a cache on the way.',
        headers: RosterHeadersSchema,
        response: {
          200: KioskRosterSchema,
          304: Type.Null({ description: 'Not modified: the roster of the ETag sent is still current.' }),
          400: ProblemSchema,
          401: ProblemSchema,
          403: ProblemSchema,
        },
      },
    },
    async (request, reply) => {
      const roster = await services.kiosk.roster(actorOf(request));
      reply.header('etag', roster.etag).header('cache-control', 'private, no-store');
      if (matchesEtag(request.headers['if-none-match'], roster.etag)) return reply.code(304).send(null);
      return { items: roster.people };
    },
  );

  api.get(
    '/kiosk/people',
    {
      config: { access: 'checkin' },
      schema: {
        tags: TAGS,
        summary: 'Find a person by name at the kiosk',
        description: `For someone without their badge: at most ${ROSTER_MATCHES} people whose names match \`q\`, with only id and names. Check them in with POST /api/v1/checkins and \`personId\`.`,
        querystring: KioskPeopleQuerySchema,
        response: { 200: KioskPeopleSchema, 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema },
      },
    },
    async (request) => ({ items: await services.kiosk.search(actorOf(request), request.query.q) }),
  );

  api.post(
    '/kiosk/checkins/:id/undo',
    {
      config: { access: 'checkin' },
      schema: {
        tags: TAGS,
        summary: 'Undo a check-in just made at this kiosk',
        description: `Deletes the entry (audited like any deletion; an admin can restore it) when it was recorded at most ${UNDO_WINDOW_SECONDS / 60} minutes ago at \`gate\`, the kiosk's gate (for a token bound to a gate: that gate). A gate token undoes only a check-in it recorded itself, with an Idempotency-Key, as the kiosk sends every check-in; any other entry is answered 404, like one that does not exist. A staff session that may correct attendance undoes any entry of the kiosk's gate (403 for another gate). 409 once the time is up (an admin can still delete it).`,
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
    async (request) => services.kiosk.undo(actorOf(request), request.params.id, request.body.gate),
  );
};
