// /api/v1/days/{date}/summary: totals of one attendance day, per gate and per hour, and who is inside.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../app.js';
import { actorOf } from '../../plugins/access-control.js';
import { calendarDay, DayParamsSchema, DaySummaryQuerySchema, DaySummarySchema } from './checkin-schemas.js';
import { ProblemSchema } from '../../http/problem-schema.js';

export const apiV1DayRoutes: FastifyPluginAsync<AppContext> = async (app, { services }) => {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.get(
    '/days/:date/summary',
    {
      config: { access: 'attendance:read' },
      schema: {
        tags: ['days'],
        summary: 'Summary of one day',
        description:
          'Totals (check-ins and check-outs counted apart), per gate and per hour of the attendance day (from DAY_STARTS_AT in APP_TIMEZONE to the same time the next day; 23 or 25 hours on DST change days), of one gate with `gate`, and how many people are inside.',
        params: DayParamsSchema,
        querystring: DaySummaryQuerySchema,
        response: { 200: DaySummarySchema, 400: ProblemSchema, 403: ProblemSchema },
      },
    },
    async (request) => services.checkins.summarizeDay(actorOf(request), calendarDay('date', request.params.date), request.query.gate),
  );
};
