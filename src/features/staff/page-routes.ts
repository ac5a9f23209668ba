// /admin/users: staff accounts. Owners see every account with its role (and a leader's groups) and
// e-mail address (where a leader's register reports go), add accounts, change a role, groups or address
// and remove accounts; everyone changes their own password here.
// Every change is a call of the staff service (role checks, audit); a refused form is shown again with
// the reason.
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { AppContext } from '../../app.js';
import { type Actor, ROLES, type Role } from '../../domain/actor.js';
import { DomainError } from '../../domain/domain-error.js';
import { idOf, pageUserOf } from '../../http/page-request.js';
import { html, type SafeHtml } from '../../views/html.js';
import { csrfField, dangerButton, dateTime, notice, page, tableHead, userCan, type PageUser } from '../../views/layout.js';
import { formText, formTexts, type FormBody } from '../../views/form.js';
import { MIN_PASSWORD_LENGTH } from './passwords.js';
import type { StaffMember } from './staff-repository.js';

const MESSAGES: Record<string, string> = {
  created: 'Account added.',
  changed: 'Account changed.',
  deleted: 'Account removed; its sessions have ended.',
};

const ROLE_TEXT: Record<Role, string> = {
  owner: 'owner — everything, staff accounts included',
  manager: 'manager — attendance, people, groups, gates, tokens; not staff accounts or erasure',
  leader: 'leader — only the groups chosen below',
  viewer: 'viewer — reads attendance, people, groups and registers; changes nothing',
};

/** How many groups the leader checkboxes offer. */
const GROUPS_SHOWN = 500;

interface GroupName {
  id: number;
  name: string;
}

/** A field for a password being set: the length rule is checked by the browser too. */
function newPasswordInput(id: string): SafeHtml {
  return html`<input id="${id}" name="password" type="password" required minlength="${MIN_PASSWORD_LENGTH}" autocomplete="new-password" />`;
}

function roleSelect(id: string, selected: Role): SafeHtml {
  return html`<select id="${id}" name="role">
    ${ROLES.map((role) => html`<option value="${role}" ${role === selected ? html`selected` : ''}>${ROLE_TEXT[role]}</option>`)}
  </select>`;
}

function groupChoices(prefix: string, groups: readonly GroupName[], chosen: readonly number[]): SafeHtml {
  if (groups.length === 0) return html`<p class="hint">No groups yet: a leader needs one to see anything.</p>`;
  return html`<fieldset class="stack checkbox-list">
    <legend>Groups a leader leads</legend>
    ${groups.map(
      (g) =>
        html`<label
          ><input
            type="checkbox"
            name="groups"
            value="${g.id}"
            id="${prefix}-group-${g.id}"
            ${chosen.includes(g.id) ? html`checked` : ''}
          />
          ${g.name}</label
        >`,
    )}
  </fieldset>`;
}

/** The account's e-mail address (optional: where a leader's register reports go). */
function emailInput(id: string, value: string | null): SafeHtml {
  return html`<input id="${id}" name="email" type="email" maxlength="254" autocomplete="off" value="${value ?? ''}" />`;
}

function staffRow(user: PageUser & { userId: number }, member: StaffMember, groups: readonly GroupName[]): SafeHtml {
  const names = member.groups.map((id) => groups.find((g) => g.id === id)?.name ?? `#${id}`);
  const self = member.id === user.userId;
  return html`<tr data-staff-id="${member.id}">
    <td>
      ${member.username}${self ? html` <span class="badge">you</span>` : ''}${
        member.email ? html`<br /><span class="hint staff-email">${member.email}</span>` : ''
      }
    </td>
    <td>
      <span class="badge nowrap">${member.role}</span>${names.length > 0 ? html`<br /><span class="hint">${names.join(', ')}</span>` : ''}
    </td>
    <td>${dateTime(member.createdAt)}</td>
    <td>${dateTime(member.passwordChangedAt)}</td>
    <td class="actions">
      <details>
        <summary>Change<span class="visually-hidden"> ${member.username}</span></summary>
        <form method="post" action="/admin/users/${member.id}" class="stack">
          ${csrfField(user)}
          <label for="role-${member.id}">Role</label>
          ${roleSelect(`role-${member.id}`, member.role)} ${groupChoices(`staff-${member.id}`, groups, member.groups)}
          <label for="email-${member.id}">E-mail <span class="hint">(optional: a leader's register reports go here)</span></label>
          ${emailInput(`email-${member.id}`, member.email)}
          <button class="button" type="submit">Save<span class="visually-hidden"> ${member.username}</span></button>
        </form>
      </details>
      ${
        self
          ? ''
          : dangerButton({
              user,
              action: `/admin/users/${member.id}/delete`,
              confirm: `Remove the account ${member.username}?`,
              label: 'Remove',
              subject: member.username,
            })
      }
    </td>
  </tr>`;
}

