// GET /kiosk: the gate kiosk, a touch-first check-in form bound to one gate. The page itself holds no
// personal data; its script sends check-ins to POST /api/v1/checkins with a gate token (kept in the
// tablet's local storage) or, for a signed-in admin, the session and its CSRF token.
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../app.js';
import { identify } from '../plugins/access-control.js';
import { html } from '../views/html.js';
import { page } from '../views/layout.js';

export const uiKioskRoutes: FastifyPluginAsync<AppContext> = async (app, context) => {
  app.get('/kiosk', { config: { access: 'public' } }, async (request, reply) => {
    const principal = await identify(request, context).catch(() => null);
    const session = principal?.kind === 'session' ? principal.session : undefined;
    const body = html`<div class="kiosk-shell" data-auth-mode="${context.config.authMode}" data-signed-in="${session ? 'yes' : 'no'}">
      <header class="kiosk-bar">
        <span class="brand"><span class="brand-mark" aria-hidden="true">B</span>Barona</span>
        <span class="kiosk-gate" id="kiosk-gate-label" aria-live="polite"></span>
        <span class="kiosk-net" id="kiosk-net" role="status"></span>
        <button type="button" class="button button-quiet" id="kiosk-settings-open" hidden>Settings</button>
      </header>

      <section id="kiosk-setup" class="kiosk-setup card" aria-labelledby="setup-title" hidden>
        <h1 id="setup-title">Set up this kiosk</h1>
        <p class="lede">Choose the gate this tablet stands at${session ? '' : html`, and paste the gate token an admin created for it`}.</p>
        <form id="setup-form" class="stack">
          <label for="setup-gate">Gate</label>
          <input id="setup-gate" name="gate" required maxlength="100" autocomplete="off" placeholder="North" />
          ${
            session
              ? html`<p class="hint">Signed in as <strong>${session.username}</strong>: check-ins are sent with your session.</p>`
              : html`<label for="setup-token">Gate token</label>
                  <input
                    id="setup-token"
                    name="token"
                    class="mono"
                    autocomplete="off"
                    spellcheck="false"
                    placeholder="brn_…"
                    ${context.config.authMode === 'token' ? 'required' : ''}
                  />
                  ${context.config.authMode === 'open' ? html`<p class="hint">This server accepts check-ins without a token (open mode).</p>` : ''}`
          }
          <button type="submit" class="button button-primary button-wide">Start the kiosk</button>
        </form>
      </section>

      <section id="kiosk-main" class="kiosk-main" aria-labelledby="kiosk-title" hidden>
        <h1 id="kiosk-title" class="visually-hidden">Check in</h1>
        <form id="checkin-form" class="kiosk-form" novalidate>
          <div class="kiosk-fields">
            <div class="field">
              <label for="firstname">First name</label>
              <input
                id="firstname"
                name="firstname"
                required
                maxlength="100"
                autocomplete="off"
                autocapitalize="words"
                enterkeyhint="next"
              />
            </div>
            <div class="field">
              <label for="lastname">Last name</label>
              <input id="lastname" name="lastname" required maxlength="100" autocomplete="off" autocapitalize="words" enterkeyhint="go" />
            </div>
          </div>
          <fieldset class="direction">
            <legend>Direction</legend>
            <input type="radio" id="direction-in" name="direction" value="in" checked /><label for="direction-in">Arriving</label>
            <input type="radio" id="direction-out" name="direction" value="out" /><label for="direction-out">Leaving</label>
          </fieldset>
          <button type="submit" class="button button-primary kiosk-submit" id="checkin-submit">Check in</button>
        </form>
        <div id="kiosk-feedback" class="kiosk-feedback" role="status" aria-live="assertive" aria-atomic="true" hidden></div>
      </section>
      <noscript><p class="notice notice-error">The kiosk needs JavaScript.</p></noscript>
    </div>`;
    return reply
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(
        page({
          title: 'Gate kiosk',
          bodyClass: 'kiosk',
          body,
          scripts: ['kiosk.js'],
          user: session ? { username: session.username, csrfToken: session.csrfToken } : undefined,
        }),
      );
  });
};
