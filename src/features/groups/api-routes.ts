// /api/v1/groups: groups (rosters) with their schedule, members, excuses, CSV import of members, the
// attendance register (JSON and CSV) with its cells marked by hand; and /api/v1/people/{id}/attendance,
// one person's register across their groups. Routes only translate HTTP to the group service and back; the
// service decides who may do what (a leader sees only their groups: any other answers 404).
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../app.js';
import { IMPORT_MAX_BYTES, IMPORT_MAX_LINES } from './member-import.js';
import { REGISTER_MAX_DAYS } from './group-service.js';
import { registerCsv, registerFileName, type Register } from './register.js';
import { contentDisposition, CSV_CONTENT_TYPE } from '../../domain/csv.js';
import { DomainError } from '../../domain/domain-error.js';
import { actorOf } from '../../plugins/access-control.js';
import {
  CreateGroupBodySchema,
  ExcuseBodySchema,
  ExcuseParamsSchema,
  ExcuseSchema,
  GroupIdParamsSchema,
  GroupPageSchema,
  GroupSchema,
  ImportQuerySchema,
  ImportResultSchema,
  ListGroupsQuerySchema,
  AttendanceQuerySchema,
  MarkBodySchema,
  MarkedCellSchema,
  MarkParamsSchema,
  MembershipBodySchema,
  PersonAttendanceSchema,
  PersonIdParamsSchema,
  MemberListSchema,
  MemberParamsSchema,
  MemberSchema,
  RegisterCsvQuerySchema,
  RegisterQuerySchema,
  RegisterSchema,
  UpdateGroupBodySchema,
} from './group-schemas.js';
import { ProblemSchema } from '../../http/problem-schema.js';

const TAGS = ['groups'];