export const adminUserRoutes: FastifyPluginAsync<AppContext> = async (app, { services }) => {
  // The groups a leader may be given, by name (the groups feature's list).
  const groupNames = async (actor: Actor): Promise<GroupName[]> =>
    (await services.groups.list(actor, 0, GROUPS_SHOWN)).map(({ id, name }) => ({ id, name }));

  async function render(user: PageUser & { userId: number }, message?: { kind: 'success' | 'error'; text: string }) {
    const manages = userCan(user, 'staff:manage');
    const [staff, groups] = manages ? await Promise.all([services.staff.list(user.actor!), groupNames(user.actor!)]) : [[], []];
    const passwordCard = html`<section class="card" aria-labelledby="pw-title">
      <h2 id="pw-title">Change your password</h2>
      <form method="post" action="/admin/users/password" class="stack">
        ${csrfField(user)}
        <label for="current-password">Current password</label>
        <input id="current-password" name="current" type="password" required autocomplete="current-password" />
        <label for="changed-password">New password</label>
        ${newPasswordInput('changed-password')}
        <button class="button" type="submit">Change password</button>
      </form>
    </section>`;
    return page({
      title: 'Staff',
      section: 'users',
      user,
      body: html`<div class="page-head">
          <h1>Staff</h1>
          <p class="lede">
            ${
              manages
                ? 'People who can sign in here, and what their role lets them do.'
                : html`You are signed in as <strong>${user.username}</strong>.`
            }
          </p>
        </div>
        ${message ? notice(message.kind, message.text) : ''}
        ${
          manages
            ? html`<div class="grid-2 grid-wide-left">
                <section class="card card-shrinks" aria-labelledby="staff-title">
                  <h2 id="staff-title">Accounts</h2>
                  <div class="table-wrap">
                    <table class="table" id="staff-table">
                      ${tableHead(['Username', 'Role', 'Added', 'Password changed', html`<span class="visually-hidden">Actions</span>`])}
                      <tbody>
                        ${staff.map((member) => staffRow(user, member, groups))}
                      </tbody>
                    </table>
                  </div>
                </section>
                <div class="stack-lg">
                  <section class="card" aria-labelledby="add-title">
                    <h2 id="add-title">Add an account</h2>
                    <form method="post" action="/admin/users" class="stack">
                      ${csrfField(user)}
                      <label for="new-username">Username</label>
                      <input
                        id="new-username"
                        name="username"
                        required
                        pattern="[A-Za-z0-9._@\\-]{1,64}"
                        autocomplete="off"
                        autocapitalize="none"
                        spellcheck="false"
                      />
                      <label for="new-password">Password <span class="hint">(at least ${MIN_PASSWORD_LENGTH} characters)</span></label>
                      ${newPasswordInput('new-password')}
                      <label for="new-role">Role</label>
                      ${roleSelect('new-role', 'viewer')} ${groupChoices('new', groups, [])}
                      <label for="new-email">E-mail <span class="hint">(optional: a leader's register reports go here)</span></label>
                      ${emailInput('new-email', null)}
                      <button class="button button-primary" type="submit">Add account</button>
                    </form>
                  </section>
                  ${passwordCard}
                </div>
              </div>`
            : passwordCard
        }`,
      scripts: ['admin.js'],
    });
  }

  const staffUser = (request: Parameters<typeof pageUserOf>[0]) => {
    const user = pageUserOf(request);
    return { ...user, userId: user.actor!.kind === 'staff' ? user.actor!.id : 0 };
  };

  /** The page again with a refusal (its status) instead of a bare error page. */
  async function refused(reply: FastifyReply, user: PageUser & { userId: number }, error: unknown) {
    if (!(error instanceof DomainError)) throw error;
    if (error.status === 429) reply.header('retry-after', '60');
    return reply
      .code(error.status)
      .type('text/html; charset=utf-8')
      .send(await render(user, { kind: 'error', text: error.detail }));
  }

  const groupIds = (body: FormBody) => formTexts(body, 'groups').map((raw) => idOf(raw) ?? -1);

  app.get<{ Querystring: { done?: string } }>('/admin/users', { config: { access: 'admin-page' } }, async (request, reply) => {
    const text = MESSAGES[request.query.done ?? ''];
    return reply.type('text/html; charset=utf-8').send(await render(staffUser(request), text ? { kind: 'success', text } : undefined));
  });

  app.post<{ Body: FormBody }>('/admin/users', { config: { access: 'admin-page' } }, async (request, reply) => {
    const user = staffUser(request);
    const role = formText(request.body, 'role') || 'viewer';
    try {
      await services.staff.create(user.actor!, {
        username: formText(request.body, 'username'),
        password: formText(request.body, 'password'),
        role,
        // A form sends every checked group; only a leader keeps them.
        groups: role === 'leader' ? groupIds(request.body) : [],
        email: formText(request.body, 'email'),
      });
    } catch (error) {
      return refused(reply, user, error);
    }
    return reply.redirect('/admin/users?done=created', 303);
  });

  app.post<{ Body: FormBody }>('/admin/users/password', { config: { access: 'admin-page' } }, async (request, reply) => {
    const user = staffUser(request);
    try {
      await services.staff.changeOwnPassword(
        user.actor!,
        request.ip,
        formText(request.body, 'current'),
        formText(request.body, 'password'),
      );
    } catch (error) {
      return refused(reply, user, error);
    }
    // Every session of this account ended with the change, this one too: the sign-in page says why.
    return reply.redirect('/admin?passwordChanged&next=/admin/users', 303);
  });

  app.post<{ Params: { id: string }; Body: FormBody }>('/admin/users/:id', { config: { access: 'admin-page' } }, async (request, reply) => {
    const user = staffUser(request);
    const id = idOf(request.params.id);
    try {
      if (id === undefined) throw DomainError.notFoundOf('staff account', request.params.id);
      const role = formText(request.body, 'role');
      await services.staff.update(user.actor!, id, {
        role,
        groups: role === 'leader' ? groupIds(request.body) : [],
        email: formText(request.body, 'email'),
      });
    } catch (error) {
      return refused(reply, user, error);
    }
    return reply.redirect('/admin/users?done=changed', 303);
  });

  app.post<{ Params: { id: string } }>('/admin/users/:id/delete', { config: { access: 'admin-page' } }, async (request, reply) => {
    const user = staffUser(request);
    const id = idOf(request.params.id);
    try {
      if (id === undefined) throw DomainError.notFoundOf('staff account', request.params.id);
      await services.staff.remove(user.actor!, id);
    } catch (error) {
      return refused(reply, user, error);
    }
    return reply.redirect('/admin/users?done=deleted', 303);
  });
};
