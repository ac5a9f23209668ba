// GET /kiosk: the gate kiosk, a touch-first check-in form bound to one gate. The page itself holds no
// personal data; its script (src/kiosk-ui, built into dist/kiosk-ui and served as /assets/kiosk/*.js)
// sends check-ins to POST /api/v1/checkins with a gate token (kept in the tablet's local storage) or, for
// a signed-in admin, the session and its CSRF token, and keeps the roster (GET /api/v1/kiosk/roster) for
// scanning offline. A PIN chosen at setup guards the settings; check-ins that cannot be sent wait in the
// tablet's outbox.
// The PIN fields are masked text fields, not password fields: a browser's password manager must never
// store the kiosk PIN (and offer it to the next passer-by) or take the gate token for a user name.
// The result of a check-in comes first in the page, sticky at the top of the screen, so it is in view
// however far the form was scrolled: a status (polite) for what went through or was kept, an alert for
// a refusal.
// GET /kiosk-sw.js: the kiosk's service worker (scope /kiosk), so the kiosk reopens without a network;
// the server writes into it the one list of offline files (offline-files.ts) and their content hash.
// GET /kiosk-jsqr.js: the jsQR decoder from node_modules as an ES module, for camera scanning where the
// browser has no BarcodeDetector (the kiosk loads it only then; the service worker keeps it offline).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../app.js';
import { actorOf } from '../../plugins/access-control.js';
import { html } from '../../views/html.js';
import { gateOptions, page } from '../../views/layout.js';
import { PUBLIC_DIR } from '../../http/public-files.js';
import { KIOSK_ENTRY, KIOSK_MODULES_PATH, kioskModules, offlineFiles } from './offline-files.js';

const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string })
  .version;

/** jsQR (Apache-2.0) is published as a UMD bundle: given `module`, it exports itself there. */
function qrDecoderSource(): string {
  const require = createRequire(import.meta.url);
  const { version, license } = require('jsqr/package.json') as { version: string; license: string };
  return [
    `// jsQR ${version} (${license}, https://github.com/cozmo/jsQR), wrapped as an ES module by Barona.`,
    'const module = { exports: {} };',
    'const exports = module.exports;',
    readFileSync(require.resolve('jsqr'), 'utf8'),
    'export default module.exports.default;',
    '',
  ].join('\n');
}

/** The service worker with the offline files and its cache version: the release plus a hash of those files. */
function serviceWorkerSource(qrDecoder: string, modules: ReadonlyMap<string, Buffer>): string {
  const template = readFileSync(path.join(PUBLIC_DIR, 'kiosk-sw.js'), 'utf8');
  const files = offlineFiles(modules);
  const hash = createHash('sha256').update(template).update(qrDecoder);
  for (const { url, file } of files) hash.update(url).update(file ? readFileSync(file) : '');
  const version = `${PACKAGE_VERSION}-${hash.digest('hex').slice(0, 12)}`;
  const replaced = template
    .replace(`const VERSION = 'dev';`, `const VERSION = ${JSON.stringify(version)};`)
    .replace('const SHELL = [];', `const SHELL = ${JSON.stringify(files.map(({ url }) => url))};`);
  if (!replaced.includes(version) || replaced.includes('const SHELL = [];'))
    throw new Error('public/kiosk-sw.js lacks its VERSION or SHELL line');
  return replaced;
}

