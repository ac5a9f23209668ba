// /admin/tokens: gate API tokens. A new token is shown exactly once (with a kiosk link carrying it in
// the URL fragment, which browsers never send to a server); only its hash is stored.
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../app.js';
import type { TokenScope } from '../../domain/actor.js';
import { DomainError } from '../../domain/domain-error.js';
import { idOf, pageUserOf } from '../../http/page-request.js';
import { EXPIRY_MAX_DAYS } from './token-service.js';
import { html, type SafeHtml } from '../../views/html.js';
import { csrfField, dangerButton, dateTime, gateOptions, notice, page, tableHead, type PageUser } from '../../views/layout.js';
import { qrCode } from '../people/qr-code.js';
import { formText, formTexts, type FormBody } from '../../views/form.js';

const SCOPE_LABEL: Record<TokenScope, string> = { checkin: 'check in', read: 'read attendance' };

/** The form's wording of the service's refusals, by field. */
const FORM_PROBLEM: Record<string, string> = {
  name: 'Give the token a name (up to 100 characters).',
  gate: 'The gate has at most 100 characters.',
  scopes: 'Choose what the token may do: check people in, read attendance, or both.',
  expiresInDays: `Expires after: a whole number of days from 1 to ${EXPIRY_MAX_DAYS}, or empty for never.`,
};

