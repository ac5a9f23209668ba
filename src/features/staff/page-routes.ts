// /admin/users: list admins, add one, change your own password, remove another admin.
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../app.js';
import { sessionOf } from '../../plugins/access-control.js';
import {
  AdminUserError,
  checkCredentials,
  createAdminUser,
  deleteAdminUser,
  findAdminUser,
  listAdminUsers,
  setAdminPassword,
} from './admin-users.js';
import { recordAudit } from '../audit/audit-log.js';
import { MIN_PASSWORD_LENGTH } from './passwords.js';
import { reserveSignInGuess, signInSucceeded, waitText } from './sign-in-throttle.js';
import { html, type SafeHtml } from '../../views/html.js';
import { csrfField, dangerButton, dateTime, notice, page, tableHead, type PageUser } from '../../views/layout.js';
import { formText, type FormBody } from '../../views/form.js';

const MESSAGES: Record<string, string> = {
  created: 'Admin added.',
  deleted: 'Admin removed; their sessions have ended.',
  password: 'Password changed. Your other sessions have ended; sign in again.',
};

/** A field for a password being set: the length rule is checked by the browser too. */
function newPasswordInput(id: string): SafeHtml {
  return html`<input id="${id}" name="password" type="password" required minlength="${MIN_PASSWORD_LENGTH}" autocomplete="new-password" />`;
}

export const adminUserRoutes: FastifyPluginAsync<AppContext> = async (app, context) => {
  const { db } = context;

  async function render(user: PageUser & { userId: number }, message?: { kind: 'success' | 'error'; text: string }) {
    const users = await listAdminUsers(db);
    return page({
      title: 'Admins',
      section: 'users',
      user,
      body: html`<div class="page-head">
          <h1>Admins</h1>
          <p class="lede">People who can sign in here, see attendance and correct entries.</p>
        </div>
        ${message ? notice(message.kind, message.text) : ''}
        <div class="grid-2">
          <section class="card" aria-labelledby="admins-title">
            <h2 id="admins-title">Admins</h2>
            <table class="table">
              ${tableHead(['Username', 'Added', 'Password changed', html`<span class="visually-hidden">Actions</span>`])}
              <tbody>
                ${users.map(
                  (u) =>
                    html`<tr>
                      <td>${u.username}${u.id === user.userId ? html` <span class="badge">you</span>` : ''}</td>
                      <td>${dateTime(u.createdAt)}</td>
                      <td>${dateTime(u.passwordChangedAt)}</td>
                      <td class="actions">
                        ${
                          u.id === user.userId || users.length < 2
                            ? ''
                            : dangerButton({
                                user,
                                action: `/admin/users/${u.id}/delete`,
                                confirm: `Remove admin ${u.username}?`,
                                label: 'Remove',
                                subject: u.username,
                              })
                        }
                      </td>
                    </tr>`,
                )}
              </tbody>
            </table>
          </section>
          <div class="stack-lg">
            <section class="card" aria-labelledby="add-title">
              <h2 id="add-title">Add an admin</h2>
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
                <button class="button button-primary" type="submit">Add admin</button>
              </form>
            </section>
            <section class="card" aria-labelledby="pw-title">
              <h2 id="pw-title">Change your password</h2>
              <form method="post" action="/admin/users/password" class="stack">
                ${csrfField(user)}
                <label for="current-password">Current password</label>
                <input id="current-password" name="current" type="password" required autocomplete="current-password" />
                <label for="changed-password">New password</label>
                ${newPasswordInput('changed-password')}
                <button class="button" type="submit">Change password</button>
              </form>
            </section>
          </div>
        </div>`,
      scripts: ['admin.js'],
    });
  }

  const pageUser = (request: Parameters<typeof sessionOf>[0]) => {
    const s = sessionOf(request);
    return { username: s.username, csrfToken: s.csrfToken, userId: s.userId };
  };

  app.get<{ Querystring: { done?: string } }>('/admin/users', { config: { access: 'admin-page' } }, async (request, reply) => {
    const text = MESSAGES[request.query.done ?? ''];
    return reply.type('text/html; charset=utf-8').send(await render(pageUser(request), text ? { kind: 'success', text } : undefined));
  });

  app.post<{ Body: FormBody }>('/admin/users', { config: { access: 'admin-page' } }, async (request, reply) => {
    const username = formText(request.body, 'username').trim();
    try {
      const created = await createAdminUser(db, username, formText(request.body, 'password'));
      await recordAudit(db, {
        actor: sessionOf(request).username,
        action: 'create',
        entity: 'admin',
        entityId: created.id,
        after: { username: created.username },
      });
    } catch (error) {
      if (!(error instanceof AdminUserError)) throw error;
      return reply
        .code(400)
        .type('text/html; charset=utf-8')
        .send(await render(pageUser(request), { kind: 'error', text: error.message }));
    }
    return reply.redirect('/admin/users?done=created', 303);
  });

  app.post<{ Body: FormBody }>('/admin/users/password', { config: { access: 'admin-page' } }, async (request, reply) => {
    const me = pageUser(request);
    // The current password is a guess like a sign-in's: the same throttle counts it (a stolen session
    // must not become an unlimited password oracle).
    const wait = await reserveSignInGuess(db, request.ip, me.username, context.config.auth);
    if (wait > 0) {
      return reply
        .code(429)
        .header('retry-after', String(wait))
        .type('text/html; charset=utf-8')
        .send(await render(me, { kind: 'error', text: `Too many wrong passwords. Try again in ${waitText(wait)}.` }));
    }
    const ok = await checkCredentials(db, me.username, formText(request.body, 'current'));
    if (ok) await signInSucceeded(db, request.ip, me.username);
    if (!ok)
      return reply
        .code(400)
        .type('text/html; charset=utf-8')
        .send(await render(me, { kind: 'error', text: 'The current password is not right.' }));
    try {
      await setAdminPassword(db, me.userId, formText(request.body, 'password'));
    } catch (error) {
      if (!(error instanceof AdminUserError)) throw error;
      return reply
        .code(400)
        .type('text/html; charset=utf-8')
        .send(await render(me, { kind: 'error', text: error.message }));
    }
    await recordAudit(db, { actor: me.username, action: 'change password', entity: 'admin', entityId: me.userId });
    // Every session of this admin ended with the change, this one too: the sign-in page says why.
    return reply.redirect('/admin?passwordChanged&next=/admin/users', 303);
  });

  app.post<{ Params: { id: string } }>('/admin/users/:id/delete', { config: { access: 'admin-page' } }, async (request, reply) => {
    const me = pageUser(request);
    const id = Number(request.params.id);
    const target = Number.isSafeInteger(id) ? await findAdminUser(db, id) : undefined;
    if (!target)
      return reply
        .code(404)
        .type('text/html; charset=utf-8')
        .send(await render(me, { kind: 'error', text: 'No such admin.' }));
    if (target.id === me.userId) {
      return reply
        .code(400)
        .type('text/html; charset=utf-8')
        .send(await render(me, { kind: 'error', text: 'You cannot remove yourself.' }));
    }
    const removed = await deleteAdminUser(db, id);
    if (!removed)
      return reply
        .code(400)
        .type('text/html; charset=utf-8')
        .send(await render(me, { kind: 'error', text: 'The last admin cannot be removed.' }));
    await recordAudit(db, {
      actor: me.username,
      action: 'delete',
      entity: 'admin',
      entityId: id,
      before: { username: removed.username },
    });
    return reply.redirect('/admin/users?done=deleted', 303);
  });
};
