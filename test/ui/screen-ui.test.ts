// The venue's big screen (/screen) in real headless Chromium against the real service on PostgreSQL:
// counts per gate against capacity, refreshed by its script as people arrive and leave, a full gate
// said in words, no name anywhere on it, no CSP violation, and no sideways scrolling on a phone.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { api } from '../support/api.js';
import { chromiumMissing, launchChromium } from '../support/chromium.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startServer, type RunningServer } from '../support/server.js';

const skip = chromiumMissing();

describe('the big screen in headless Chromium', { skip }, () => {
  let server: RunningServer;
  let database: TestDatabase;
  let browser: Browser;
  let screen: Page;
  const problems: string[] = [];

  before(async () => {
    database = await createTestDatabase();
    server = await startServer({ env: { DATABASE_URL: database.url } });
    for (const [name, capacity] of [
      ['North', 2],
      ['South', 100],
    ] as const) {
      assert.equal((await api(`${server.url}/api/v1/gates`, { body: { name, capacity } })).status, 201);
    }
    browser = await launchChromium();
    screen = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    screen.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    screen.on('pageerror', (error) => problems.push(error.message));
  });
  after(async () => {
    await browser?.close();
    assert.equal(await server?.stop(), 0);
    await database?.drop();
  });

  const gateCard = (name: string) => screen.locator('.screen-gate', { has: screen.getByRole('heading', { name }) });
  const checkIn = async (firstname: string, lastname: string, gate: string, direction = 'in') =>
    assert.equal((await api(`${server.url}/api/v1/checkins`, { body: { firstname, lastname, gate, direction } })).status, 201);

  test('counts per gate refresh by themselves; a full gate says so; names never appear', async () => {
    await checkIn('Ada', 'Lovelace', 'North');
    await screen.goto(`${server.url}/screen`);
    assert.equal(await screen.getByRole('heading', { level: 1 }).textContent(), 'Inside now');
    assert.equal(await gateCard('North').locator('.screen-inside').textContent(), '1', 'rendered by the server');
    assert.equal(await gateCard('North').locator('.screen-capacity').textContent(), 'of 2');

    await checkIn('Grace', 'Hopper', 'North');
    await checkIn('Alan', 'Turing', 'Side door');
    await gateCard('North').locator('.screen-state', { hasText: 'Full' }).waitFor({ timeout: 15_000 });
    assert.equal(await gateCard('North').locator('.screen-inside').textContent(), '2');
    assert.equal(await gateCard('Side door (unlisted)').locator('.screen-inside').textContent(), '1');
    assert.equal(await screen.locator('.screen-total .screen-inside').textContent(), '3');
    assert.equal(await screen.locator('.screen-total .screen-capacity').textContent(), 'of 102');

    await checkIn('Ada', 'Lovelace', 'North', 'out');
    await screen.waitForFunction(
      () =>
        (globalThis as unknown as { document: { querySelector(s: string): { textContent: string } | null } }).document.querySelector(
          '.screen-total .screen-inside',
        )?.textContent === '2',
      undefined,
      { timeout: 15_000 },
    );
    const text = (await screen.locator('main').textContent()) ?? '';
    assert.doesNotMatch(text, /Ada|Lovelace|Hopper|Turing/);
    assert.deepEqual(problems, [], 'no script error nor CSP violation');
  });

  test('at 390 px wide nothing scrolls sideways', async () => {
    await screen.setViewportSize({ width: 390, height: 844 });
    await screen.reload();
    const overflow = await screen.evaluate(() => {
      const d = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document;
      return d.documentElement.scrollWidth - d.documentElement.clientWidth;
    });
    assert.ok(overflow <= 0, `the page is ${overflow} px wider than the screen`);
  });
});
