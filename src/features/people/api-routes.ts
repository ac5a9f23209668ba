// /api/v1/people: the people who can be members of groups, with their badge codes. Badge codes are
// credentials (a badge checks its holder in), so every route here is for staff; PersonService decides
// what each role may do (a leader sees only the members of their groups, only owners erase).
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../app.js';
import { actorOf } from '../../plugins/access-control.js';
import {
  CreatePersonBodySchema,
  ErasureSchema,
  PersonExportSchema,
  ListPeopleQuerySchema,
  PersonCsvQuerySchema,
  PersonIdParamsSchema,
  PersonPageSchema,
  PersonSchema,
  UpdatePersonBodySchema,
} from './people-schemas.js';
import { ProblemSchema } from '../../http/problem-schema.js';
import { contentDisposition, CSV_CONTENT_TYPE, csvFileName } from '../../domain/csv.js';

const TAGS = ['people'];

export const apiV1PeopleRoutes: FastifyPluginAsync<AppContext> = async (app, { services }) => {
  const { people } = services;
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.post(
    '/people',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Create a person (owners and managers)',
        description: 'Answers 201 with the person and a new random badge code. An external reference already in use is a 409.',
        body: CreatePersonBodySchema,
        response: { 201: PersonSchema, 400: ProblemSchema, 403: ProblemSchema, 409: ProblemSchema },
      },
    },
    async (request, reply) => {
      const person = await people.create(actorOf(request), request.body);
      return reply.code(201).header('location', `/api/v1/people/${person.id}`).send(person);
    },
  );

  api.get(
    '/people',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'List or search people (staff; a leader finds the members of their groups)',
        description: 'People in id order, keyset-paginated: follow `nextCursor` until it is null.',
        querystring: ListPeopleQuerySchema,
        response: { 200: PersonPageSchema, 400: ProblemSchema, 403: ProblemSchema },
      },
    },
    async (request) => people.search(actorOf(request), request.query),
  );

  api.get(
    '/people/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'One person (staff; to a leader, anyone outside their groups is a 404)',
        params: PersonIdParamsSchema,
        response: { 200: PersonSchema, 400: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request) => people.get(actorOf(request), request.params.id),
  );

  api.patch(
    '/people/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Change a person (owners and managers)',
        description: 'Fields left out keep their value; `null` removes the external reference or e-mail.',
        params: PersonIdParamsSchema,
        body: UpdatePersonBodySchema,
        response: { 200: PersonSchema, 400: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema },
      },
    },
    async (request) => people.change(actorOf(request), request.params.id, request.body),
  );

  api.delete(
    '/people/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Delete a person (owners and managers)',
        description:
          'Removes the person, their memberships and excuses. Their check-ins stay, as walk-ins. The audit log keeps their names (who was removed) but no longer their e-mail, external reference or excuse reasons.',
        params: PersonIdParamsSchema,
        response: { 204: { description: 'Deleted.', type: 'null' }, 400: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request, reply) => {
      await people.remove(actorOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  );

  api.post(
    '/people/:id/badge',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Reissue the badge (owners and managers)',
        description: 'Gives the person a new random badge code; the old one stops working at once.',
        params: PersonIdParamsSchema,
        response: { 200: PersonSchema, 400: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request) => people.reissueBadge(actorOf(request), request.params.id),
  );

  // ---- A person's data: export and erasure -------------------------------------------------------

  api.get(
    '/people/:id/export',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Export everything stored about a person (owners and managers)',
        description:
          'The person (badge code included), their group memberships and excuses, their check-ins (those carrying their person id, and free-name ones whose names match theirs in either order, case, accents and punctuation ignored; deleted ones included) and the audit records about them (check-in records without the names of anyone else it was corrected from or to). Downloaded as `person-{id}.json`; the export itself is audited.',
        params: PersonIdParamsSchema,
        response: { 200: PersonExportSchema, 400: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request, reply) => {
      const data = await people.export(actorOf(request), request.params.id);
      return reply.header('content-disposition', `attachment; filename="person-${request.params.id}.json"`).send(data);
    },
  );

  api.get(
    '/people/:id/export.csv',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: "Export a person's check-ins as CSV (owners and managers)",
        description:
          "The check-ins of the JSON export as RFC 4180 CSV (UTF-8, CRLF; `bom=true` adds a byte-order mark for Excel), oldest first, with the check-in export's columns and formula-injection rule, plus `deleted_at` and `matched_by` (`person` or `name`). Downloaded as `person-{id}-checkins.csv`; audited.",
        params: PersonIdParamsSchema,
        querystring: PersonCsvQuerySchema,
        produces: ['text/csv'],
        response: {
          200: {
            description: 'CSV with a header line: id,occurred_at,recorded_at,firstname,lastname,gate,direction,deleted_at,matched_by',
            content: { 'text/csv': { schema: { type: 'string' } } },
          },
          400: ProblemSchema,
          403: ProblemSchema,
          404: ProblemSchema,
        },
      },
    },
    async (request, reply) => {
      const csv = await people.exportCsv(actorOf(request), request.params.id, { bom: request.query.bom });
      return reply
        .type(CSV_CONTENT_TYPE)
        .header('content-disposition', contentDisposition(csvFileName(`person-${request.params.id}-checkins`)))
        .serializer((payload) => payload as string)
        .send(csv);
    },
  );

  api.post(
    '/people/:id/erase',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Erase a person and their data for good (owners)',
        description:
          'In one transaction: deletes the person, their memberships and excuses, and their check-ins (by person id and matching free names in either order, deleted ones included; a hard delete, not the soft delete of corrections); replaces their names, e-mail, external reference and excuse reasons in the audit records about them by "(erased)"; and records one `erase` audit record holding only the counts. Cannot be undone. Export first if the person asked for their data.',
        params: PersonIdParamsSchema,
        response: { 200: ErasureSchema, 400: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request) => people.erase(actorOf(request), request.params.id),
  );
};
