// GET /screen: the venue's big screen. How many people are inside now, per gate, against capacity, with
// no personal data on it, so it needs no sign-in and may hang in the foyer. The server renders the
// current counts (the page works without its script), from the gate service's count that every screen
// shares; public/screen.js refreshes them from GET /api/v1/occupancy every few seconds.
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../app.js';
import type { Occupancy } from './gate-service.js';
import { html, type SafeHtml } from '../../views/html.js';
import { clock, page } from '../../views/layout.js';

/** 'ok' below 90 % of capacity, 'near' from 90 %, 'full' at or over it; 'open' without a capacity. */
export function fillState(inside: number, capacity: number | null): 'open' | 'ok' | 'near' | 'full' {
  if (capacity === null) return 'open';
  if (inside >= capacity) return 'full';
  return inside >= capacity * 0.9 ? 'near' : 'ok';
}

const STATE_TEXT = { open: '', ok: '', near: 'Nearly full', full: 'Full' } as const;

function meter(inside: number, capacity: number | null, label: string): SafeHtml {
  const state = fillState(inside, capacity);
  return html`<div class="screen-count">
      <span class="screen-inside" data-field="inside">${String(inside)}</span>
      <span class="screen-capacity" data-field="capacity">${capacity === null ? 'inside' : `of ${capacity}`}</span>
    </div>
    ${capacity === null ? '' : html`<meter min="0" max="${String(capacity)}" value="${String(Math.min(inside, capacity))}" aria-label="${label}"></meter>`}
    <p class="screen-state" data-state="${state}">${STATE_TEXT[state]}</p>`;
}

export function screenBody(now: Occupancy): SafeHtml {
  return html`<div class="screen-shell" id="screen" data-refresh="/api/v1/occupancy">
    <header class="screen-head">
      <h1>Inside now</h1>
      <p class="screen-updated" role="status" aria-live="polite">Updated <time id="screen-at">${clock(now.at)}</time></p>
    </header>
    <section class="screen-total" data-state="${fillState(now.inside, now.capacity)}" aria-label="Everyone inside">
      ${meter(now.inside, now.capacity, 'Venue filled')}
    </section>
    <ul class="screen-gates" id="screen-gates">
      ${now.gates.map(
        (g) =>
          html`<li class="screen-gate" data-state="${fillState(g.inside, g.capacity)}">
            <h2>${g.gate || 'No gate'}${g.listed ? '' : html` <span class="screen-unlisted">(unlisted)</span>`}</h2>
            ${meter(g.inside, g.capacity, `${g.gate || 'No gate'} filled`)}
          </li>`,
      )}
    </ul>
    ${now.gates.length === 0 ? html`<p class="screen-empty">No gates yet: add them on the Gates page.</p>` : ''}
  </div>`;
}

export const uiScreenRoutes: FastifyPluginAsync<AppContext> = async (app, { services }) => {
  app.get('/screen', { config: { access: 'public' } }, async (_request, reply) => {
    const now = await services.gates.occupancy();
    return reply
      .type('text/html; charset=utf-8')
      .send(page({ title: 'Inside now', body: screenBody(now), scripts: ['screen.js'], bodyClass: 'screen' }));
  });
};