export const apiV1GroupRoutes: FastifyPluginAsync<AppContext> = async (app, { services }) => {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const groups = services.groups;

  // The member import's body: CSV text (a spreadsheet's "save as CSV").
  app.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'string' }, (_request, body, done) => done(null, body));

  api.post(
    '/groups',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Create a group (owners and managers)',
        body: CreateGroupBodySchema,
        response: { 201: GroupSchema, 400: ProblemSchema },
      },
    },
    async (request, reply) => {
      const group = await groups.create(actorOf(request), request.body);
      return reply.code(201).header('location', `/api/v1/groups/${group.id}`).send(group);
    },
  );

  api.get(
    '/groups',
    {
      config: { access: 'attendance:read' },
      schema: {
        tags: TAGS,
        summary: 'List groups',
        description:
          'Groups in id order, keyset-paginated: follow `nextCursor` until it is null. A leader sees only the groups they lead; a gate token with the read scope sees every group.',
        querystring: ListGroupsQuerySchema,
        response: { 200: GroupPageSchema, 400: ProblemSchema },
      },
    },
    async (request) => groups.search(actorOf(request), request.query),
  );

  api.get(
    '/groups/:id',
    {
      config: { access: 'attendance:read' },
      schema: {
        tags: TAGS,
        summary: 'One group',
        params: GroupIdParamsSchema,
        response: { 200: GroupSchema, 400: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request) => groups.get(actorOf(request), request.params.id),
  );

  api.patch(
    '/groups/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Rename a group or replace its schedule (owners and managers)',
        params: GroupIdParamsSchema,
        body: UpdateGroupBodySchema,
        response: { 200: GroupSchema, 400: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request) => groups.change(actorOf(request), request.params.id, request.body),
  );

  api.delete(
    '/groups/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Delete a group (owners and managers)',
        description: 'Removes the group, its memberships and excuses; people and check-ins stay.',
        params: GroupIdParamsSchema,
        response: { 204: { description: 'Deleted.', type: 'null' }, 400: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request, reply) => {
      await groups.remove(actorOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  );

  // ---- Members -----------------------------------------------------------------------------------

  api.get(
    '/groups/:id/members',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Members of a group (staff; a leader only their groups)',
        params: GroupIdParamsSchema,
        response: { 200: MemberListSchema, 400: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request) => ({ items: await groups.members(actorOf(request), request.params.id) }),
  );

  api.put(
    '/groups/:id/members/:personId',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Make a person a member, or change their first and last day (owners and managers)',
        description:
          'Optional JSON body `{since?, until?}`: the first and last day (inclusive) the member is counted in the register; days outside are `not-member` and count in no total or rate. A new member is counted from today unless `since` says otherwise (null: from the start); `until` null or left out: no end. 201 when the person became a member; 200 when they already were one (only the days given change; nothing given, nothing changes). `until` before `since` is a 400 naming `until`.',
        params: MemberParamsSchema,
        body: MembershipBodySchema,
        response: { 200: MemberSchema, 201: MemberSchema, 400: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request, reply) => {
      const { added, member } = await groups.addMember(actorOf(request), request.params.id, request.params.personId, request.body ?? {});
      return reply.code(added ? 201 : 200).send(member);
    },
  );

  api.delete(
    '/groups/:id/members/:personId',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Remove a member (owners and managers)',
        description: 'The person stays; their excuses in this group go. 404 when they are not a member.',
        params: MemberParamsSchema,
        response: { 204: { description: 'Removed.', type: 'null' }, 400: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request, reply) => {
      await groups.removeMember(actorOf(request), request.params.id, request.params.personId);
      return reply.code(204).send(null);
    },
  );

  api.post(
    '/groups/:id/members/import',
    {
      config: { access: 'admin' },
      bodyLimit: IMPORT_MAX_BYTES,
      // A JSON body would otherwise fail the string schema with a message about JSON objects.
      preValidation: async (request) => {
        if (!/^text\/(csv|plain)\b/i.test(request.headers['content-type'] ?? '')) {
          throw new DomainError(415, 'Unsupported media type', 'body: send the file as CSV with Content-Type: text/csv', [
            { field: 'body', message: 'must be sent with Content-Type: text/csv' },
          ]);
        }
      },
      schema: {
        tags: TAGS,
        summary: 'Import members from CSV (owners and managers)',
        description: `CSV (Content-Type: text/csv), UTF-8 with or without BOM, fields separated by \`,\` or \`;\`, a header line naming the columns \`firstname,lastname,externalRef,email\` (firstname and lastname required), at most ${IMPORT_MAX_LINES} lines. A line with an external reference updates the person who has it, or creates one; a line without one is the member of this group with the same name (case, accents and punctuation ignored), or a new person. Everyone becomes a member. Nothing is written unless every line is valid: otherwise a 400 lists every bad line (line number, field, reason). A line repeating an earlier one exactly (every field the same) is imported once and listed in \`warnings\`; two lines naming one person with different data (the same externalRef, or without one the same name) are a 400. \`?dryRun=true\` answers what an import would do without writing anything.`,
        params: GroupIdParamsSchema,
        querystring: ImportQuerySchema,
        consumes: ['text/csv'],
        body: { type: 'string', maxLength: IMPORT_MAX_BYTES, description: 'The CSV file.' },
        response: {
          200: ImportResultSchema,
          400: ProblemSchema,
          404: ProblemSchema,
          409: ProblemSchema,
          413: ProblemSchema,
          415: ProblemSchema,
        },
      },
    },
    async (request) => groups.importMembers(actorOf(request), request.params.id, request.body as string, request.query.dryRun),
  );

  // ---- Excuses -----------------------------------------------------------------------------------

  api.put(
    '/groups/:id/members/:personId/excuses/:date',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Excuse a member from a scheduled day (owners, managers; a leader in their groups)',
        description:
          'The day counts as `excused` in the register, whatever the check-ins say. 201 when new, 200 when the reason was replaced. A day that is not on the schedule is a 400.',
        params: ExcuseParamsSchema,
        body: ExcuseBodySchema,
        response: { 200: ExcuseSchema, 201: ExcuseSchema, 400: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request, reply) => {
      const { id, personId, date } = request.params;
      const result = await groups.excuse(actorOf(request), { groupId: id, personId, date }, request.body.reason);
      return reply.code(result.created ? 201 : 200).send(result.excuse);
    },
  );

  api.delete(
    '/groups/:id/members/:personId/excuses/:date',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Withdraw an excuse (owners, managers; a leader in their groups)',
        params: ExcuseParamsSchema,
        response: { 204: { description: 'Withdrawn.', type: 'null' }, 400: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request, reply) => {
      const { id, personId, date } = request.params;
      await groups.withdrawExcuse(actorOf(request), { groupId: id, personId, date });
      return reply.code(204).send(null);
    },
  );

  // ---- Marking by hand ---------------------------------------------------------------------------

  api.put(
    '/groups/:id/register/:date/:personId',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Mark a register cell by hand (owners, managers; a leader in their groups)',
        description:
          "Sets a member's cell to `present`, `late`, `absent` or `excused`, whatever the check-ins say; the register then shows it with `marked` (who, when, why). `excused` needs a `reason` (it is the excuse of PUT …/excuses/{date}). Only a scheduled day of the group, today or earlier, within the membership: otherwise a 400 naming `date`. 201 when the cell was not marked, 200 when its mark was replaced. Audited.",
        params: MarkParamsSchema,
        body: MarkBodySchema,
        response: { 200: MarkedCellSchema, 201: MarkedCellSchema, 400: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request, reply) => {
      const { id, date, personId } = request.params;
      const { cell, created } = await groups.mark(actorOf(request), { groupId: id, personId, date }, request.body);
      return reply.code(created ? 201 : 200).send(cell);
    },
  );

  api.delete(
    '/groups/:id/register/:date/:personId',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Return a marked cell to what the check-ins say (owners, managers; a leader in their groups)',
        description: 'Removes the mark (or excuse) of the cell. 404 when nothing was marked. Audited.',
        params: MarkParamsSchema,
        response: { 204: { description: 'Unmarked.', type: 'null' }, 400: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request, reply) => {
      const { id, date, personId } = request.params;
      await groups.unmark(actorOf(request), { groupId: id, personId, date });
      return reply.code(204).send(null);
    },
  );

  api.get(
    '/people/:id/attendance',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['people'],
        summary: "A person's attendance in each of their groups (staff; a leader only their groups' people)",
        description:
          'For each group the person is a member of: the scheduled days from `from` to `to` (default: the last 30 days up to today) with the same statuses, flags, totals and rate as the register. A leader sees only their groups, and a person in none of them is a 404.',
        params: PersonIdParamsSchema,
        querystring: AttendanceQuerySchema,
        response: { 200: PersonAttendanceSchema, 400: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request) => groups.personAttendance(actorOf(request), request.params.id, request.query),
  );

  // ---- The register ------------------------------------------------------------------------------

  api.get(
    '/groups/:id/register',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Attendance register of a group (staff; a leader only their groups)',
        description: `For each scheduled day from \`from\` to \`to\` (at most ${REGISTER_MAX_DAYS} days, calendar days in APP_TIMEZONE): each member's status with first arrival and last departure, each member's totals and attendance rate, and per-day totals. A check-in counts for a member when it carries the member's person id, or when its names match exactly one member of the group (case, accents and punctuation ignored). Members whose membership (\`since\`–\`until\`) overlaps the range are listed; a day outside it is \`not-member\` and counts nowhere. See \`status\` for the rules, \`checkoutOnly\` and \`marked\` for the flags.`,
        params: GroupIdParamsSchema,
        querystring: RegisterQuerySchema,
        response: { 200: RegisterSchema, 400: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request, reply) => {
      const json = await groups.registerJson(actorOf(request), request.params.id, request.query);
      // Built as JSON by PostgreSQL: sent as it is, without parsing and serialising it again.
      return reply
        .type('application/json; charset=utf-8')
        .serializer((payload) => payload as string)
        .send(json as unknown as Register);
    },
  );

  api.get(
    '/groups/:id/register.csv',
    {
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Attendance register as CSV (staff; a leader only their groups)',
        description:
          "The register as RFC 4180 CSV (UTF-8, CRLF; `bom=true` adds a byte-order mark for Excel): one row per member (lastname, firstname, externalRef), one column per scheduled day holding the status, then present, late, absent, excused and the rate. Names starting with = + - @ TAB or CR (also after NFKC normalisation, e.g. full-width ＝, and after leading invisible characters) are prefixed with ' as in every export. Named barona-register-{id}-{from}_to_{to}.csv.",
        params: GroupIdParamsSchema,
        querystring: RegisterCsvQuerySchema,
        produces: ['text/csv'],
        response: {
          200: { description: 'CSV with a header line.', content: { 'text/csv': { schema: { type: 'string' } } } },
          400: ProblemSchema,
          404: ProblemSchema,
        },
      },
    },
    async (request, reply) => {
      const { bom, ...range } = request.query;
      const register = await groups.register(actorOf(request), request.params.id, range);
      return reply
        .type(CSV_CONTENT_TYPE)
        .header('content-disposition', contentDisposition(registerFileName(register)))
        .header('cache-control', 'no-store')
        .serializer((payload) => payload as string)
        .send(registerCsv(register, { bom }));
    },
  );
};
