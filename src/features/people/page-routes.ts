// /admin/people: find people (the API's search), add one; /admin/people/{id}: change their names,
// reference and e-mail, reissue their badge, see their groups, list, add and remove their e-mail
// contacts (the mail service's), download their data (the API's export) and erase them. Every read and change goes through PersonService, which checks the role, validates and
// audits in the same transaction; a refused form is shown again with the reason beside each field. The
// pages offer only what the role may do: a leader sees the members of their groups, a viewer reads,
// managers and owners change, only owners erase.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../app.js';
import { authorize } from '../../domain/actor.js';
import { DomainError, type FieldError } from '../../domain/domain-error.js';
import type { SeenPerson as Person } from './person-service.js';
import { checkEmail, checkText, mayExportPersonData } from './person-service.js';
import { actorOf } from '../../plugins/access-control.js';
import { idOf, pageUserOf } from '../../http/page-request.js';
import { html, type SafeHtml } from '../../views/html.js';
import { csrfField, dateTime, notice, page, tableHead, userCan, type PageUser } from '../../views/layout.js';
import { formText, type FormBody } from '../../views/form.js';
import { contactsCard, type ContactsFormState } from '../mail/mail-views.js';

const PAGE_SIZE = 50;
const HTML = 'text/html; charset=utf-8';

const FIELDS = [
  { name: 'firstname', label: 'First name', required: true, type: 'text', autocomplete: 'off' },
  { name: 'lastname', label: 'Last name', required: true, type: 'text', autocomplete: 'off' },
  { name: 'externalRef', label: 'External reference', hint: 'optional; student, employee or ticket number, unique', type: 'text' },
  { name: 'email', label: 'E-mail', hint: 'optional', type: 'email' },
] as const;

type FieldName = (typeof FIELDS)[number]['name'];
type PersonForm = Record<FieldName, string>;
type FormErrors = Partial<Record<FieldName, string>>;

const formOf = (body: FormBody): PersonForm => ({
  firstname: formText(body, 'firstname'),
  lastname: formText(body, 'lastname'),
  externalRef: formText(body, 'externalRef'),
  email: formText(body, 'email'),
});

const formFromPerson = (person: Person): PersonForm => ({
  firstname: person.firstname,
  lastname: person.lastname,
  externalRef: person.externalRef ?? '',
  email: person.email ?? '',
});

/** Every field's fault at once (the people rules stop at the first), so a form shows them all. */
function faultsOf(form: PersonForm): FormErrors {
  const errors: FormErrors = {};
  for (const field of ['firstname', 'lastname'] as const) {
    const checked = checkText(form[field], true);
    if ('error' in checked) errors[field] = checked.error;
  }
  const ref = checkText(form.externalRef, false);
  if ('error' in ref) errors.externalRef = ref.error;
  const email = checkEmail(form.email);
  if ('error' in email) errors.email = email.error;
  return errors;
}

/**
 * Checks the form, then runs the change; a refusal of the people rules naming form fields (a taken
 * external reference: 409) comes back as form errors, anything else is thrown on.
 */
async function attempt<T>(form: PersonForm, change: () => Promise<T>): Promise<{ done: T } | { errors: FormErrors; status: 400 | 409 }> {
  const faults = faultsOf(form);
  if (Object.keys(faults).length > 0) return { errors: faults, status: 400 };
  try {
    return { done: await change() };
  } catch (error) {
    if (!(error instanceof DomainError) || (error.status !== 400 && error.status !== 409)) throw error;
    const named = error.errors.filter((e: FieldError) => FIELDS.some((f) => f.name === e.field));
    if (named.length === 0) throw error;
    return { errors: Object.fromEntries(named.map((e) => [e.field, e.message])), status: error.status };
  }
}

function personFields(prefix: string, values: PersonForm, errors: FormErrors): SafeHtml[] {
  return FIELDS.map((field) => {
    const id = `${prefix}-${field.name}`;
    const error = errors[field.name];
    return html`<label for="${id}">${field.label}${'hint' in field ? html` <span class="hint">(${field.hint})</span>` : ''}</label>
      <input
        id="${id}"
        name="${field.name}"
        type="${field.type}"
        maxlength="${field.name === 'email' ? 254 : 100}"
        value="${values[field.name]}"
        ${'required' in field ? html`required` : ''}
        ${error ? html`aria-invalid="true" aria-describedby="${id}-error"` : ''}
      />
      ${error ? html`<p class="field-error" id="${id}-error">${field.label}: ${error}</p>` : ''}`;
  });
}

