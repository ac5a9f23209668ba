// The attendance sheet in headless Chromium against the real service on PostgreSQL, as an organiser uses
// it: with more than 200 entries a new arrival appears at the top live; a 100-character name fits at
// 1280 and 390 px (and so does the entry page's history); on a phone the first entry shows on the first
// screen; the day summary and its chart are shown; the "not arrived yet" list of a chosen group follows
// check-ins live; the Excel CSV starts with a byte-order mark; a password change is confirmed.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { api } from '../support/api.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startServer, type RunningServer } from '../support/server.js';
import { chromiumMissing, launchChromium } from '../support/chromium.js';
import { zoneAwayFromMidnight } from '../support/time-zones.js';

const PASSWORD = 'sheet browser password';
const LONG_FIRST = 'W'.repeat(100);
const LONG_LAST = 'M'.repeat(100);
const skip = chromiumMissing();

describe('the attendance sheet in headless Chromium', { skip, timeout: 300_000 }, () => {
  let server: RunningServer;
  let database: TestDatabase;
  let browser: Browser;
  let desk: BrowserContext; // the organiser's laptop
  let phone: BrowserContext;
  let sheet: Page;
  const errors: string[] = [];

  const checkIn = async (firstname: string, lastname: string, gate = 'North', direction: 'in' | 'out' = 'in') => {
    const created = await api<{ id: number }>(`${server.url}/api/v1/checkins`, { body: { firstname, lastname, gate, direction } });
    assert.equal(created.status, 201, created.text);
    return created.body.id;
  };

  /** Polls `check` until it is true (the page's CSP rightly forbids evaluating strings in it). */
  async function until(check: () => Promise<boolean>, what: string, timeoutMs = 10_000) {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async function signIn(page: Page) {
    await page.goto(`${server.url}/admin/sheet`);
    await page.waitForURL(/\/admin\?next=/);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.pathname === '/admin/sheet');
  }

  function watch(page: Page) {
    page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
    page.on('pageerror', (error) => errors.push(error.message));
  }

  /** Nothing sticks out sideways: neither the page nor any table scrolls horizontally. */
  async function assertNoHorizontalOverflow(page: Page, what: string) {
    const widths = await page.evaluate(() => {
      // Runs in the page (the tests are compiled without the DOM's types).
      interface Box {
        scrollWidth: number;
        clientWidth: number;
        id: string;
        className: string;
      }
      const { document } = globalThis as unknown as {
        document: { documentElement: Box; querySelectorAll(selector: string): Iterable<Box> };
      };
      const doc = document.documentElement;
      const tables = [...document.querySelectorAll('.table-wrap, table')].map((el) => ({
        scroll: el.scrollWidth,
        client: el.clientWidth,
        id: el.id || el.className,
      }));
      return { page: doc.scrollWidth, viewport: doc.clientWidth, tables };
    });
    assert.ok(widths.page <= widths.viewport, `${what}: the page is ${widths.page}px wide in a ${widths.viewport}px window`);
    for (const table of widths.tables) {
      assert.ok(table.scroll <= table.client + 1, `${what}: ${table.id} scrolls sideways (${table.scroll} > ${table.client})`);
    }
  }

  /** The Correct button of a row lies inside the window. */
  async function assertCorrectVisible(page: Page, rowId: number, what: string) {
    const viewport = page.viewportSize()!;
    // A live refresh may swap the rows while they are measured: measure again until the row holds still.
    const button = page.locator(`#sheet-table tr[data-id="${rowId}"] .actions a`);
    let box = await button.boundingBox();
    for (let tries = 0; box === null && tries < 50; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      box = await button.boundingBox();
    }
    assert.ok(box, `${what}: the Correct button is rendered`);
    assert.ok(
      box.x >= 0 && box.x + box.width <= viewport.width,
      `${what}: Correct at x=${box.x}..${box.x + box.width} of ${viewport.width}`,
    );
  }

  let longId: number;

  before(async () => {
    database = await createTestDatabase();
    // Every entry below, seeded up to ten minutes ago or made during the test, is on today's sheet: in
    // Berlin, unless Berlin is near midnight (a run at 23:00 UTC once split them over two days).
    const timezone = zoneAwayFromMidnight(['Europe/Berlin', 'Asia/Tokyo']);
    server = await startServer({ env: { DATABASE_URL: database.url, ADMIN_PASSWORD: PASSWORD, APP_TIMEZONE: timezone } });
    // 205 earlier entries today, so the sheet has more than one page of 200.
    await database.query(
      `INSERT INTO checkins (firstname, lastname, gate, direction, name_key, login)
       SELECT 'Early' || i, 'Bird', CASE WHEN i % 2 = 0 THEN 'North' ELSE 'South' END, CASE WHEN i % 5 = 0 THEN 'out' ELSE 'in' END,
              'early' || i || ' bird', now() - make_interval(secs => 600 - i)
         FROM generate_series(1, 205) AS i`,
    );
    longId = await checkIn(LONG_FIRST, LONG_LAST);
    browser = await launchChromium();
    desk = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    phone = await browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
    for (const context of [desk, phone]) context.setDefaultTimeout(15_000);
    sheet = await desk.newPage();
    watch(sheet);
    await signIn(sheet);
  });
  after(async () => {
    await browser?.close();
    assert.equal(await server?.stop(), 0);
    await database?.drop();
  });

  test('newest first: a new arrival appears live at the top of a sheet with more than 200 entries', async () => {
    await sheet.locator('#live-indicator:not(.offline)').waitFor();
    const rows = sheet.locator('#sheet-table tr[data-id]');
    assert.equal(await rows.count(), 200);
    assert.equal(await rows.first().getAttribute('data-id'), String(longId));
    await sheet.getByRole('link', { name: 'Older →' }).waitFor();

    const arrival = await checkIn('Grace', 'Hopper');
    await until(async () => (await rows.first().getAttribute('data-id')) === String(arrival), 'the arrival at the top');
    assert.match(await rows.first().innerText(), /Hopper, Grace/);
    assert.equal(await rows.count(), 200);
    assert.equal(await sheet.locator('#stat-in').innerText(), String(205 - 41 + 2), 'check-ins alone');
    assert.equal(await sheet.locator('#stat-out').innerText(), '41');

    await sheet.getByRole('link', { name: 'Older →' }).click();
    await sheet.waitForURL(/cursor=/);
    assert.equal(await rows.count(), 7);
    await sheet.getByRole('link', { name: '← Newer' }).click();
    assert.equal(await rows.first().getAttribute('data-id'), String(arrival), 'back on the newest page');
  });

  test('a 100-character name and the filters fit at 1280 px; the gate filter narrows the totals', async () => {
    await sheet.goto(`${server.url}/admin/sheet`);
    await assertNoHorizontalOverflow(sheet, '1280 px sheet');
    await assertCorrectVisible(sheet, longId, '1280 px');
    await sheet.getByLabel('Gate', { exact: true }).selectOption('South');
    await until(async () => (await sheet.locator('#stat-in').innerText()) === '82', 'the totals of gate South');
    assert.equal(await sheet.locator('#stat-out').innerText(), '21');
    assert.match(await sheet.locator('#gate-table').innerText(), /South/);
    assert.doesNotMatch(await sheet.locator('#gate-table').innerText(), /North/);
    assert.ok(await sheet.locator('svg.hour-chart').isVisible(), 'the hourly chart is shown');
    assert.ok((await sheet.locator('svg.hour-chart rect.bar-in').count()) >= 23);
    await sheet.getByLabel('Gate', { exact: true }).selectOption('');
  });

  test("the entry page's history table fits at 1280 px with long names", async () => {
    await sheet.goto(`${server.url}/admin/entries/${longId}`);
    await sheet.getByLabel('Last name').fill('N'.repeat(100));
    await sheet.getByRole('button', { name: 'Save correction' }).click();
    await sheet.getByText('Correction saved.').waitFor();
    await assertNoHorizontalOverflow(sheet, '1280 px entry page');
  });

  test('on a phone (390×844) nothing overflows and the first entry shows on the first screen', async () => {
    const page = await phone.newPage();
    watch(page);
    await signIn(page);
    await assertNoHorizontalOverflow(page, '390 px sheet');
    await assertCorrectVisible(page, longId, '390 px');
    // boundingBox() does not wait: a live update may be re-rendering the rows at this instant.
    const firstRow = page.locator('#sheet-table tr[data-id]').first();
    await firstRow.waitFor();
    const first = await firstRow.boundingBox();
    assert.ok(first, 'the first row is rendered');
    assert.ok(first.y >= 0 && first.y + 40 <= 844, `the first row starts on the first screen (at y=${first.y})`);
    await page.close();
  });

  test('"not arrived yet": choosing a group lists its missing members, and the list follows check-ins live', async () => {
    await sheet.goto(`${server.url}/admin/sheet`);
    const day = await sheet.getByLabel('Day', { exact: true }).inputValue();
    const people: number[] = [];
    for (const [firstname, lastname] of [
      ['Ada', 'Lovelace'],
      ['Żaneta', 'Żółć'],
    ]) {
      const created = await api<{ id: number }>(`${server.url}/api/v1/people`, { body: { firstname, lastname } });
      people.push(created.body.id);
    }
    const crew = await api<{ id: number }>(`${server.url}/api/v1/groups`, { body: { name: 'Stage crew', schedule: { dates: [day] } } });
    await api(`${server.url}/api/v1/groups`, { body: { name: 'Choir', schedule: { dates: ['2001-01-01'] } } });
    for (const id of people) await api(`${server.url}/api/v1/groups/${crew.body.id}/members/${id}`, { method: 'PUT' });

    await sheet.goto(`${server.url}/admin/sheet`);
    await sheet.locator('#live-indicator:not(.offline)').waitFor();
    await sheet.getByLabel('Group').selectOption({ label: 'Choir (not scheduled)' });
    await sheet.getByText(`Choir is not scheduled on ${day}.`).waitFor();
    await sheet.getByLabel('Group').selectOption({ label: 'Stage crew' });
    const waiting = sheet.locator('#waiting-list');
    await waiting.waitFor();
    assert.equal(await waiting.locator('li').count(), 2);
    assert.match(sheet.url(), new RegExp(`group=${crew.body.id}`));

    await checkIn('ŻANETA', 'ZÓŁĆ'); // the member's name in capitals still counts for her
    await until(async () => (await waiting.locator('li').count()) === 1, 'Żaneta leaves the list');
    assert.match(await waiting.innerText(), /Lovelace, Ada/);
    await checkIn('Ada', 'Lovelace', 'South');
    await sheet.getByText('Everyone has arrived.').waitFor();
    assert.match(await sheet.locator('#arrival-count').innerText(), /0 of 2 not arrived; 2 arrived/);
  });

  test('the Excel CSV starts with a byte-order mark and is named after the day and gate', async () => {
    await sheet.goto(`${server.url}/admin/sheet?gate=North`);
    const [download] = await Promise.all([sheet.waitForEvent('download'), sheet.getByRole('link', { name: 'CSV for Excel' }).click()]);
    assert.match(download.suggestedFilename(), /^barona-checkins-\d{4}-\d{2}-\d{2}-gate-north\.csv$/);
    const chunks: Buffer[] = [];
    for await (const chunk of await download.createReadStream()) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    assert.match(bytes.toString('utf8'), /Hopper/);
  });

  test('a password change ends on the sign-in page with a confirmation', async () => {
    await sheet.goto(`${server.url}/admin/users`);
    await sheet.getByLabel('Current password').fill(PASSWORD);
    await sheet.getByLabel('New password').fill(`${PASSWORD} two`);
    await sheet.getByRole('button', { name: 'Change password' }).click();
    await sheet.waitForURL(/\/admin\?/);
    await sheet.getByRole('status').getByText('Your password was changed').waitFor();
    assert.deepEqual(errors, [], 'no console errors (CSP violations would show here)');
  });
});
