// The seed's REST API (Django REST Framework, 2019), kept byte-compatible for old clients:
// POST /table/create, GET /table/view/date:YYYYMMDD | date:today, GET /table/.
import os from 'node:os';
import type { FastifyPluginAsync } from 'fastify';
import { localDate, parseCompactDate } from '../../domain/calendar.js';
import type { AppContext } from '../../app.js';
import { actorOf } from '../../plugins/access-control.js';
import { type FieldFault, TEXT_MAX } from './checkin-fields.js';
import { DomainError } from '../../domain/domain-error.js';
import type { CheckinEntry } from './checkin-repository.js';

const INVALID_DATE = 'Invalid date. Use YYYYMMDD.';
/** The seed (Django REST Framework) refused a caller without the right in these words. */
const NO_PERMISSION = 'You do not have permission to perform this action.';

/** The seed's serializer (Django REST Framework) worded the field rule's faults like this. */
const SEED_MESSAGES: Record<FieldFault, string> = {
  required: 'This field is required.',
  null: 'This field may not be null.',
  'not-text': 'Not a valid string.',
  nul: 'Null characters are not allowed.',
  blank: 'This field may not be blank.',
  'too-long': `Ensure this field has no more than ${TEXT_MAX} characters.`,
  'not-direction': 'Not a valid choice.',
};

/** Answers every method but the allowed one with 405 and an Allow header, as the seed did. */
function methodNotAllowed(allowed: string) {
  return async (request: { method: string }, reply: import('fastify').FastifyReply) =>
    reply
      .code(405)
      .header('allow', `${allowed}, OPTIONS`)
      .send({ detail: `Method "${request.method}" not allowed.` });
}

const OTHER_METHODS = ['GET', 'PUT', 'PATCH', 'DELETE'] as const;

/** A role's refusal (403) in the seed's words, as access control words a token's; anything else as it is. */
function seedRefusal(error: unknown): unknown {
  return error instanceof DomainError && error.status === 403 ? new DomainError(403, error.title, NO_PERMISSION) : error;
}

export const seedTableRoutes: FastifyPluginAsync<AppContext> = async (app, { config, services }) => {
  const { checkins } = services;
  app.post('/table/create', { config: { access: 'checkin' } }, async (request, reply) => {
    const body = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return reply.code(400).send({ non_field_errors: ['Invalid data. Expected a dictionary, but got a list or value.'] });
    }
    const { firstname, lastname, gate } = body as Record<string, unknown>;
    let checkin: CheckinEntry;
    try {
      // `login` is always the server's clock (a client-sent value is ignored), and the seed never
      // looked for duplicates.
      ({ entry: checkin } = await checkins.create(actorOf(request), { firstname, lastname, gate }, { detectDuplicates: false }));
    } catch (error) {
      if (!(error instanceof DomainError) || error.faults.length === 0) throw seedRefusal(error);
      return reply.code(400).send(Object.fromEntries(error.faults.map(({ field, fault }) => [field, [SEED_MESSAGES[fault]]])));
    }
    return reply.code(201).send({
      id: checkin.id,
      login: checkin.occurredAt,
      firstname: checkin.firstname,
      lastname: checkin.lastname,
      gate: checkin.gate,
    });
  });
  for (const method of OTHER_METHODS)
    app.route({ method, url: '/table/create', config: { access: 'public' }, handler: methodNotAllowed('POST') });

  app.get<{ Params: { spec: string } }>('/table/view/:spec', { config: { access: 'attendance:read' } }, async (request, reply) => {
    const spec = request.params.spec;
    const day = spec === 'date:today' ? localDate(config.timezone) : spec.startsWith('date:') ? parseCompactDate(spec.slice(5)) : undefined;
    if (day === undefined) return reply.code(400).type('text/plain; charset=utf-8').send(INVALID_DATE);
    // A client that holds the current sheet is told so without the sheet being built or sent; an
    // unchanged sheet this process built before is sent from memory (both after asking for its ETag).
    const { answer, etag, sheet } = await checkins
      .daySheet(actorOf(request), day, request.headers['if-none-match'])
      .catch((error: unknown) => Promise.reject(seedRefusal(error)));
    app.metrics.countDaySheetRead(answer);
    if (!sheet) return reply.code(304).header('etag', etag).send();
    return reply
      .type('application/json; charset=utf-8')
      .header('etag', sheet.etag)
      .header('content-length', sheet.byteLength)
      .send(sheet.body);
  });

  app.get('/table', { config: { access: 'public' } }, async (_request, reply) => {
    const addresses = Object.values(os.networkInterfaces())
      .flat()
      .filter((address) => address && !address.internal)
      .map((address) => address!.address);
    const lines = [
      `Barona attendance service on ${os.hostname()} (${addresses.join(', ') || 'no external address'})`,
      '',
      'Seed API:',
      '  POST /table/create                  {"firstname","lastname","gate"} -> 201 entry',
      '  GET  /table/view/date:YYYYMMDD      attendance sheet of one day',
      '  GET  /table/view/date:today         attendance sheet of today',
      '  GET  /admin                         admin sign-in',
      'Versioned API: /api/v1 (OpenAPI at /api/openapi.json)',
      'Health: /healthz /readyz /metrics',
      '',
    ];
    return reply.type('text/plain; charset=utf-8').send(lines.join('\n'));
  });
};
