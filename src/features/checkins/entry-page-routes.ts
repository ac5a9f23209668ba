// Corrections: /admin/entries/{id} shows one check-in with its history (and whether it was entered by
// hand), corrects its names, gate, direction or time (moving it to another day moves it on that day's
// sheet), deletes it (softly: it leaves every list, sheet and export) and restores it. Every change goes through the check-in service, which checks the role, validates
// it, writes it with its audit record in one transaction and announces it. Whoever may read attendance
// sees the entry; the forms are shown only to those who may correct it.
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { AppContext } from '../../app.js';
import { actorOf } from '../../plugins/access-control.js';
import { auditTable } from '../audit/audit-views.js';
import { DomainError } from '../../domain/domain-error.js';
import { idOf, pageUserOf } from '../../http/page-request.js';
import type { StoredCheckin } from './checkin-repository.js';
import { localDateTime } from './checkin-fields.js';
import { html, type SafeHtml } from '../../views/html.js';
import { csrfField, dateTime, notice, page, type PageUser, userCan } from '../../views/layout.js';

/** A form field as the check-in service reads it: absent names and gate are sent as empty (blank). */
const formText = (value: unknown): unknown => value ?? '';

/** How many people a walk-in's page offers to link it to. */
const CANDIDATES = 8;

export const adminEntryRoutes: FastifyPluginAsync<AppContext> = async (app, context) => {
  const { services, config } = context;
  const { checkins } = services;
  const html200 = 'text/html; charset=utf-8';

  /**
   * Who the entry belongs to: the linked person (with Unlink), or, for a walk-in, the people found by a
   * search (by default its last name: a typo in the first name is the usual case) to link it to. A
   * free-name entry whose names fold to exactly one member's already counts in that group's register.
   */
  async function personCard(user: PageUser, entry: StoredCheckin, personQ: string | undefined): Promise<SafeHtml> {
    const id = entry.id;
    const actor = user.actor!;
    const mayLink = userCan(user, 'attendance:correct');
    const linked = entry.personId === null ? undefined : await services.people.find(actor, entry.personId);
    if (linked) {
      return html`<section class="card person-card" aria-labelledby="person-title">
        <h2 id="person-title">Person</h2>
        <p>
          Linked to <a href="/admin/people/${String(linked.id)}">${linked.firstname} ${linked.lastname}</a>: it counts for them in every
          register.
        </p>
        ${
          mayLink
            ? html`<form method="post" action="/admin/entries/${id}/person">
                ${csrfField(user)}<input type="hidden" name="personId" value="" />
                <button type="submit" class="button">
                  Unlink<span class="visually-hidden"> from ${linked.firstname} ${linked.lastname}</span>
                </button>
              </form>`
            : ''
        }
      </section>`;
    }
    if (!mayLink) {
      return html`<section class="card person-card" aria-labelledby="person-title">
        <h2 id="person-title">Person</h2>
        <p>A walk-in: linked to nobody.</p>
      </section>`;
    }
    const q = (personQ ?? entry.lastname).slice(0, 200);
    const { items } = await services.people.search(actor, { q, limit: CANDIDATES });
    return html`<section class="card person-card" aria-labelledby="person-title">
      <h2 id="person-title">Person</h2>
      <p>A walk-in: linked to nobody. Link it to the person it was, so it counts for them.</p>
      <form method="get" action="/admin/entries/${id}" class="inline-form" role="search">
        <label class="visually-hidden" for="person-q">Find a person</label>
        <input id="person-q" name="personQ" type="search" maxlength="200" value="${q}" />
        <button type="submit" class="button button-small">Find</button>
      </form>
      ${
        items.length === 0
          ? html`<p class="empty">Nobody found for “${q}”.</p>`
          : html`<ul class="plain-list" id="person-candidates">
              ${items.map(
                (p) =>
                  html`<li>
                    <form method="post" action="/admin/entries/${id}/person" class="inline-form">
                      ${csrfField(user)}<input type="hidden" name="personId" value="${String(p.id)}" />
                      <span>${p.firstname} ${p.lastname}${p.externalRef ? html` <span class="hint">(${p.externalRef})</span>` : ''}</span>
                      <button type="submit" class="button button-small">
                        Link<span class="visually-hidden"> to ${p.firstname} ${p.lastname}</span>
                      </button>
                    </form>
                  </li>`,
              )}
            </ul>`
      }
    </section>`;
  }

  async function entryPage(user: PageUser, id: number, message?: SafeHtml | '', personQ?: string): Promise<string | undefined> {
    const actor = user.actor!;
    const entry = await checkins.findStored(actor, id);
    if (!entry) return undefined;
    const history = await checkins.history(actor, id);
    const mayCorrect = userCan(user, 'attendance:correct');
    const day = entry.occurredAt.slice(0, 10);
    const deletion = entry.deletedAt ? history.find((e) => e.action === 'delete') : undefined;
    const byHand = history.find((e) => e.action === 'record-by-hand');
    // The time as the form's datetime-local field holds it: the local wall time (occurredAt is rendered in APP_TIMEZONE).
    const wallTime = entry.occurredAt.slice(0, 19);
    // Those who may only read see the entry and its history, without the forms.
    const restoreForm = mayCorrect
      ? html`<form method="post" action="/admin/entries/${id}/restore">
          ${csrfField(user)}<button type="submit" class="button">Restore entry</button>
        </form>`
      : '';
    const correctCard = html`<section class="card" aria-labelledby="correct-title">
      <h2 id="correct-title">Correct</h2>
      <form method="post" action="/admin/entries/${id}" class="stack" id="correct-form">
        ${csrfField(user)} <label for="firstname">First name</label
        ><input id="firstname" name="firstname" required maxlength="100" value="${entry.firstname}" />
        <label for="lastname">Last name</label><input id="lastname" name="lastname" required maxlength="100" value="${entry.lastname}" />
        <label for="gate">Gate</label><input id="gate" name="gate" maxlength="100" value="${entry.gate}" />
        <label for="direction">Direction</label>
        <select id="direction" name="direction">
          <option value="in" ${entry.direction === 'in' ? html` selected` : ''}>in (arrived)</option>
          <option value="out" ${entry.direction === 'out' ? html` selected` : ''}>out (left)</option>
        </select>
        <label for="occurredAt">Time <span class="hint">(${config.timezone}; another day moves the entry to that day)</span></label
        ><input id="occurredAt" name="occurredAt" type="datetime-local" step="1" required value="${wallTime}" />
        <input type="hidden" name="occurredAtWas" value="${wallTime}" />
        <button type="submit" class="button button-primary">Save correction</button>
      </form>
      <hr />
      <h2>Delete</h2>
      <p class="hint">The entry leaves the attendance sheet, the API, summaries and exports. It is kept and can be restored here.</p>
      <form
        method="post"
        action="/admin/entries/${id}/delete"
        data-confirm="Delete check-in #${id} of ${entry.firstname} ${entry.lastname}?"
      >
        ${csrfField(user)}
        <button type="submit" class="button button-danger">Delete entry</button>
      </form>
    </section>`;
    const actions = entry.deletedAt
      ? html`<section class="card" aria-labelledby="restore-title">
          <h2 id="restore-title">Deleted</h2>
          <p>Deleted ${dateTime(entry.deletedAt)}${deletion ? ` by ${deletion.actor}` : ''}. It no longer counts anywhere.</p>
          ${restoreForm}
        </section>`
      : mayCorrect
        ? correctCard
        : '';
    return page({
      title: `Check-in #${id}`,
      section: 'sheet',
      user,
      scripts: ['admin.js'],
      body: html`<p class="breadcrumb"><a href="/admin/sheet?date=${day}">← Attendance of ${day}</a></p>
        <div class="page-head">
          <h1>Check-in #${id}</h1>
          <p class="lede">
            ${entry.firstname} ${entry.lastname} ·
            ${entry.direction === 'out' ? 'left' : 'arrived'}${entry.gate ? ` at gate ${entry.gate}` : ''} ·
            ${dateTime(entry.occurredAt)}${entry.deletedAt ? html` <span class="badge badge-delete">deleted</span>` : ''}
            ${
              byHand
                ? html`<span class="badge badge-record-by-hand" id="entered-by-hand">entered by hand</span>
                    <span class="hint">by ${byHand.actor}, ${dateTime(byHand.at)}</span>`
                : ''
            }
          </p>
        </div>
        ${message ?? ''}
        <div class="grid-2">
          ${actions} ${entry.deletedAt ? '' : await personCard(user, entry, personQ)}
          <section class="card" aria-labelledby="history-title">
            <h2 id="history-title">History</h2>
            ${auditTable(history, context.config.timezone, false)}
          </section>
        </div>`,
    });
  }

  function notFound(reply: FastifyReply, user: PageUser, heading: string) {
    return reply
      .code(404)
      .type(html200)
      .send(page({ title: 'Not found', user, body: html`<h1>${heading}</h1>` }));
  }

  app.get<{ Params: { id: string }; Querystring: { done?: string; personQ?: string } }>(
    '/admin/entries/:id',
    { config: { access: 'admin-page' } },
    async (request, reply) => {
      const id = idOf(request.params.id);
      const user = pageUserOf(request);
      const done = {
        corrected: 'Correction saved.',
        deleted: 'Entry deleted.',
        restored: 'Entry restored.',
        linked: 'Linked: the entry now counts for that person.',
        unlinked: 'Unlinked: the entry is a walk-in again.',
      }[request.query.done ?? ''];
      const personQ = typeof request.query.personQ === 'string' ? request.query.personQ : undefined;
      const body = id === undefined ? undefined : await entryPage(user, id, done ? notice('success', done) : '', personQ);
      if (!body)
        return reply
          .code(404)
          .type(html200)
          .send(
            page({
              title: 'Not found',
              section: 'sheet',
              user,
              body: html`<h1>No check-in #${request.params.id}</h1>
                <p><a href="/admin/sheet">Back to attendance</a></p>`,
            }),
          );
      return reply.type(html200).send(body);
    },
  );

  app.post<{ Params: { id: string }; Body: Record<string, unknown> }>(
    '/admin/entries/:id',
    { config: { access: 'admin-page' } },
    async (request, reply) => {
      const id = idOf(request.params.id);
      const user = pageUserOf(request);
      if (id === undefined) return reply.code(404).send({ detail: 'Not found.' });
      const form = request.body ?? {};
      try {
        // The time is sent only when it was changed: the field holds whole seconds, the entry may not.
        const time = typeof form.occurredAt === 'string' ? form.occurredAt.trim() : '';
        const moved = time !== '' && time !== form.occurredAtWas;
        const occurredAt = moved ? localDateTime(time, config.timezone) : undefined;
        if (moved && occurredAt === undefined) throw DomainError.invalid('occurredAt', 'must be a date and time');
        await checkins.correct(actorOf(request), id, {
          firstname: formText(form.firstname),
          lastname: formText(form.lastname),
          gate: formText(form.gate),
          direction: form.direction,
          occurredAt,
        });
      } catch (error) {
        // The form again, with what was wrong; a refusal or a missing entry is the error handler's.
        if (!(error instanceof DomainError && error.status === 400)) throw error;
        const message = error.errors.some((e) => e.field === 'occurredAt')
          ? `Time: ${error.errors.find((e) => e.field === 'occurredAt')!.message}.`
          : 'First and last name are required; each field takes up to 100 characters.';
        const body = await entryPage(user, id, notice('error', message));
        return reply
          .code(body ? 400 : 404)
          .type(html200)
          .send(body ?? 'Not found.');
      }
      return reply.redirect(`/admin/entries/${id}?done=corrected`, 303);
    },
  );

  // Links a walk-in to a person (or unlinks it with an empty personId): a correction, audited like one.
  app.post<{ Params: { id: string }; Body: Record<string, unknown> }>(
    '/admin/entries/:id/person',
    { config: { access: 'admin-page' } },
    async (request, reply) => {
      const id = idOf(request.params.id);
      const user = pageUserOf(request);
      if (id === undefined) return notFound(reply, user, `No check-in #${request.params.id}`);
      const raw = typeof request.body?.personId === 'string' ? request.body.personId.trim() : undefined;
      const personId = raw === '' ? null : raw !== undefined && /^\d{1,9}$/.test(raw) ? Number(raw) : undefined;
      if (personId === undefined || personId === 0) {
        const body = await entryPage(user, id, notice('error', 'Choose a person from the list to link the entry to.'));
        return body ? reply.code(400).type(html200).send(body) : notFound(reply, user, `No check-in #${id}`);
      }
      try {
        await checkins.correct(actorOf(request), id, { personId });
      } catch (error) {
        // The page again, naming the person that cannot be linked; a refusal or a missing entry is the error handler's.
        if (!(error instanceof DomainError && (error.status === 400 || error.status === 422))) throw error;
        const body = await entryPage(user, id, notice('error', error.detail));
        return reply
          .code(body ? error.status : 404)
          .type(html200)
          .send(body ?? 'Not found.');
      }
      return reply.redirect(`/admin/entries/${id}?done=${personId === null ? 'unlinked' : 'linked'}`, 303);
    },
  );

  app.post<{ Params: { id: string } }>('/admin/entries/:id/delete', { config: { access: 'admin-page' } }, async (request, reply) => {
    const id = idOf(request.params.id);
    if (id === undefined) return notFound(reply, pageUserOf(request), `No check-in #${request.params.id}`);
    await checkins.delete(actorOf(request), id);
    return reply.redirect(`/admin/entries/${id}?done=deleted`, 303);
  });

  app.post<{ Params: { id: string } }>('/admin/entries/:id/restore', { config: { access: 'admin-page' } }, async (request, reply) => {
    const id = idOf(request.params.id);
    if (id === undefined) return notFound(reply, pageUserOf(request), `No deleted check-in #${request.params.id}`);
    await checkins.restore(actorOf(request), id);
    return reply.redirect(`/admin/entries/${id}?done=restored`, 303);
  });
};