const fullName = (person: { firstname: string; lastname: string }) => `${person.firstname} ${person.lastname}`;

/** What a typed confirmation is compared by: spaces collapsed, case ignored. */
const confirmKey = (value: string) => value.trim().replace(/\s+/g, ' ').toLocaleLowerCase();

/** Whether the page's user may export a person's data (owners and managers). */
const mayExport = (user: PageUser) => user.actor === undefined || mayExportPersonData(user.actor);

export const adminPeopleRoutes: FastifyPluginAsync<AppContext> = async (app, { services }) => {
  const { people } = services;

  // ---- The list --------------------------------------------------------------------------------------

  interface ListView {
    q: string;
    cursor?: string;
    top?: SafeHtml | '';
    form?: PersonForm;
    errors?: FormErrors;
  }

  async function listPage(user: PageUser, view: ListView): Promise<string> {
    const actor = user.actor!;
    let top = view.top ?? '';
    let found: { items: Person[]; nextCursor: string | null };
    try {
      found = await people.search(actor, { q: view.q, limit: PAGE_SIZE, cursor: view.cursor, order: 'name' });
    } catch (error) {
      if (!(error instanceof DomainError && error.status === 400)) throw error;
      top = notice('error', 'That page link is out of date; showing the first page.');
      found = await people.search(actor, { q: view.q, limit: PAGE_SIZE, order: 'name' });
    }
    const groups = await people.membershipCounts(
      actor,
      found.items.map((p) => p.id),
    );
    const mayWrite = userCan(user, 'people:write');
    const errors = view.errors ?? {};
    const query = (extra: Record<string, string>) => new URLSearchParams({ ...(view.q ? { q: view.q } : {}), ...extra }).toString();
    return page({
      title: 'People',
      section: 'people',
      user,
      scripts: ['admin.js'],
      body: html`<div class="page-head">
          <h1>People</h1>
          <p class="lede">The people who can belong to groups, each with a badge code for the kiosks.</p>
        </div>
        ${top}
        <div class="grid-2 grid-wide-left">
          <section class="card card-shrinks" aria-labelledby="people-title">
            <h2 id="people-title">Find people</h2>
            <form method="get" action="/admin/people" class="search-row" role="search">
              <label for="people-q" class="visually-hidden">Name or external reference</label>
              <input id="people-q" name="q" type="search" maxlength="200" value="${view.q}" placeholder="Name or external reference" />
              <button class="button" type="submit">Search</button>
            </form>
            ${
              found.items.length === 0
                ? html`<p class="empty">${view.q ? 'Nobody matches that search.' : 'No people yet. Add the first one.'}</p>`
                : html`<div class="table-wrap">
                    <table class="table table-stacked" id="people-table">
                      ${tableHead(['Name', 'External reference', 'E-mail', 'Groups'])}
                      <tbody>
                        ${found.items.map(
                          (p) =>
                            html`<tr data-person-id="${p.id}">
                              <td><a class="person" href="/admin/people/${p.id}">${p.lastname}, ${p.firstname}</a></td>
                              <td data-label="External reference">${p.externalRef ?? html`<span class="hint">—</span>`}</td>
                              <td data-label="E-mail" class="wrap-anywhere">${p.email ?? html`<span class="hint">—</span>`}</td>
                              <td data-label="Groups">${groups.get(p.id) ?? 0}</td>
                            </tr>`,
                        )}
                      </tbody>
                    </table>
                  </div>`
            }
            <p class="more">
              ${view.cursor ? html`<a class="button" href="/admin/people?${query({})}">First page</a>` : ''}
              ${found.nextCursor ? html`<a class="button" href="/admin/people?${query({ cursor: found.nextCursor })}">Next page</a>` : ''}
            </p>
          </section>
          ${
            mayWrite
              ? html`<section class="card" aria-labelledby="add-title">
                  <h2 id="add-title">Add person</h2>
                  <form method="post" action="/admin/people" class="stack" novalidate>
                    ${csrfField(user)} ${personFields('new', view.form ?? formOf(undefined), errors)}
                    <button class="button button-primary" type="submit">Add person</button>
                  </form>
                </section>`
              : ''
          }
        </div>`,
    });
  }

  app.get<{ Querystring: { q?: string; cursor?: string; done?: string; checkins?: string; memberships?: string } }>(
    '/admin/people',
    { config: { access: 'admin-page' } },
    async (request, reply) => {
      const { q, cursor, done } = request.query;
      const count = (value: string | undefined) => (value && /^\d{1,9}$/.test(value) ? Number(value) : 0);
      const top =
        done === 'erased'
          ? notice(
              'success',
              `The person was erased with their data: ${count(request.query.checkins)} check-in(s) and ${count(request.query.memberships)} group membership(s) removed.`,
            )
          : '';
      const body = await listPage(pageUserOf(request), {
        // A NUL cannot be stored nor searched for (PostgreSQL text); it never matches anyone.
        q: typeof q === 'string' ? q.replaceAll('\u0000', '').slice(0, 200) : '',
        cursor: typeof cursor === 'string' && cursor !== '' ? cursor : undefined,
        top,
      });
      return reply.type(HTML).send(body);
    },
  );

  app.post<{ Body: FormBody }>('/admin/people', { config: { access: 'admin-page' } }, async (request, reply) => {
    const user = pageUserOf(request);
    // Before the form is checked: a role that may not add people is not shown their form's faults.
    authorize(actorOf(request), 'people:write');
    const form = formOf(request.body);
    const result = await attempt(form, () =>
      people.create(actorOf(request), {
        firstname: form.firstname,
        lastname: form.lastname,
        externalRef: form.externalRef,
        email: form.email,
      }),
    );
    if ('done' in result) return reply.redirect(`/admin/people/${result.done.id}?done=created`, 303);
    const top = notice('error', 'The person was not added: see the fields marked below.');
    return reply
      .code(result.status)
      .type(HTML)
      .send(await listPage(user, { q: '', top, form, errors: result.errors }));
  });

  // ---- One person ------------------------------------------------------------------------------------

  interface PersonView {
    top?: SafeHtml | '';
    form?: PersonForm;
    errors?: FormErrors;
    eraseError?: string;
    badgeReissued?: boolean;
    contacts?: ContactsFormState;
  }

  async function personPage(user: PageUser, person: Person, view: PersonView = {}): Promise<string> {
    const memberships = await people.memberships(user.actor!, person.id);
    const contacts = await services.mail.contacts(user.actor!, person.id);
    const name = fullName(person);
    const mayWrite = userCan(user, 'people:write');
    return page({
      title: name,
      section: 'people',
      user,
      scripts: ['admin.js'],
      body: html`<p class="breadcrumb"><a href="/admin/people">← People</a></p>
        <div class="page-head">
          <h1>${name}</h1>
          <p class="lede">
            Person #${person.id}${person.externalRef ? html` · ${person.externalRef}` : ''} · added ${dateTime(person.createdAt)}
          </p>
        </div>
        ${view.top ?? ''}
        <div class="grid-2">
          <div class="stack-lg">
            <section class="card" aria-labelledby="edit-title">
              <h2 id="edit-title">Details</h2>
              ${
                mayWrite
                  ? html`<form method="post" action="/admin/people/${person.id}" class="stack" novalidate>
                      ${csrfField(user)} ${personFields('person', view.form ?? formFromPerson(person), view.errors ?? {})}
                      <button class="button button-primary" type="submit">Save changes</button>
                    </form>`
                  : html`<dl class="diff" id="person-details">
                      ${FIELDS.map(
                        (field) =>
                          html`<dt>${field.label}</dt>
                            <dd>${formFromPerson(person)[field.name] || html`<span class="hint">—</span>`}</dd>`,
                      )}
                    </dl>`
              }
            </section>
            ${
              mayExport(user)
                ? html`<section class="card" aria-labelledby="data-title">
                    <h2 id="data-title">Their data</h2>
                    <p>Everything stored about ${name}: details, groups, excuses, check-ins and the audit records about them.</p>
                    <p class="button-row">
                      <a class="button" href="/api/v1/people/${person.id}/export" download>Download data (JSON)</a>
                      <a class="button" href="/api/v1/people/${person.id}/export.csv" download>Download check-ins (CSV)</a>
                    </p>
                  </section>`
                : ''
            }
          </div>
          <div class="stack-lg">
            ${
              person.badge === null
                ? ''
                : html` <section class="card${view.badgeReissued ? ' card-highlight' : ''}" aria-labelledby="badge-title">
                    <h2 id="badge-title">Badge</h2>
                    <p class="hint">Printed as a QR code or typed by a scanner: whoever holds it is checked in as ${name}.</p>
                    <div class="copy-row">
                      <input id="badge-code" class="mono" readonly value="${person.badge}" aria-label="Badge code" />
                      <button type="button" class="button" data-copy="#badge-code">Copy</button>
                    </div>
                    ${
                      mayWrite
                        ? html`<form
                            method="post"
                            action="/admin/people/${person.id}/badge"
                            class="stack"
                            data-confirm="Reissue the badge of ${name}? The old code stops working at once."
                          >
                            ${csrfField(user)}
                            <button type="submit" class="button">Reissue badge</button>
                          </form>`
                        : ''
                    }
                  </section>`
            }
            <section class="card" aria-labelledby="groups-title">
              <h2 id="groups-title">Groups</h2>
              ${
                memberships.length === 0
                  ? html`<p class="empty">Not a member of any group.</p>`
                  : html`<ul class="plain-list" id="person-groups">
                        ${memberships.map(
                          (m) =>
                            html`<li>
                              <a href="/admin/groups/${m.groupId}">${m.groupName}</a> <span class="hint">since ${dateTime(m.addedAt)}</span>
                            </li>`,
                        )}
                      </ul>
                      ${
                        userCan(user, 'groups:read')
                          ? html`<p>
                              <a class="button" id="person-attendance-link" href="/admin/people/${person.id}/attendance">Attendance</a>
                            </p>`
                          : ''
                      }`
              }
            </section>
            ${contactsCard(user, person.id, contacts, services.mail.configured, view.contacts)}
            ${
              userCan(user, 'people:erase')
                ? html`<section class="card card-danger" aria-labelledby="erase-title">
                    <h2 id="erase-title">Erase this person</h2>
                    <p>
                      Deletes ${name}, their memberships and excuses and every check-in that is theirs (by badge or by matching name, in
                      either order), and removes their name from the audit log. This cannot be undone: download their data first if they
                      asked for it.
                    </p>
                    <form method="post" action="/admin/people/${person.id}/erase" class="stack" novalidate>
                      ${csrfField(user)}
                      <label for="erase-confirm">Type “${name}” to confirm</label>
                      <input
                        id="erase-confirm"
                        name="confirm"
                        autocomplete="off"
                        required
                        ${view.eraseError ? html`aria-invalid="true" aria-describedby="erase-confirm-error"` : ''}
                      />
                      ${view.eraseError ? html`<p class="field-error" id="erase-confirm-error">${view.eraseError}</p>` : ''}
                      <button type="submit" class="button button-danger">Erase ${name}</button>
                    </form>
                  </section>`
                : ''
            }
          </div>
        </div>`,
    });
  }

  /** The person of the URL, or a 404 page already sent (also for a person the actor may not see). */
  async function personOf(request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply): Promise<Person | undefined> {
    const id = idOf(request.params.id);
    const person = id === undefined ? undefined : await people.find(actorOf(request), id);
    if (person) return person;
    await reply
      .code(404)
      .type(HTML)
      .send(
        page({
          title: 'Not found',
          section: 'people',
          user: pageUserOf(request),
          body: html`<h1>No person #${request.params.id}</h1>
            <p><a href="/admin/people">Back to people</a></p>`,
        }),
      );
    return undefined;
  }

  const DONE: Record<string, string> = {
    created: 'Person added.',
    saved: 'Changes saved.',
    badge: 'Badge reissued: the code below is the new one; the old code no longer works.',
    'contact-added': 'Contact added.',
    'contact-removed': 'Contact removed.',
  };

  app.get<{ Params: { id: string }; Querystring: { done?: string } }>(
    '/admin/people/:id',
    { config: { access: 'admin-page' } },
    async (request, reply) => {
      const person = await personOf(request, reply);
      if (!person) return reply;
      const done = DONE[request.query.done ?? ''];
      const body = await personPage(pageUserOf(request), person, {
        top: done ? notice('success', done) : '',
        badgeReissued: request.query.done === 'badge',
      });
      return reply.type(HTML).send(body);
    },
  );

  app.post<{ Params: { id: string }; Body: FormBody }>(
    '/admin/people/:id',
    { config: { access: 'admin-page' } },
    async (request, reply) => {
      authorize(actorOf(request), 'people:write');
      const person = await personOf(request, reply);
      if (!person) return reply;
      const form = formOf(request.body);
      const result = await attempt(form, () =>
        people.change(actorOf(request), person.id, {
          firstname: form.firstname,
          lastname: form.lastname,
          externalRef: form.externalRef.trim() === '' ? null : form.externalRef,
          email: form.email.trim() === '' ? null : form.email,
        }),
      );
      if ('done' in result) return reply.redirect(`/admin/people/${person.id}?done=saved`, 303);
      const top = notice('error', 'Nothing was saved: see the fields marked below.');
      return reply
        .code(result.status)
        .type(HTML)
        .send(await personPage(pageUserOf(request), person, { top, form, errors: result.errors }));
    },
  );

  /** The person's contacts with one added or removed, through the mail service (which checks and audits). */
  async function changeContacts(
    request: FastifyRequest<{ Params: { id: string }; Body: FormBody }>,
    reply: FastifyReply,
    change: 'add' | 'remove',
  ) {
    authorize(actorOf(request), 'people:write');
    const person = await personOf(request, reply);
    if (!person) return reply;
    const actor = actorOf(request);
    const email = formText(request.body, 'email').trim();
    const name = formText(request.body, 'name');
    const current = await services.mail.contacts(actor, person.id);
    const next =
      change === 'add' ? [...current, { email, name }] : current.filter((contact) => contact.email.toLowerCase() !== email.toLowerCase());
    try {
      await services.mail.setContacts(actor, person.id, next);
    } catch (error) {
      if (!(error instanceof DomainError) || error.status !== 400) throw error;
      // The new contact is the last one: its faults are the form's fields.
      const errors: ContactsFormState['errors'] = {};
      for (const fault of error.errors) {
        const field = /\.(email|name)$/.exec(fault.field)?.[1] as 'email' | 'name' | undefined;
        if (field) errors[field] ??= `${fault.field.replace(/^contacts\[\d+\]\./, '')} ${fault.message}`;
        else errors.form ??= `${fault.field}: ${fault.message}`;
      }
      if (error.errors.length === 0) errors.form = error.detail;
      const top = notice('error', 'The contact was not added: see the fields marked below.');
      return reply
        .code(400)
        .type(HTML)
        .send(await personPage(pageUserOf(request), person, { top, contacts: { email, name, errors } }));
    }
    return reply.redirect(`/admin/people/${person.id}?done=contact-${change === 'add' ? 'added' : 'removed'}#contacts`, 303);
  }

  app.post<{ Params: { id: string }; Body: FormBody }>(
    '/admin/people/:id/contacts',
    { config: { access: 'admin-page' } },
    (request, reply) => changeContacts(request, reply, 'add'),
  );

  app.post<{ Params: { id: string }; Body: FormBody }>(
    '/admin/people/:id/contacts/remove',
    { config: { access: 'admin-page' } },
    (request, reply) => changeContacts(request, reply, 'remove'),
  );

  app.post<{ Params: { id: string } }>('/admin/people/:id/badge', { config: { access: 'admin-page' } }, async (request, reply) => {
    authorize(actorOf(request), 'people:write');
    const person = await personOf(request, reply);
    if (!person) return reply;
    await people.reissueBadge(actorOf(request), person.id);
    return reply.redirect(`/admin/people/${person.id}?done=badge`, 303);
  });

  app.post<{ Params: { id: string }; Body: FormBody }>(
    '/admin/people/:id/erase',
    { config: { access: 'admin-page' } },
    async (request, reply) => {
      // Before the confirmation is checked: a role that may not erase learns nothing from the form.
      authorize(actorOf(request), 'people:erase');
      const person = await personOf(request, reply);
      if (!person) return reply;
      if (confirmKey(formText(request.body, 'confirm')) !== confirmKey(fullName(person))) {
        const eraseError = `Type the person's name, ${fullName(person)}, exactly as shown to confirm the erasure.`;
        const top = notice('error', 'Nothing was erased: the confirmation did not match.');
        return reply
          .code(400)
          .type(HTML)
          .send(await personPage(pageUserOf(request), person, { top, eraseError }));
      }
      const erased = await people.erase(actorOf(request), person.id);
      // Counts only: the person's name does not go into a URL (logs, history).
      const query = new URLSearchParams({ done: 'erased', checkins: String(erased.checkins), memberships: String(erased.memberships) });
      return reply.redirect(`/admin/people?${query.toString()}`, 303);
    },
  );
};