export const adminTokenRoutes: FastifyPluginAsync<AppContext> = async (app, { services }) => {
  async function render(user: PageUser, top?: SafeHtml | '') {
    const [tokens, gates] = await Promise.all([services.tokens.list(user.actor!), services.gates.list(user.actor!)]);
    return page({
      title: 'Gate tokens',
      section: 'tokens',
      user,
      scripts: ['admin.js'],
      body: html`<div class="page-head">
          <h1>Gate tokens</h1>
          <p class="lede">
            A token lets a kiosk or a scanner at a gate use the API: check people in, read attendance, or both, as chosen when it is made.
            Revoking one stops it at once.
          </p>
        </div>
        ${top ?? ''}
        <div class="grid-2 grid-wide-left">
          <section class="card" aria-labelledby="tokens-title">
            <h2 id="tokens-title">Tokens</h2>
            ${
              tokens.length === 0
                ? html`<p class="empty">No tokens yet. Create one for each gate tablet.</p>`
                : // A table on a wide column; one card per token on a narrow one (public/app.css, .token-list).
                  html`<div class="token-list">
                    <table class="table" id="token-table">
                      <caption class="visually-hidden">
                        Gate tokens, newest first
                      </caption>
                      ${tableHead(['Name', 'Gate', 'May', 'Token', 'Created', 'Last used', 'Expires', 'Status'])}
                      <tbody>
                        ${tokens.map(
                          (t) => html`<tr${t.revokedAt ? html` class="muted"` : ''} data-token-id="${t.id}">
                            <td>${t.name}</td>
                            <td>${t.gate || html`<span class="hint">any</span>`}</td>
                            <td>${t.scopes.map((scope) => SCOPE_LABEL[scope]).join(', ')}</td>
                            <td><code>${t.tokenPrefix}…</code></td>
                            <td>
                              <span class="nowrap">${dateTime(t.createdAt)}</span> <span class="hint">by ${t.createdBy}</span>
                            </td>
                            <td>
                              ${t.lastUsedAt ? html`<span class="nowrap">${dateTime(t.lastUsedAt)}</span>` : html`<span class="hint">never</span>`}
                            </td>
                            <td>
                              ${t.expiresAt ? html`<span class="nowrap">${dateTime(t.expiresAt)}</span>` : html`<span class="hint">never</span>`}
                            </td>
                            <td>
                              ${
                                t.revokedAt
                                  ? html`<span class="badge badge-muted">revoked</span>
                                      <span class="hint"
                                        ><span class="nowrap">${dateTime(t.revokedAt)}</span> by ${t.revokedBy ?? ''}</span
                                      >`
                                  : dangerButton({
                                      user,
                                      action: `/admin/tokens/${t.id}/revoke`,
                                      confirm: `Revoke the token ${t.name}? Kiosks using it stop working at once.`,
                                      label: 'Revoke',
                                      subject: t.name,
                                    })
                              }
                            </td>
                          </tr>`,
                        )}
                      </tbody>
                    </table>
                  </div>`
            }
          </section>
          <section class="card" aria-labelledby="new-token-title">
            <h2 id="new-token-title">New token</h2>
            <form method="post" action="/admin/tokens" class="stack">
              ${csrfField(user)}
              <label for="token-name">Name</label>
              <input id="token-name" name="name" required maxlength="100" placeholder="North entrance tablet" />
              <label for="token-gate">Gate <span class="hint">(optional: the token may then only check in at this gate)</span></label>
              <input id="token-gate" name="gate" maxlength="100" placeholder="North" list="gate-options" />
              ${gateOptions(gates)}
              <fieldset class="stack">
                <legend>The token may</legend>
                <label class="check-option"><input type="checkbox" name="scope" value="checkin" checked /> check people in</label>
                <label class="check-option"
                  ><input type="checkbox" name="scope" value="read" />
                  <span>read attendance <span class="hint">(lists, day sheets, summaries, CSV exports of every gate)</span></span></label
                >
              </fieldset>
              <label for="token-expires">Expires after <span class="hint">(days; empty = never)</span></label>
              <input id="token-expires" name="expiresInDays" type="number" min="1" max="${EXPIRY_MAX_DAYS}" inputmode="numeric" />
              <button class="button button-primary" type="submit">Create token</button>
            </form>
          </section>
        </div>`,
    });
  }

  const pageUser = pageUserOf;

  app.get<{ Querystring: { done?: string } }>('/admin/tokens', { config: { access: 'admin-page' } }, async (request, reply) => {
    const top = request.query.done === 'revoked' ? notice('success', 'Token revoked. Requests with it are refused from now on.') : '';
    return reply.type('text/html; charset=utf-8').send(await render(pageUser(request), top));
  });

  app.post<{ Body: FormBody }>('/admin/tokens', { config: { access: 'admin-page' } }, async (request, reply) => {
    const user = pageUser(request);
    const name = formText(request.body, 'name').trim();
    const gate = formText(request.body, 'gate').trim();
    const expiresIn = formText(request.body, 'expiresInDays').trim();
    const days = Number(expiresIn);
    let created;
    try {
      if (expiresIn !== '' && !(Number.isInteger(days) && days >= 1 && days <= EXPIRY_MAX_DAYS)) {
        throw DomainError.invalid('expiresInDays', `a whole number of days from 1 to ${EXPIRY_MAX_DAYS}, or empty for never`);
      }
      created = await services.tokens.create(user.actor!, {
        name,
        gate,
        scopes: formTexts(request.body, 'scope'),
        expiresAt: expiresIn === '' ? undefined : new Date(Date.now() + days * 86_400_000).toISOString(),
      });
    } catch (error) {
      if (!(error instanceof DomainError) || error.status !== 400) throw error;
      return reply
        .code(400)
        .type('text/html; charset=utf-8')
        .send(await render(user, notice('error', FORM_PROBLEM[error.errors[0]?.field ?? ''] ?? error.detail)));
    }
    const { token } = created;
    const kioskLink = `/kiosk#${new URLSearchParams({ token, ...(gate ? { gate } : {}) }).toString()}`;
    const shown = html`<section class="card card-highlight" aria-labelledby="created-title" role="status">
      <h2 id="created-title">Token “${name}” created</h2>
      <p>Copy it now: it is shown only this once and cannot be recovered.</p>
      <div class="copy-row">
        <input id="new-token" class="mono" readonly value="${token}" aria-label="The new token" />
        <button type="button" class="button" data-copy="#new-token">Copy</button>
      </div>
      <p>Or open this link on the gate tablet to set up its kiosk${gate ? html` for gate <strong>${gate}</strong>` : ''}:</p>
      <p><a class="button button-primary" id="kiosk-link" href="${kioskLink}">Open the kiosk with this token</a></p>
      <figure class="kiosk-qr">
        ${await qrCode(`${request.protocol}://${request.host}${kioskLink}`, 'QR code of the kiosk setup link with this token', 'qr-code')}
        <figcaption>
          Or scan this with the tablet's camera: it opens the same link. It holds the token, so keep it as private as the token.
        </figcaption>
      </figure>
    </section>`;
    return reply
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(await render(user, shown));
  });

  app.post<{ Params: { id: string } }>('/admin/tokens/:id/revoke', { config: { access: 'admin-page' } }, async (request, reply) => {
    const user = pageUser(request);
    const id = idOf(request.params.id);
    try {
      if (id === undefined) throw DomainError.notFoundOf('gate token', request.params.id);
      await services.tokens.revoke(user.actor!, id);
    } catch (error) {
      if (!(error instanceof DomainError) || error.status !== 404) throw error;
      return reply
        .code(404)
        .type('text/html; charset=utf-8')
        .send(await render(user, notice('error', 'No such active token.')));
    }
    return reply.redirect('/admin/tokens?done=revoked', 303);
  });
};
