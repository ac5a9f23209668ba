// /api/v1/checkins: record, list, read, correct and delete check-ins, and export them as CSV.
// Routes only translate HTTP to the check-in service and back; the service checks the caller's role,
// and audits corrections and deletions in their own transaction.
import type { Readable } from 'node:stream';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../app.js';
import { actorOf } from '../../plugins/access-control.js';
import { EXPORT_MAX_DAYS } from './checkin-service.js';
import { exportFileName } from './csv.js';
import { contentDisposition, CSV_CONTENT_TYPE } from '../../domain/csv.js';
import {
  calendarDay,
  CheckinIdParamsSchema,
  CheckinPageSchema,
  CheckinSchema,
  CorrectCheckinBodySchema,
  CreateCheckinBodySchema,
  CreateCheckinHeadersSchema,
  CreateCheckinResultSchema,
  ExportQuerySchema,
  ListCheckinsQuerySchema,
} from './checkin-schemas.js';
import { ProblemSchema } from '../../http/problem-schema.js';

const TAGS = ['checkins'];

export const apiV1CheckinRoutes: FastifyPluginAsync<AppContext> = async (app, { config, services }) => {
  const { checkins } = services;
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  // An export whose client stopped reading would hold graceful shutdown until the hard timeout: once
  // shutdown starts, exports get most of SHUTDOWN_TIMEOUT_SECONDS to finish, then their connection is cut.
  const runningExports = new Set<Readable>();
  app.addHook('preClose', async () => {
    if (runningExports.size === 0) return;
    const graceMs = Math.max(0, config.shutdownTimeoutSeconds - 2) * 1000;
    setTimeout(() => {
      for (const stream of runningExports) stream.destroy(new Error('export cut short: the server is shutting down'));
    }, graceMs).unref();
  });

  api.post(
    '/checkins',
    {
      config: { access: 'checkin' },
      schema: {
        tags: TAGS,
        summary: 'Record a check-in or check-out',
        description:
          'Stores one passage of a gate and answers 201 with it. The person is named by `firstname` and `lastname` (a walk-in; it counts for a roster member whose name matches exactly one person), or by `personId` or `badge` (the names then come from the person). The same person (names compared case- and accent-insensitively) at the same gate in the same direction within DUPLICATE_WINDOW_SECONDS (default 120) is not stored again: the answer is 200 with the earlier entry and `duplicate: true`. With an Idempotency-Key, a retry answers like the first request (header `Idempotent-Replayed: true`).',
        headers: CreateCheckinHeadersSchema,
        body: CreateCheckinBodySchema,
        response: {
          200: CreateCheckinResultSchema,
          201: CreateCheckinResultSchema,
          400: ProblemSchema,
          403: ProblemSchema,
          404: ProblemSchema,
          409: ProblemSchema,
          422: ProblemSchema,
        },
      },
    },
    async (request, reply) => {
      const key = request.headers['idempotency-key'];
      const actor = actorOf(request);
      const result = await checkins.create(actor, request.body, { idempotency: key === undefined ? undefined : { key } });
      reply.code(result.duplicate ? 200 : 201).header('location', `/api/v1/checkins/${result.entry.id}`);
      if (result.replayed) reply.header('idempotent-replayed', 'true');
      if (result.entry.direction !== 'out') return { ...result.entry, duplicate: result.duplicate };
      return { ...result.entry, duplicate: result.duplicate, arrivalMissing: await checkins.isCheckoutWithoutArrival(actor, result.entry) };
    },
  );

  api.get(
    '/checkins',
    {
      config: { access: 'attendance:read' },
      schema: {
        tags: TAGS,
        summary: "List a day's check-ins",
        description:
          'Entries of one attendance day (it begins at DAY_STARTS_AT in APP_TIMEZONE) in id order (`order=desc`: newest first), keyset-paginated: follow `nextCursor` until it is null, `prevCursor` back. Pages never repeat or skip an entry, even while new ones arrive.',
        querystring: ListCheckinsQuerySchema,
        response: { 200: CheckinPageSchema, 400: ProblemSchema, 403: ProblemSchema },
      },
    },
    async (request) => {
      const { date, gate, q, limit, cursor, order } = request.query;
      const day = date === undefined ? checkins.today() : calendarDay('date', date);
      return checkins.listDay(actorOf(request), { day, gate, q, limit, cursor, order });
    },
  );

  api.get(
    '/checkins.csv',
    {
      config: { access: 'attendance:read' },
      schema: {
        tags: TAGS,
        summary: 'Export check-ins as CSV',
        description: `RFC 4180 CSV (UTF-8, CRLF; \`bom=true\` adds a byte-order mark for Excel) of the days from \`from\` to \`to\` (at most ${EXPORT_MAX_DAYS} days), ordered by time, streamed from the database. The file is named after the days and the gate, e.g. barona-checkins-2026-11-27-gate-north.csv. Names and gates starting with = + - @ TAB or CR (also after NFKC normalisation, e.g. full-width ＝, and after leading invisible characters such as zero-width spaces) are prefixed with ' so spreadsheets do not run them as formulas.`,
        querystring: ExportQuerySchema,
        produces: ['text/csv'],
        response: {
          200: {
            description: 'CSV with a header line: id,occurred_at,recorded_at,firstname,lastname,gate,direction',
            content: { 'text/csv': { schema: { type: 'string' } } },
          },
          400: ProblemSchema,
          403: ProblemSchema,
        },
      },
    },
    async (request, reply) => {
      const from = calendarDay('from', request.query.from);
      const to = request.query.to === undefined ? from : calendarDay('to', request.query.to);
      const range = { from, to, gate: request.query.gate };
      const csv = checkins.exportCsv(actorOf(request), range, { bom: request.query.bom });
      runningExports.add(csv);
      csv.once('close', () => runningExports.delete(csv));
      return (
        reply
          .type(CSV_CONTENT_TYPE)
          .header('content-disposition', contentDisposition(exportFileName(range)))
          .header('cache-control', 'no-store')
          // A stream bypasses the response serializer; the schema above only documents the CSV.
          .send(csv as unknown as string)
      );
    },
  );

  api.get(
    '/checkins/:id',
    {
      config: { access: 'attendance:read' },
      schema: {
        tags: TAGS,
        summary: 'One check-in',
        params: CheckinIdParamsSchema,
        response: { 200: CheckinSchema, 400: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request) => checkins.get(actorOf(request), request.params.id),
  );

  api.patch(
    '/checkins/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Correct a check-in, move it in time or link it to a person (admin)',
        description:
          'Changes names, gate, direction or time (`occurredAt`, signed-in staff only: the entry moves to the day of its new time) of an entry, or links it to a person with `personId` (null unlinks); fields left out keep their value. Audited with the old and the new values.',
        params: CheckinIdParamsSchema,
        body: CorrectCheckinBodySchema,
        response: { 200: CheckinSchema, 400: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema, 422: ProblemSchema },
      },
    },
    async (request) => (await checkins.correct(actorOf(request), request.params.id, request.body)).entry,
  );

  api.delete(
    '/checkins/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Delete a check-in (admin)',
        description: 'Soft delete: the entry disappears from lists, attendance sheets, summaries and exports.',
        params: CheckinIdParamsSchema,
        response: { 204: { description: 'Deleted.', type: 'null' }, 400: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request, reply) => {
      await checkins.delete(actorOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  );
};
