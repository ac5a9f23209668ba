// The webhooks page (/admin/webhooks) and an endpoint's delivery log (/admin/webhooks/{id}).
import { html, type SafeHtml } from '../../views/html.js';
import { csrfField, dangerButton, dateTime, page, tableHead, type PageUser } from '../../views/layout.js';
import { EVENT_DESCRIPTIONS, EVENT_TYPES } from './webhook-events.js';
import type { Delivery, WebhookEndpoint } from './webhook-service.js';

function stateBadge(endpoint: WebhookEndpoint): SafeHtml {
  switch (endpoint.state) {
    case 'enabled':
      return html`<span class="badge badge-create">enabled</span>`;
    case 'disabled':
      return html`<span class="badge badge-muted">disabled</span>`;
    case 'disabled-failing':
      return html`<span class="badge badge-delete">disabled after failing</span><br /><span class="hint"
          >${dateTime(endpoint.disabledAt)}</span
        >`;
  }
}

function lastDelivery(endpoint: WebhookEndpoint): SafeHtml {
  const last = endpoint.lastDelivery;
  if (!last) return html`<span class="hint">none yet</span>`;
  return html`${dateTime(last.at)}<br /><span class="hint"
      >${last.ok ? `delivered (${last.status ?? ''})` : `failed: ${last.error ?? ''}`}${
        endpoint.failingSince ? `, failing since ${dateTime(endpoint.failingSince)}` : ''
      }</span
    >`;
}

function smallButton(user: PageUser, action: string, label: string, subject: string): SafeHtml {
  return html`<form method="post" action="${action}" class="inline">
    ${csrfField(user)}<button class="button button-small" type="submit">${label}<span class="visually-hidden"> ${subject}</span></button>
  </form>`;
}

/** The secret, shown once, after it was made or rotated. */
export function secretShown(what: string, secret: string): SafeHtml {
  return html`<section class="card card-highlight" aria-labelledby="secret-title" role="status">
    <h2 id="secret-title">${what}</h2>
    <p>Copy the signing secret now: it is shown only this once and cannot be recovered (rotate it to get a new one).</p>
    <div class="copy-row">
      <input id="new-secret" class="mono" readonly value="${secret}" aria-label="The signing secret" />
      <button type="button" class="button" data-copy="#new-secret">Copy</button>
    </div>
  </section>`;
}

export function webhooksPage(user: PageUser, endpoints: WebhookEndpoint[], top: SafeHtml | ''): string {
  return page({
    title: 'Webhooks',
    section: 'webhooks',
    user,
    scripts: ['admin.js'],
    body: html`<div class="page-head">
        <h1>Webhooks</h1>
        <p class="lede">
          Other systems hear of check-ins, corrections, deletions, erasures and register marks as they happen: each event is POSTed to the
          endpoints that asked for it, signed (Standard Webhooks), and retried for a day when the endpoint does not answer.
        </p>
      </div>
      ${top}
      <div class="grid-2 grid-wide-left">
        <section class="card" aria-labelledby="webhooks-title">
          <h2 id="webhooks-title">Endpoints</h2>
          ${
            endpoints.length === 0
              ? html`<p class="empty">No webhooks yet.</p>`
              : html`<table class="table" id="webhook-table">
                  ${tableHead(['URL', 'Events', 'State', 'Last delivery', ''])}
                  <tbody>
                    ${endpoints.map(
                      (e) =>
                        html`<tr data-webhook-id="${e.id}" ${e.enabled ? '' : html` class="muted"`}>
                          <td>
                            <a href="/admin/webhooks/${e.id}"><code>${e.url}</code></a
                            >${e.description ? html`<br /><span class="hint">${e.description}</span>` : ''}
                          </td>
                          <td>${e.events.join(', ')}</td>
                          <td>${stateBadge(e)}</td>
                          <td>${lastDelivery(e)}</td>
                          <td>
                            <a class="button button-small" href="/admin/webhooks/${e.id}">Deliveries</a>
                            ${smallButton(user, `/admin/webhooks/${e.id}/rotate`, 'Rotate secret', e.url)}
                            ${
                              e.enabled
                                ? smallButton(user, `/admin/webhooks/${e.id}/disable`, 'Disable', e.url)
                                : smallButton(user, `/admin/webhooks/${e.id}/enable`, 'Enable', e.url)
                            }
                            ${dangerButton({
                              user,
                              action: `/admin/webhooks/${e.id}/delete`,
                              confirm: `Delete the webhook to ${e.url}? Its delivery log goes with it.`,
                              label: 'Delete',
                              subject: e.url,
                            })}
                          </td>
                        </tr>`,
                    )}
                  </tbody>
                </table>`
          }
        </section>
        <section class="card" aria-labelledby="new-webhook-title">
          <h2 id="new-webhook-title">New webhook</h2>
          <form method="post" action="/admin/webhooks" class="stack">
            ${csrfField(user)}
            <label for="webhook-url">URL</label>
            <input id="webhook-url" name="url" type="url" required maxlength="2000" placeholder="https://example.org/barona-events" />
            <label for="webhook-description">Description <span class="hint">(optional)</span></label>
            <input id="webhook-description" name="description" maxlength="200" />
            <fieldset class="stack">
              <legend>Send these events</legend>
              ${EVENT_TYPES.map(
                (type) =>
                  html`<label
                    ><input type="checkbox" name="event" value="${type}" checked /> <code>${type}</code>
                    <span class="hint">${EVENT_DESCRIPTIONS[type]}</span></label
                  >`,
              )}
            </fieldset>
            <button class="button button-primary" type="submit">Create webhook</button>
          </form>
        </section>
      </div>`,
  });
}

export function deliveriesPage(user: PageUser, endpoint: WebhookEndpoint, deliveries: Delivery[], nextCursor: string | null): string {
  return page({
    title: `Deliveries to ${endpoint.url}`,
    section: 'webhooks',
    user,
    body: html`<div class="page-head">
        <p><a href="/admin/webhooks">← Webhooks</a></p>
        <h1>Deliveries</h1>
        <p class="lede"><code>${endpoint.url}</code> · ${stateBadge(endpoint)}</p>
      </div>
      <section class="card" aria-labelledby="deliveries-title">
        <h2 id="deliveries-title">Attempts, newest first</h2>
        ${
          deliveries.length === 0
            ? html`<p class="empty">Nothing was sent to this endpoint yet.</p>`
            : html`<table class="table" id="delivery-table">
                ${tableHead(['Time', 'Event', 'Message id (webhook-id)', 'Attempt', 'HTTP status', 'Duration', 'Result'])}
                <tbody>
                  ${deliveries.map(
                    (d) =>
                      html`<tr>
                        <td>${dateTime(d.at)}</td>
                        <td><code>${d.eventType}</code></td>
                        <td><code>${d.webhookId}</code></td>
                        <td>${d.attempt}</td>
                        <td>${d.status ?? '—'}</td>
                        <td>${d.durationMs} ms</td>
                        <td>
                          ${d.ok ? html`<span class="badge badge-create">delivered</span>` : html`<span class="badge badge-delete">failed</span> ${d.error ?? ''}`}
                        </td>
                      </tr>`,
                  )}
                </tbody>
              </table>`
        }
        ${nextCursor ? html`<p><a class="button" href="/admin/webhooks/${endpoint.id}?cursor=${encodeURIComponent(nextCursor)}">Older attempts</a></p>` : ''}
      </section>`,
  });
}
