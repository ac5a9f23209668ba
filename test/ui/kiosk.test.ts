// The gate kiosk in real headless Chromium against the real service on PostgreSQL (AUTH_MODE=token):
// setup with a PIN from the admin's link, the PIN guarding the settings, offline check-ins kept across a
// reload while offline (the page comes from the service worker) and delivered exactly once when the
// network returns, a revoked token that never loses a queued check-in (held, downloadable, delivered
// with a new token), Leaving going back to Arriving, and names that are too long.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startServer, type RunningServer } from '../support/server.js';
import { chromiumMissing, launchChromium } from '../support/chromium.js';

const PASSWORD = 'a kiosk test password';

/** The few browser globals the test reads inside the page (the project compiles without the DOM types). */
interface BrowserGlobals {
  localStorage: { getItem(key: string): string | null };
  navigator: { serviceWorker: { controller: unknown } };
}
const PIN = '2468';
const skip = chromiumMissing();

describe('gate kiosk in headless Chromium', { skip }, () => {
  let server: RunningServer;
  let database: TestDatabase;
  let browser: Browser;
  let office: BrowserContext;
  let tablet: BrowserContext;
  let admin: Page;
  let kiosk: Page;
  let tokenId: string;
  let lastLink: string;

  before(async () => {
    database = await createTestDatabase();
    server = await startServer({
      env: { DATABASE_URL: database.url, AUTH_MODE: 'token', ADMIN_PASSWORD: PASSWORD, APP_TIMEZONE: 'Europe/Berlin' },
    });
    browser = await launchChromium();
    office = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    tablet = await browser.newContext({ viewport: { width: 1024, height: 768 }, hasTouch: true, acceptDownloads: true });
    for (const context of [office, tablet]) context.setDefaultTimeout(15_000);
  });
  after(async () => {
    await browser?.close();
    assert.equal(await server?.stop(), 0);
    await database?.drop();
  });

  async function until(check: () => Promise<boolean>, what: string, timeoutMs = 15_000) {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const stored = async (lastname: string) =>
    (await database.query<{ n: number }>(`SELECT count(*)::int AS n FROM checkins WHERE lastname = $1`, [lastname]))[0]!.n;

  async function createToken(name: string): Promise<string> {
    await admin.goto(`${server.url}/admin/tokens`);
    await admin.getByLabel('Name').fill(name);
    await admin.getByLabel(/^Gate/).fill('North');
    await admin.getByRole('button', { name: 'Create token' }).click();
    await admin.getByText('Copy it now').waitFor();
    tokenId = (await admin.locator('#token-table tbody tr').first().getAttribute('data-token-id'))!;
    lastLink = (await admin.locator('#kiosk-link').getAttribute('href'))!;
    return lastLink;
  }

  async function checkIn(firstname: string, lastname: string) {
    await kiosk.getByLabel('First name').fill(firstname);
    await kiosk.getByLabel('Last name').fill(lastname);
    await kiosk.getByRole('button', { name: /^Check (in|out)$/ }).tap();
  }

  async function unlockSettings() {
    await kiosk.getByRole('button', { name: 'Settings' }).tap();
    await kiosk.locator('#unlock-pin').fill(PIN);
    await kiosk.getByRole('button', { name: 'Unlock' }).tap();
    await kiosk.getByRole('heading', { name: 'Kiosk settings' }).waitFor();
  }

  test('set up from the admin link: the token is checked, a PIN is chosen, the service worker takes over', async () => {
    admin = await office.newPage();
    admin.on('dialog', (dialog) => void dialog.accept());
    await admin.goto(`${server.url}/admin/tokens`);
    await admin.getByLabel('Username').fill('admin');
    await admin.getByLabel('Password').fill(PASSWORD);
    await admin.getByRole('button', { name: 'Sign in' }).click();
    await admin.waitForURL((url) => url.pathname === '/admin/tokens');
    const link = await createToken('North tablet');

    kiosk = await tablet.newPage();
    const errors: string[] = [];
    kiosk.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
    kiosk.on('pageerror', (error) => errors.push(error.message));
    await kiosk.goto(`${server.url}${link}`);
    await kiosk.getByRole('heading', { name: 'Set up this kiosk' }).waitFor();
    assert.equal(new URL(kiosk.url()).hash, '', 'the token leaves the address bar');
    assert.equal(await kiosk.getByLabel('Gate', { exact: true }).inputValue(), 'North');
    assert.equal(await kiosk.getByRole('button', { name: 'Settings' }).isVisible(), false, 'no Settings button on the setup screen');
    assert.equal(await kiosk.getByRole('button', { name: 'Cancel' }).isVisible(), false, 'nothing to cancel to on first setup');

    // No PIN: refused with a message.
    await kiosk.getByRole('button', { name: 'Start the kiosk' }).tap();
    await kiosk.getByText('Choose a kiosk PIN of 4 to 12 digits.').waitFor();
    await kiosk.locator('#setup-pin').fill(PIN);
    await kiosk.locator('#setup-pin-again').fill(PIN);
    await kiosk.getByRole('button', { name: 'Start the kiosk' }).tap();
    await kiosk.getByText('Gate North', { exact: true }).waitFor();
    await kiosk.getByLabel('First name').waitFor();

    const saved = await kiosk.evaluate(() => (globalThis as unknown as BrowserGlobals).localStorage.getItem('barona.kiosk') ?? '');
    assert.doesNotMatch(saved, new RegExp(`"${PIN}"`), 'the PIN is not stored in clear');
    const settings = JSON.parse(saved) as { pin: { salt: string; hash: string; iterations: number }; tokenInfo: { name: string } };
    assert.ok(settings.pin.salt && settings.pin.hash && settings.pin.iterations >= 100_000);
    assert.equal(settings.tokenInfo.name, 'North tablet', 'the token was checked with the server');

    await until(
      () => kiosk.evaluate(() => (globalThis as unknown as BrowserGlobals).navigator.serviceWorker.controller !== null),
      'the service worker to control the kiosk',
    );
    // The worker is versioned by release and content, never cached by HTTP, and under the same strict CSP.
    const worker = await fetch(`${server.url}/kiosk-sw.js`);
    assert.equal(worker.status, 200);
    assert.match(worker.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.equal(worker.headers.get('cache-control'), 'no-cache');
    assert.match(worker.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    const source = await worker.text();
    assert.match(source, /const VERSION = "\d+\.\d+\.\d+-[0-9a-f]{12}";/);
    // The one list of offline files, written in by the server: every one of them is served.
    const shell = JSON.parse(/const SHELL = (\[[^\]]*\]);/.exec(source)![1]!) as string[];
    for (const url of [
      '/kiosk',
      '/assets/kiosk/main.js',
      '/assets/kiosk/outbox.js',
      '/assets/kiosk/roster.js',
      '/assets/app.css',
      '/kiosk-jsqr.js',
    ]) {
      assert.ok(shell.includes(url), `${url} is kept offline`);
    }
    for (const url of shell) assert.equal((await fetch(`${server.url}${url}`)).status, 200, url);
    assert.equal((await fetch(`${server.url}/assets/kiosk/nothing.js`)).status, 404);
    assert.deepEqual(errors, [], 'no console errors (CSP violations would show here)');
  });

  test('Leaving goes back to Arriving after each check-out; a check-out without arrival says so', async () => {
    await kiosk.getByText('Leaving').tap();
    await kiosk.getByRole('button', { name: 'Check out' }).waitFor();
    await checkIn('Nora', 'Neverarrived');
    const feedback = kiosk.locator('.kiosk-feedback.is-notice');
    await feedback.getByText('Goodbye, Nora!').waitFor();
    assert.match(await feedback.innerText(), /no arrival of Nora Neverarrived was recorded today/);
    assert.equal(await kiosk.getByLabel('Arriving').isChecked(), true);
    await kiosk.getByRole('button', { name: 'Check in' }).waitFor();
    assert.equal(await stored('Neverarrived'), 1, 'the check-out is recorded all the same');

    await checkIn('Ada', 'Lovelace');
    await kiosk.locator('.kiosk-feedback.is-success').getByText('Welcome, Ada!').waitFor();
    await kiosk.getByText('Leaving').tap();
    await checkIn('Ada', 'Lovelace');
    await kiosk.locator('.kiosk-feedback.is-success').getByText('Goodbye, Ada!').waitFor();
    assert.equal(await kiosk.getByLabel('Arriving').isChecked(), true);
  });

  test('a name over 100 characters is refused with a message, not cut', async () => {
    const long = 'Wolfeschlegelsteinhausenbergerdorff'.repeat(3); // 105 characters
    await checkIn('Hubert', long);
    await kiosk
      .locator('.kiosk-feedback.is-error')
      .getByText(/last name is too long \(105 characters; at most 100\)/)
      .waitFor();
    assert.equal(await kiosk.getByLabel('Last name').inputValue(), long, 'what was typed stays for correction');
    assert.equal((await database.query(`SELECT 1 FROM checkins WHERE firstname = 'Hubert'`)).length, 0);
    await kiosk.getByLabel('Last name').fill('');
    await kiosk.getByLabel('First name').fill('');
  });

  test('the PIN guards the settings; Cancel; the token is kept; a bad token is refused at setup', async () => {
    await kiosk.getByRole('button', { name: 'Settings' }).tap();
    await kiosk.locator('#unlock-pin').fill('0000');
    await kiosk.getByRole('button', { name: 'Unlock' }).tap();
    await kiosk.getByText('That is not the kiosk PIN.').waitFor();
    assert.equal(await kiosk.getByLabel('Gate', { exact: true }).isVisible(), false, 'no settings without the PIN');
    await kiosk.getByRole('button', { name: 'Cancel' }).tap();
    await kiosk.getByLabel('First name').waitFor();

    await unlockSettings();
    assert.equal(await kiosk.getByRole('button', { name: 'Settings' }).isVisible(), false);
    assert.equal(await kiosk.getByLabel('Gate token').inputValue(), '', 'the token is not shown again');
    assert.match(await kiosk.locator('#setup-token-kept').innerText(), /keeps its token brn_.*North tablet/);

    // Another gate with a token bound to North: refused, nothing saved.
    await kiosk.getByLabel('Gate', { exact: true }).fill('South');
    await kiosk.getByRole('button', { name: 'Save' }).tap();
    await kiosk.getByText('This token may only check people in at gate "North".').waitFor();
    // A token that is not one: refused at setup, not at the first check-in.
    await kiosk.getByLabel('Gate', { exact: true }).fill('North');
    await kiosk.getByLabel('Gate token').fill('brn_not-a-real-token');
    await kiosk.getByRole('button', { name: 'Save' }).tap();
    await kiosk.getByText(/This gate token is not valid/).waitFor();
    await kiosk.getByRole('button', { name: 'Cancel' }).tap();
    await kiosk.getByLabel('First name').waitFor();
    assert.equal(await kiosk.getByText('Gate North', { exact: true }).isVisible(), true);

    // Saving another setting keeps the token (no need to paste it again).
    await unlockSettings();
    await kiosk.getByRole('button', { name: 'Save' }).tap();
    await kiosk.getByLabel('First name').waitFor();
    await checkIn('Grace', 'Hopper');
    await kiosk.locator('.kiosk-feedback.is-success').getByText('Welcome, Grace!').waitFor();
  });

  test('offline: check-ins are queued at once, survive a reload while offline, and are delivered exactly once', async () => {
    await tablet.setOffline(true);
    const started = Date.now();
    await checkIn('Olga', 'Offlineone');
    await kiosk.locator('.kiosk-feedback.is-queued').getByText('Olga Offlineone: saved on this tablet').waitFor();
    assert.ok(Date.now() - started < 2500, `queued at once (took ${Date.now() - started} ms)`);
    assert.equal(await kiosk.getByRole('button', { name: 'Check in' }).isEnabled(), true);

    // The service worker has no network either: what it serves now comes from its cache.
    const [worker] = tablet.serviceWorkers();
    assert.ok(worker, 'a service worker runs');
    assert.equal(
      await worker.evaluate(() =>
        fetch('/healthz').then(
          () => 'reached',
          () => 'offline',
        ),
      ),
      'offline',
    );
    // Reload without a network: the service worker serves the kiosk, the outbox is still there.
    const response = await kiosk.reload();
    assert.ok(response?.fromServiceWorker(), 'the page came from the service worker');
    await kiosk.getByText('Gate North', { exact: true }).waitFor();
    await kiosk.getByText('1 check-in waiting to be sent').waitFor();
    await kiosk.getByText('Leaving').tap();
    await checkIn('Otto', 'Offlinetwo');
    await kiosk.locator('.kiosk-feedback.is-queued').waitFor();
    assert.equal(await kiosk.getByLabel('Arriving').isChecked(), true, 'a queued check-out also resets the direction');
    await kiosk.getByText('2 check-ins waiting to be sent').waitFor();
    assert.equal(await stored('Offlineone'), 0);
    assert.equal(await stored('Offlinetwo'), 0);

    const online = new Date();
    await tablet.setOffline(false);
    await until(async () => (await stored('Offlineone')) === 1 && (await stored('Offlinetwo')) === 1, 'the queued check-ins on the server');
    await until(async () => (await kiosk.locator('#kiosk-net').innerText()) === '', 'the outbox to empty');
    const rows = await database.query<{ lastname: string; direction: string; gate: string; before: boolean }>(
      `SELECT lastname, direction, gate, login < $1 AND recorded_at >= $1 AS before FROM checkins WHERE lastname LIKE 'Offline%' ORDER BY id`,
      [online.toISOString()],
    );
    assert.deepEqual(
      rows,
      [
        { lastname: 'Offlineone', direction: 'in', gate: 'North', before: true },
        { lastname: 'Offlinetwo', direction: 'out', gate: 'North', before: true },
      ],
      'stored with the time it happened (before the network came back), in order',
    );

    // Another reload and another round of retries change nothing: exactly once.
    await kiosk.reload();
    await kiosk.getByText('Gate North', { exact: true }).waitFor();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(await stored('Offlineone'), 1);
    assert.equal(await stored('Offlinetwo'), 1);
  });

  test('a revoked token never loses a queued check-in: held, downloadable, delivered with a new token', async () => {
    await tablet.setOffline(true);
    await checkIn('Rita', 'Revoked');
    await kiosk.locator('.kiosk-feedback.is-queued').waitFor();

    await admin.goto(`${server.url}/admin/tokens`);
    await admin
      .locator(`tr[data-token-id="${tokenId}"]`)
      .getByRole('button', { name: /Revoke/ })
      .click();
    await admin.getByText('Token revoked.').waitFor();

    await tablet.setOffline(false);
    const held = kiosk.locator('#kiosk-held');
    await held.getByText('1 check-in cannot be delivered and is kept on this tablet.').waitFor();
    assert.match(await held.innerText(), /no longer accepts this kiosk's gate token/);
    assert.equal(await stored('Revoked'), 0);

    // Still there after a reload, still not sent.
    await kiosk.reload();
    await held.getByText('1 check-in cannot be delivered').waitFor();
    assert.equal(await stored('Revoked'), 0);

    // Staff download it for an admin.
    await unlockSettings();
    await kiosk.getByText('1 check-in not on the server yet (1 refused by the server).').waitFor();
    const [download] = await Promise.all([kiosk.waitForEvent('download'), kiosk.getByRole('button', { name: 'Download as a file' }).tap()]);
    assert.match(download.suggestedFilename(), /^barona-kiosk-North-\d{4}-\d{2}-\d{2}-\d{4}\.json$/);
    const file = JSON.parse(await readFile((await download.path())!, 'utf8')) as {
      checkins: { idempotencyKey: string; firstname: string; lastname: string; gate: string; occurredAt: string; problem: string }[];
    };
    assert.equal(file.checkins.length, 1);
    assert.equal(file.checkins[0]!.lastname, 'Revoked');
    assert.equal(file.checkins[0]!.gate, 'North');
    assert.match(file.checkins[0]!.idempotencyKey, /^[0-9a-f-]{36}$/);
    assert.match(file.checkins[0]!.problem, /gate token/);

    // Or deliver it after re-authorising the kiosk with a new token.
    const link = await createToken('North tablet 2');
    const newToken = new URLSearchParams(link.split('#')[1]).get('token')!;
    await kiosk.getByLabel('Gate token').fill(newToken);
    await kiosk.getByRole('button', { name: 'Save' }).tap();
    await kiosk.getByLabel('First name').waitFor();
    await until(async () => (await stored('Revoked')) === 1, 'the held check-in delivered with the new token');
    await until(() => held.isHidden(), 'the warning to go');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(await stored('Revoked'), 1, 'exactly once');
  });

  test('at 390 px the Settings button is on screen; hovered buttons stay readable (Sign out, kiosk Settings)', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 } });
    try {
      const small = await phone.newPage();
      await small.goto(`${server.url}${lastLink}`);
      await small.locator('#setup-pin').fill(PIN);
      await small.locator('#setup-pin-again').fill(PIN);
      await small.getByRole('button', { name: 'Start the kiosk' }).click();
      const settings = small.getByRole('button', { name: 'Settings' });
      await settings.waitFor();
      const box = (await settings.boundingBox())!;
      assert.ok(box.x >= 0 && box.x + box.width <= 390, `Settings fits the screen (${box.x}+${box.width})`);
      await settings.hover();
      assert.ok((await contrast(small, '#kiosk-settings-open')) >= 4.5, 'kiosk Settings hovered: at least 4.5:1');

      await admin.goto(`${server.url}/admin/sheet`);
      await admin.getByRole('button', { name: 'Sign out' }).hover();
      assert.ok((await contrast(admin, '.signout .button')) >= 4.5, 'Sign out hovered: at least 4.5:1');
    } finally {
      await phone.close();
    }
  });
});

/** WCAG contrast ratio of an element's text colour on its background (or the nearest painted ancestor's). */
async function contrast(page: Page, selector: string): Promise<number> {
  // No helper functions inside evaluate: the test compiler would name them with a helper the page lacks.
  const [foreground, background] = await page.locator(selector).evaluate((element) => {
    type Styled = { parentElement: Styled | null };
    const view = globalThis as unknown as { getComputedStyle(node: Styled): { color: string; backgroundColor: string } };
    let node: Styled | null = element as unknown as Styled;
    let painted = 'rgba(0, 0, 0, 0)';
    while (node && /rgba\(0, 0, 0, 0\)|transparent/.test(painted)) {
      painted = view.getComputedStyle(node).backgroundColor;
      node = node.parentElement;
    }
    return [view.getComputedStyle(element as unknown as Styled).color, painted];
  });
  const luminance = (rgb: string) => {
    const [r, g, b] = rgb
      .match(/\d+(\.\d+)?/g)!
      .slice(0, 3)
      .map(Number)
      .map((c) => c / 255)
      .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
  };
  const [a, b] = [luminance(foreground), luminance(background)].sort((x, y) => y - x);
  return (a! + 0.05) / (b! + 0.05);
}
