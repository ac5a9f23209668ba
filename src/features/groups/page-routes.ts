// /admin/groups: the groups (rosters) with their schedule in words and member count, a new group;
// /admin/groups/{id}: its name and schedule (each refusal shown next to its field), its members (remove;
// add by searching people), the CSV import (a preview of every line's result before anything is
// written, then all or nothing), its e-mail (absence alerts and the register report, the mail service's)
// and deleting it. Every read and change goes through the group service,
// which decides what the signed-in role may do; the pages only offer what it may (group-views.ts).
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../app.js';
import { DomainError, type LineError } from '../../domain/domain-error.js';
import { idOf, pageUserOf } from '../../http/page-request.js';
import { actorOf } from '../../plugins/access-control.js';
import { fieldErrorsOf, formText, type FormBody } from '../../views/form.js';
import { notice, userCan, type PageUser } from '../../views/layout.js';
import type { SafeHtml } from '../../views/html.js';
import type { Group } from './group-service.js';
import {
  countsInWords,
  forbiddenPage,
  formFieldOf,
  formOfBody,
  groupInput,
  groupNotFoundPage,
  groupPage,
  HTML,
  listPage,
  notFoundAsUndefined,
  type GroupPageState,
  type ImportState,
} from './group-views.js';
import { IMPORT_MAX_BYTES, parseMembersCsv } from './member-import.js';
import { groupMailCard } from '../mail/mail-views.js';

const GROUPS_PER_PAGE = 100;
const SEARCH_RESULTS = 20;

const DONE: Record<string, string> = {
  created: 'Group created.',
  saved: 'Name and schedule saved.',
  deleted: 'Group deleted.',
  added: 'Member added.',
  removed: 'Member removed.',
  mail: 'E-mail settings saved.',
};

// ---- Routes --------------------------------------------------------------------------------------