export const uiKioskRoutes: FastifyPluginAsync<AppContext> = async (app, context) => {
  const qrDecoder = qrDecoderSource();
  const modules = kioskModules();
  const serviceWorker = serviceWorkerSource(qrDecoder, modules);

  app.get<{ Params: { file: string } }>(`${KIOSK_MODULES_PATH}:file`, { config: { access: 'public' } }, async (request, reply) => {
    const module = modules.get(request.params.file);
    if (!module) return reply.callNotFound();
    // Revalidated like the worker: a tablet must not mix modules of two releases.
    return reply.header('cache-control', 'no-cache').type('text/javascript; charset=utf-8').send(module);
  });

  app.get('/kiosk-sw.js', { config: { access: 'public' } }, async (_request, reply) =>
    reply
      // Always revalidated: a new release must reach the tablets on their next visit.
      .header('cache-control', 'no-cache')
      .type('text/javascript; charset=utf-8')
      .send(serviceWorker),
  );

  app.get('/kiosk-jsqr.js', { config: { access: 'public' } }, async (_request, reply) =>
    reply.header('cache-control', 'no-cache').type('text/javascript; charset=utf-8').send(qrDecoder),
  );

  app.get('/kiosk', { config: { access: 'public' } }, async (request, reply) => {
    const principal = await app.identify(request).catch(() => null);
    // The managed list of gates to choose from (names only: the public big screen shows them too); the
    // form still works without it.
    const gates = (await context.services.gates.names().catch(() => [])).map((name) => ({ name }));
    const session = principal?.kind === 'session' ? principal.session : undefined;
    const body = html`<div class="kiosk-shell" data-auth-mode="${context.config.authMode}" data-signed-in="${session ? 'yes' : 'no'}">
      <header class="kiosk-bar">
        <span class="brand"><span class="brand-mark" aria-hidden="true">B</span>Barona</span>
        <span class="kiosk-gate" id="kiosk-gate-label" aria-live="polite"></span>
        <span class="kiosk-net" id="kiosk-net" role="status"></span>
        <button type="button" class="button button-quiet" id="kiosk-settings-open" hidden>Settings</button>
      </header>

      <section id="kiosk-unlock" class="kiosk-setup card" aria-labelledby="unlock-title" hidden>
        <h1 id="unlock-title">Kiosk PIN</h1>
        <p class="lede">Enter the kiosk PIN chosen when this tablet was set up.</p>
        <form id="unlock-form" class="stack" novalidate>
          <label for="unlock-pin">Kiosk PIN</label>
          <input id="unlock-pin" name="pin" class="pin-input" inputmode="numeric" autocomplete="off" maxlength="12" />
          <p id="unlock-error" class="field-error" role="alert" hidden></p>
          <div class="button-row">
            <button type="submit" class="button button-primary">Unlock</button>
            <button type="button" class="button" id="unlock-cancel">Cancel</button>
          </div>
          <p class="hint">Forgot the PIN? An admin who signs in on this tablet (/admin) can open the settings without it.</p>
        </form>
      </section>

      <section id="kiosk-setup" class="kiosk-setup card" aria-labelledby="setup-title" hidden>
        <h1 id="setup-title">Set up this kiosk</h1>
        <p class="lede">
          Choose the gate this tablet stands at${session ? '' : html`, paste the gate token an admin created for it`} and a PIN that guards
          these settings.
        </p>
        <form id="setup-form" class="stack" novalidate>
          <label for="setup-gate">Gate</label>
          <input id="setup-gate" name="gate" maxlength="100" autocomplete="off" placeholder="North" list="gate-options" />
          ${gateOptions(gates)}
          ${
            session
              ? html`<p class="hint">
                  Signed in as <strong>${session.username}</strong>: check-ins are sent with your session unless you paste a gate token.
                </p>`
              : ''
          }
          <label for="setup-token">Gate token</label>
          <input id="setup-token" name="token" class="mono" autocomplete="off" spellcheck="false" placeholder="brn_…" />
          <p class="hint" id="setup-token-kept" hidden></p>
          ${context.config.authMode === 'open' ? html`<p class="hint">This server accepts check-ins without a token (open mode).</p>` : ''}
          <label for="setup-pin">Kiosk PIN <span class="hint" id="setup-pin-hint">(4 to 12 digits)</span></label>
          <input id="setup-pin" name="pin" class="pin-input" inputmode="numeric" autocomplete="off" maxlength="12" />
          <label for="setup-pin-again">Kiosk PIN again</label>
          <input id="setup-pin-again" name="pinAgain" class="pin-input" inputmode="numeric" autocomplete="off" maxlength="12" />
          <p id="setup-error" class="field-error" role="alert" hidden></p>
          <div class="button-row">
            <button type="submit" class="button button-primary" id="setup-save">Start the kiosk</button>
            <button type="button" class="button" id="setup-cancel" hidden>Cancel</button>
          </div>
        </form>

        <p id="roster-status" class="hint"></p>

        <section id="outbox-panel" class="outbox-panel" aria-labelledby="outbox-title" hidden>
          <h2 id="outbox-title">Check-ins kept on this tablet</h2>
          <p id="outbox-summary"></p>
          <ul id="outbox-list" class="outbox-list"></ul>
          <div class="button-row">
            <button type="button" class="button" id="outbox-retry">Send them now</button>
            <button type="button" class="button" id="outbox-export">Download as a file</button>
            <button type="button" class="button button-danger" id="outbox-discard" hidden>Remove the downloaded ones</button>
          </div>
          <p class="hint">
            The file (JSON) lists each check-in with its time and its Idempotency-Key: an admin can enter them, and sending them later never
            counts anyone twice.
          </p>
        </section>
      </section>

      <section id="kiosk-main" class="kiosk-main" aria-labelledby="kiosk-title" hidden>
        <h1 id="kiosk-title" class="visually-hidden">Check in</h1>
        <div id="kiosk-feedback" class="kiosk-feedback">
          <p id="kiosk-said" role="status" aria-live="polite" aria-atomic="true"></p>
          <p id="kiosk-refused" role="alert" aria-atomic="true"></p>
        </div>
        <div id="kiosk-held" class="kiosk-held" role="alert" hidden></div>
        <div id="kiosk-undo" class="kiosk-undo" hidden>
          <span id="kiosk-undo-text"></span>
          <button type="button" class="button" id="kiosk-undo-button">Undo</button>
        </div>
        <form id="checkin-form" class="kiosk-form" novalidate>
          <div class="kiosk-badge-row">
            <div class="field">
              <label for="badge">Badge <span class="hint">(scan it, or type the code printed under the QR code)</span></label>
              <input
                id="badge"
                name="badge"
                class="mono"
                autocomplete="off"
                autocapitalize="off"
                spellcheck="false"
                enterkeyhint="go"
                maxlength="64"
              />
            </div>
            <button type="button" class="button kiosk-camera-open" id="camera-open">Scan with camera</button>
          </div>
          <p class="kiosk-or">or type your name</p>
          <div class="kiosk-fields">
            <div class="field">
              <label for="firstname">First name</label>
              <input id="firstname" name="firstname" required autocomplete="off" autocapitalize="words" enterkeyhint="next" />
            </div>
            <div class="field">
              <label for="lastname">Last name</label>
              <input id="lastname" name="lastname" required autocomplete="off" autocapitalize="words" enterkeyhint="go" />
            </div>
          </div>
          <div id="roster" class="kiosk-roster" hidden>
            <p id="roster-title" class="kiosk-roster-title">Is this you? Tap your name:</p>
            <ul id="roster-list" class="kiosk-roster-list" aria-labelledby="roster-title"></ul>
          </div>
          <fieldset class="direction">
            <legend>Direction</legend>
            <input type="radio" id="direction-in" name="direction" value="in" checked /><label for="direction-in">Arriving</label>
            <input type="radio" id="direction-out" name="direction" value="out" /><label for="direction-out">Leaving</label>
          </fieldset>
          <button type="submit" class="button button-primary kiosk-submit" id="checkin-submit">Check in</button>
        </form>
      </section>

      <section id="kiosk-camera" class="kiosk-camera" aria-labelledby="camera-title" hidden>
        <h1 id="camera-title">Hold your badge's QR code up to the camera</h1>
        <video id="camera-video" class="kiosk-camera-video" playsinline muted></video>
        <p id="camera-status" class="kiosk-camera-status" role="status" aria-live="polite"></p>
        <button type="button" class="button" id="camera-close">Cancel</button>
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
          scripts: [`kiosk/${KIOSK_ENTRY}`],
          user: session ? { username: session.username, csrfToken: session.csrfToken, actor: actorOf(request) } : undefined,
        }),
      );
  });
};
