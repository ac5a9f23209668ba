// Pages that hold up on every screen, in real headless Chromium against the real service on PostgreSQL:
// the gate-token list keeps its words and dates whole at 1280 px and fits a 390 px phone with Revoke in
// view; the scope checkboxes are checkbox-sized; the sheet's name filter still filters (what is on screen,
// saying so) while the server does not answer.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startServer, type RunningServer } from '../support/server.js';
import { chromiumMissing, launchChromium } from '../support/chromium.js';

const PASSWORD = 'a venue pages password';
const skip = chromiumMissing();

interface Globals {
  document: {
    documentElement: { scrollWidth: number; clientWidth: number };
    querySelectorAll(selector: string): ArrayLike<{ getClientRects(): ArrayLike<unknown>; textContent: string | null }>;
  };
}

async function signIn(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  await page.goto('/admin');
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname === '/admin/sheet');
  return page;
}

describe('venue pages in headless Chromium', { skip, timeout: 300_000 }, () => {
  let server: RunningServer;
  let database: TestDatabase;
  let browser: Browser;

  before(async () => {
    database = await createTestDatabase();
    server = await startServer({ env: { DATABASE_URL: database.url, AUTH_MODE: 'token', ADMIN_PASSWORD: PASSWORD } });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    assert.equal(await server?.stop(), 0);
    await database?.drop();
  });

  test('gate tokens: whole words and dates at 1280 px; cards with Revoke in view at 390 px; small checkboxes', async () => {
    const desk = await browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL: server.url });
    const page = await signIn(desk);
    await page.goto('/admin/tokens');
    const tokens: [string, string][] = [
      ['North entrance tablet', 'North'],
      ['Scanner by the south cloakroom', ''],
    ];
    for (const [name, gate] of tokens) {
      await page.getByLabel('Name', { exact: true }).fill(name);
      await page.getByLabel(/^Gate/).fill(gate);
      await page.getByLabel('read attendance').check();
      await page.getByLabel(/Expires after/).fill('30');
      await page.getByRole('button', { name: 'Create token' }).click();
      await page
        .getByText(/created/)
        .first()
        .waitFor();
      await page.goto('/admin/tokens');
    }
    const box = (await page.getByLabel('check people in').boundingBox())!;
    assert.ok(box.width <= 24 && box.height <= 24, `a checkbox is checkbox-sized (${box.width}×${box.height})`);

    // No date, time or word is broken across lines: each .nowrap and each cell word sits on one line.
    const broken = await page.evaluate(() => {
      const { document } = globalThis as unknown as Globals;
      const spans = Array.from(document.querySelectorAll('#token-table .nowrap, #token-table code'));
      return spans.filter((span) => span.getClientRects().length > 1).map((span) => span.textContent);
    });
    assert.deepEqual(broken, []);
    for (const cell of await page.locator('#token-table tbody td:nth-child(3)').all()) {
      const text = (await cell.innerText()).replace(/^May\s*/, '');
      assert.doesNotMatch(text, /\w\n\w/, `“${text}” is not broken inside a word`);
    }
    await desk.close();

    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, baseURL: server.url, isMobile: true, hasTouch: true });
    const small = await signIn(phone);
    await small.goto('/admin/tokens');
    const overflow = await small.evaluate(() => {
      const { document } = globalThis as unknown as Globals;
      return document.documentElement.scrollWidth - document.documentElement.clientWidth;
    });
    assert.ok(overflow <= 0, `nothing overflows sideways (${overflow} px)`);
    const revokes = await small.getByRole('button', { name: /^Revoke/ }).all();
    assert.equal(revokes.length, 2);
    for (const revoke of revokes) {
      const r = (await revoke.boundingBox())!;
      assert.ok(r.x >= 0 && r.x + r.width <= 390, `Revoke is in view (x ${r.x}, width ${r.width})`);
    }
    await phone.close();
  });

  test('the sheet filter, typed while the server does not answer, filters the rows on screen and says so', async () => {
    for (const lastname of ['Lovelace', 'Hopper', 'Turing']) {
      const response = await fetch(`${server.url}/table/create`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await bootstrapToken()}` },
        body: JSON.stringify({ firstname: 'Sam', lastname, gate: 'North' }),
      });
      assert.equal(response.status, 201);
    }
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL: server.url });
    const page = await signIn(context);
    await page.locator('#sheet-table tbody tr[data-id]').nth(2).waitFor();
    await context.route('**/admin/sheet/live**', (route) => route.abort('connectionrefused'));
    await page.getByLabel('Name', { exact: true }).fill('hop');
    await page.getByText('Not connected: only the entries already on screen are filtered.').waitFor();
    const shown = await page.locator('#sheet-table tbody tr[data-id]:visible .person').allInnerTexts();
    assert.deepEqual(shown, ['Hopper, Sam']);
    // Back online: the server's answer replaces the local filtering, and the note goes.
    await context.unroute('**/admin/sheet/live**');
    await page.getByLabel('Name', { exact: true }).fill('turing');
    await page.getByText('Not connected').waitFor({ state: 'detached' });
    assert.deepEqual(await page.locator('#sheet-table tbody tr[data-id] .person').allInnerTexts(), ['Turing, Sam']);
    await context.close();
  });

  let token: string | undefined;
  /** A gate token made through the API with the admin's session (to record check-ins as a kiosk would). */
  async function bootstrapToken(): Promise<string> {
    if (token) return token;
    const context = await browser.newContext({ baseURL: server.url });
    await (await signIn(context)).close();
    const csrf = ((await (await context.request.get('/api/v1/session')).json()) as { csrfToken: string }).csrfToken;
    const created = await context.request.post('/api/v1/tokens', {
      data: { name: 'Sheet test', scopes: ['checkin'] },
      headers: { 'x-csrf-token': csrf },
    });
    token = ((await created.json()) as { token: string }).token;
    await context.close();
    return token;
  }
});