export const adminGroupRoutes: FastifyPluginAsync<AppContext> = async (app, { services }) => {
  const { groups, people } = services;

  /** The group, or undefined once its 404 page is sent (no such group, or not one the user may see). */
  async function loadGroup(request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply): Promise<Group | undefined> {
    const id = idOf(request.params.id);
    const group = id === undefined ? undefined : await groups.get(actorOf(request), id).catch(notFoundAsUndefined);
    if (!group) {
      await reply
        .code(404)
        .type(HTML)
        .send(groupNotFoundPage(pageUserOf(request), request.params.id));
    }
    return group;
  }

  /** The group page with what it needs read: members, and the people search when asked for. */
  async function showGroup(user: PageUser, group: Group, state: GroupPageState = {}): Promise<string> {
    const actor = user.actor!;
    const list = await groups.members(actor, group.id);
    const q = state.q ?? '';
    const found = q !== '' && userCan(user, 'groups:write') ? await people.search(actor, { q, limit: SEARCH_RESULTS }) : undefined;
    const [alerts, reports] = await Promise.all([services.mail.alerts(actor, group.id), services.mail.reports(actor, group.id)]);
    const mail = groupMailCard(user, group.id, alerts.absenceAlerts, reports, services.mail.configured);
    return groupPage(user, group, list, { ...state, found, mail });
  }

  /**
   * A refused change: a role that may not make it gets the 403 page; anything else the domain refused
   * (no such person, not a member) is shown on the group page with the status it chose.
   */
  async function refused(request: FastifyRequest, reply: FastifyReply, group: Group, error: unknown, q?: string) {
    if (!(error instanceof DomainError)) throw error;
    const user = pageUserOf(request);
    if (error.status === 403) {
      return reply
        .code(403)
        .type(HTML)
        .send(forbiddenPage(user, error, `/admin/groups/${group.id}`));
    }
    return reply
      .code(error.status)
      .type(HTML)
      .send(await showGroup(user, group, { message: notice('error', error.detail), q }));
  }

  app.get<{ Querystring: { done?: string; cursor?: string } }>(
    '/admin/groups',
    { config: { access: 'admin-page' } },
    async (request, reply) => {
      const user = pageUserOf(request);
      const cursor = request.query.cursor?.slice(0, 500) || undefined;
      const list = await groups.search(actorOf(request), { limit: GROUPS_PER_PAGE, cursor }).catch((error: unknown) => {
        // A cursor this list did not hand out (edited by hand) shows an empty page, not an error.
        if (error instanceof DomainError && error.status === 400) return { items: [], nextCursor: null };
        throw error;
      });
      const done = DONE[request.query.done ?? ''];
      return reply.type(HTML).send(listPage(user, list, { message: done ? notice('success', done) : '' }));
    },
  );

  app.post<{ Body: FormBody }>('/admin/groups', { config: { access: 'admin-page' } }, async (request, reply) => {
    const user = pageUserOf(request);
    const form = formOfBody(request.body);
    try {
      const group = await groups.create(actorOf(request), groupInput(form));
      return reply.redirect(`/admin/groups/${group.id}?done=created`, 303);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      if (error.status === 403)
        return reply
          .code(403)
          .type(HTML)
          .send(forbiddenPage(user, error, '/admin/groups'));
      const list = await groups.search(actorOf(request), { limit: GROUPS_PER_PAGE });
      return reply
        .code(400)
        .type(HTML)
        .send(listPage(user, list, { form, errors: fieldErrorsOf(error, formFieldOf) }));
    }
  });

  app.get<{
    Params: { id: string };
    Querystring: { done?: string; q?: string; created?: string; updated?: string; unchanged?: string; added?: string; repeated?: string };
  }>('/admin/groups/:id', { config: { access: 'admin-page' } }, async (request, reply) => {
    const group = await loadGroup(request, reply);
    if (!group) return reply;
    const query = request.query;
    let message: SafeHtml | '' = DONE[query.done ?? ''] ? notice('success', DONE[query.done ?? '']) : '';
    if (query.done === 'imported') {
      const count = (value: string | undefined) => (/^\d{1,9}$/.test(value ?? '') ? Number(value) : 0);
      message = notice(
        'success',
        `Imported: ${countsInWords({ created: count(query.created), updated: count(query.updated), unchanged: count(query.unchanged), added: count(query.added) })}.${
          count(query.repeated) > 0
            ? ` ${count(query.repeated)} repeated ${count(query.repeated) === 1 ? 'line was' : 'lines were'} imported once.`
            : ''
        }`,
      );
    }
    const q = query.q?.trim().slice(0, 100) ?? '';
    return reply.type(HTML).send(await showGroup(pageUserOf(request), group, { message, q }));
  });

  app.post<{ Params: { id: string }; Body: FormBody }>(
    '/admin/groups/:id',
    { config: { access: 'admin-page' } },
    async (request, reply) => {
      const group = await loadGroup(request, reply);
      if (!group) return reply;
      const form = formOfBody(request.body);
      try {
        await groups.change(actorOf(request), group.id, groupInput(form));
      } catch (error) {
        if (!(error instanceof DomainError) || error.status === 404) throw error;
        if (error.status === 403) return refused(request, reply, group, error);
        return reply
          .code(400)
          .type(HTML)
          .send(await showGroup(pageUserOf(request), group, { form, errors: fieldErrorsOf(error, formFieldOf) }));
      }
      return reply.redirect(`/admin/groups/${group.id}?done=saved`, 303);
    },
  );

  app.post<{ Params: { id: string }; Body: FormBody }>(
    '/admin/groups/:id/mail',
    { config: { access: 'admin-page' } },
    async (request, reply) => {
      const group = await loadGroup(request, reply);
      if (!group) return reply;
      try {
        // The schedule first: it is the one that can be refused (400 naming it) before anything changed.
        await services.mail.setReports(actorOf(request), group.id, formText(request.body, 'schedule'));
        await services.mail.setAlerts(actorOf(request), group.id, formText(request.body, 'absenceAlerts') === 'on');
      } catch (error) {
        return refused(request, reply, group, error);
      }
      return reply.redirect(`/admin/groups/${group.id}?done=mail#group-mail`, 303);
    },
  );

  app.post<{ Params: { id: string } }>('/admin/groups/:id/delete', { config: { access: 'admin-page' } }, async (request, reply) => {
    const group = await loadGroup(request, reply);
    if (!group) return reply;
    try {
      await groups.remove(actorOf(request), group.id);
    } catch (error) {
      return refused(request, reply, group, error);
    }
    return reply.redirect('/admin/groups?done=deleted', 303);
  });

  app.post<{ Params: { id: string }; Body: FormBody }>(
    '/admin/groups/:id/members',
    { config: { access: 'admin-page' } },
    async (request, reply) => {
      const group = await loadGroup(request, reply);
      if (!group) return reply;
      const q = formText(request.body, 'q').trim().slice(0, 100);
      const personId = idOf(formText(request.body, 'personId'));
      try {
        if (personId === undefined) throw new DomainError(404, 'Not found', 'Choose a person from the search results.');
        await groups.addMember(actorOf(request), group.id, personId);
      } catch (error) {
        return refused(request, reply, group, error, q);
      }
      return reply.redirect(
        `/admin/groups/${group.id}?${new URLSearchParams({ done: 'added', ...(q ? { q } : {}) }).toString()}#add-member`,
        303,
      );
    },
  );

  app.post<{ Params: { id: string; personId: string } }>(
    '/admin/groups/:id/members/:personId/remove',
    { config: { access: 'admin-page' } },
    async (request, reply) => {
      const group = await loadGroup(request, reply);
      if (!group) return reply;
      const personId = idOf(request.params.personId);
      try {
        if (personId === undefined) throw new DomainError(404, 'Not found', 'No such member.');
        await groups.removeMember(actorOf(request), group.id, personId);
      } catch (error) {
        return refused(request, reply, group, error);
      }
      return reply.redirect(`/admin/groups/${group.id}?done=removed`, 303);
    },
  );

  // A whole roster pasted or read from a file travels in this form: the API's import limit, not the
  // small default of forms.
  app.post<{ Params: { id: string }; Body: FormBody }>(
    '/admin/groups/:id/import',
    { config: { access: 'admin-page' }, bodyLimit: IMPORT_MAX_BYTES },
    async (request, reply) => {
      const group = await loadGroup(request, reply);
      if (!group) return reply;
      const actor = actorOf(request);
      const csv = formText(request.body, 'csv');
      const dryRun = formText(request.body, 'mode') !== 'import';
      let importState: ImportState;
      try {
        const outcome = await groups.importMembers(actor, group.id, csv, dryRun);
        if (!dryRun) {
          const { created, updated, unchanged, added } = outcome;
          const counts = {
            created,
            updated,
            unchanged,
            added,
            ...(outcome.warnings.length > 0 ? { repeated: outcome.warnings.length } : {}),
          };
          const query = new URLSearchParams({
            done: 'imported',
            ...Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, String(v)])),
          });
          return reply.redirect(`/admin/groups/${group.id}?${query.toString()}`, 303);
        }
        const names = new Map(
          parseMembersCsv(csv).map((line) => [line.line, { name: `${line.lastname}, ${line.firstname}`, ref: line.externalRef }] as const),
        );
        importState = { csv, kind: 'preview', outcome, names };
      } catch (error) {
        if (!(error instanceof DomainError) || error.status === 404) throw error;
        if (error.status === 403) return refused(request, reply, group, error);
        importState = { csv, kind: 'refused', errors: error.errors as LineError[], detail: error.detail };
      }
      return reply
        .code(importState.kind === 'refused' ? 400 : 200)
        .type(HTML)
        .send(await showGroup(pageUserOf(request), await groups.get(actor, group.id), { importState }));
    },
  );
};
