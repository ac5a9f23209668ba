// The web UI in real headless Chromium against the real service on PostgreSQL with AUTH_MODE=token:
// sign in, create a gate token, check a person in at the kiosk and watch them appear live on the sheet,
// search, export CSV, correct and delete with the audit log showing it, revoke the token and see the
// kiosk refused, CSRF rejection, and session expiry.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startServer, type RunningServer } from '../support/server.js';
import { chromiumMissing, launchChromium } from '../support/chromium.js';

const PASSWORD = 'a browser test password';
const skip = chromiumMissing();

describe('web UI in headless Chromium', { skip }, () => {
  let server: RunningServer;
  let database: TestDatabase;
  let browser: Browser;
  let office: BrowserContext; // the organiser's laptop
  let tablet: BrowserContext; // the gate tablet
  let sheet: Page;
  let kiosk: Page;
  let tokenId: string;

  before(async () => {
    database = await createTestDatabase();
    server = await startServer({
      env: { DATABASE_URL: database.url, AUTH_MODE: 'token', ADMIN_PASSWORD: PASSWORD, APP_TIMEZONE: 'Europe/Berlin' },
    });
    browser = await launchChromium();
    office = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    tablet = await browser.newContext({ viewport: { width: 1024, height: 768 }, hasTouch: true });
    for (const context of [office, tablet]) context.setDefaultTimeout(15_000);
  });
  after(async () => {
    await browser?.close();
    assert.equal(await server?.stop(), 0);
    await database?.drop();
  });

  /** Polls `check` until it is true (the page's CSP rightly forbids evaluating strings in it). */
  async function until(check: () => Promise<boolean>, what: string, timeoutMs = 10_000) {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const rowCount = () => sheet.locator('#sheet-table tr[data-id]').count();

  async function signIn(page: Page, next = '/admin/sheet') {
    await page.goto(`${server.url}${next}`);
    await page.waitForURL(/\/admin\?next=/);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.pathname === next);
  }

  test('sign in, create a gate token and set up the kiosk from its link', async () => {
    sheet = await office.newPage();
    const errors: string[] = [];
    sheet.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
    sheet.on('pageerror', (error) => errors.push(error.message));
    await signIn(sheet, '/admin/tokens');

    await sheet.getByLabel('Name').fill('North tablet');
    await sheet.getByLabel(/^Gate/).fill('North');
    await sheet.getByRole('button', { name: 'Create token' }).click();
    await sheet.getByText('Copy it now').waitFor();
    const link = await sheet.locator('#kiosk-link').getAttribute('href');
    assert.match(link ?? '', /^\/kiosk#token=brn_/);
    tokenId = (await sheet.locator('#token-table tbody tr').first().getAttribute('data-token-id'))!;

    kiosk = await tablet.newPage();
    await kiosk.goto(`${server.url}${link}`);
    // The link fills in the setup; staff choose the PIN that guards the settings.
    await kiosk.locator('#setup-pin').fill('1357');
    await kiosk.locator('#setup-pin-again').fill('1357');
    await kiosk.getByRole('button', { name: 'Start the kiosk' }).tap();
    await kiosk.getByText('Gate North', { exact: true }).waitFor();
    assert.equal(new URL(kiosk.url()).hash, '', 'the token leaves the address bar');
    assert.deepEqual(errors, [], 'no console errors (CSP violations would show here)');
  });

  test('a kiosk check-in appears live on the open attendance sheet', async () => {
    await sheet.goto(`${server.url}/admin/sheet`);
    await sheet.locator('#live-indicator:not(.offline)').waitFor();
    await sheet.getByText('No check-ins on this day yet.').waitFor();

    await kiosk.getByLabel('First name').fill('Ada');
    await kiosk.getByLabel('Last name').fill('Lovelace');
    await kiosk.getByRole('button', { name: 'Check in' }).tap();
    await kiosk.locator('.kiosk-feedback.is-success').getByText('Welcome, Ada!').waitFor();

    // No reload: the row arrives over server-sent events.
    const row = sheet.locator('#sheet-table tr', { hasText: 'Lovelace, Ada' });
    await row.waitFor();
    assert.match(await row.innerText(), /North/);
    assert.equal(await sheet.locator('#stat-in').innerText(), '1');

    // The same person again within the duplicate window is not counted twice.
    await kiosk.getByLabel('First name').fill('Ada');
    await kiosk.getByLabel('Last name').fill('Lovelace');
    await kiosk.getByRole('button', { name: 'Check in' }).tap();
    await kiosk.locator('.kiosk-feedback.is-duplicate').waitFor();
    assert.match(await kiosk.locator('.kiosk-feedback').innerText(), /already checked in/);

    for (const [first, last] of [
      ['Grace', 'Hopper'],
      ['Émile', 'Borel'],
    ]) {
      await kiosk.getByLabel('First name').fill(first!);
      await kiosk.getByLabel('Last name').fill(last!);
      await kiosk.keyboard.press('Enter');
      await kiosk.locator('.kiosk-feedback.is-success').getByText(`Welcome, ${first}!`).waitFor();
    }
    await sheet.locator('#sheet-table tr[data-id]').nth(2).waitFor();
    assert.equal(await sheet.locator('#sheet-table tr[data-id]').count(), 3);
    assert.equal(await sheet.locator('#stat-in').innerText(), '3');
  });

  test('search by name filters the sheet in place, accent-insensitively', async () => {
    await sheet.getByLabel('Name').fill('emile');
    await until(async () => (await rowCount()) === 1, 'one matching row');
    assert.match(await sheet.locator('#sheet-table tbody').innerText(), /Borel, Émile/);
    assert.match(sheet.url(), /q=emile/);
    await sheet.getByLabel('Name').fill('');
    await until(async () => (await rowCount()) === 3, 'all rows again');
  });

  test('the export button downloads the day as CSV', async () => {
    const [download] = await Promise.all([sheet.waitForEvent('download'), sheet.getByRole('link', { name: 'Export CSV' }).click()]);
    const stream = await download.createReadStream();
    let csv = '';
    for await (const chunk of stream) csv += chunk;
    assert.match(csv, /Lovelace/);
    assert.match(csv, /Hopper/);
    assert.equal(csv.split(/\r?\n/).filter((line) => line.includes('Lovelace')).length, 1);
  });

  test('correct and delete an entry; the audit log shows who, before and after', async () => {
    sheet.on('dialog', (dialog) => void dialog.accept());
    await sheet
      .locator('#sheet-table tr', { hasText: 'Hopper, Grace' })
      .getByRole('link', { name: /Correct/ })
      .click();
    await sheet.getByLabel('First name').fill('Grace Brewster');
    await sheet.getByRole('button', { name: 'Save correction' }).click();
    await sheet.getByText('Correction saved.').waitFor();
    const history = sheet.locator('section', { hasText: 'History' });
    assert.match(await history.innerText(), /correct[\s\S]*Grace[\s\S]*Grace Brewster/);

    await sheet.getByRole('button', { name: 'Delete entry' }).click();
    await sheet.getByText('Entry deleted.').waitFor();
    await sheet.getByRole('link', { name: 'Audit log' }).click();
    const log = await sheet.locator('.audit-table').innerText();
    assert.match(log, /admin\s+owner\s+delete/);
    assert.match(log, /admin\s+owner\s+correct/);
    assert.match(log, /Grace Brewster/);

    await sheet.goto(`${server.url}/admin/sheet`);
    assert.equal(await sheet.locator('#sheet-table tr[data-id]').count(), 2, 'the deleted entry is gone from the sheet');
  });

  test('a revoked token: the kiosk is refused', async () => {
    await sheet.goto(`${server.url}/admin/tokens`);
    await sheet
      .locator(`tr[data-token-id="${tokenId}"]`)
      .getByRole('button', { name: /Revoke/ })
      .click();
    await sheet.getByText('Token revoked.').waitFor();

    await kiosk.getByLabel('First name').fill('Alan');
    await kiosk.getByLabel('Last name').fill('Turing');
    await kiosk.getByRole('button', { name: 'Check in' }).tap();
    await kiosk.locator('.kiosk-feedback.is-error').getByText('This kiosk may not check people in.').waitFor();
    const rows = await database.query(`SELECT 1 FROM checkins WHERE lastname = 'Turing'`);
    assert.equal(rows.length, 0);
  });

  test('a form with a forged CSRF token is rejected', async () => {
    await sheet.goto(`${server.url}/admin/users`);
    await sheet
      .locator('form[action="/admin/users"] input[name="_csrf"]')
      .evaluate((input) => ((input as unknown as { value: string }).value = 'forged'));
    await sheet.locator('#new-username').fill('mallory');
    await sheet.locator('#new-password').fill('mallory password 123');
    const [response] = await Promise.all([
      sheet.waitForResponse((r) => r.url().endsWith('/admin/users') && r.request().method() === 'POST'),
      sheet.getByRole('button', { name: 'Add account' }).click(),
    ]);
    assert.equal(response.status(), 403);
    assert.match(await sheet.content(), /CSRF check failed/);
    assert.equal((await database.query(`SELECT 1 FROM admin_users WHERE username = 'mallory'`)).length, 0);
  });

  test('an expired session sends the sheet back to sign-in', async () => {
    await sheet.goto(`${server.url}/admin/sheet`);
    await sheet.locator('#live-indicator:not(.offline)').waitFor();
    await database.query(`UPDATE admin_sessions SET expires_at = now() - interval '1 second'`);
    await sheet.reload();
    await sheet.waitForURL(/\/admin\?next=/);
    await sheet.getByText('Please sign in to continue.').waitFor();
  });
});
