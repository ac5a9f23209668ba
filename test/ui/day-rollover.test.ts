// The day boundary in headless Chromium against the real service on PostgreSQL: the server starts with
// DAY_STARTS_AT a minute or so ahead of now, so a new attendance day begins while the pages are open.
// The sheet showing today moves to the new day by itself (heading, day field, entries) and shows a
// check-in made after the boundary; a sheet showing a past day stays on it; the big screen counts the
// new day.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { api } from '../support/api.js';
import { chromiumMissing, launchChromium } from '../support/chromium.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startServer, type RunningServer } from '../support/server.js';
import { addDays, AttendanceDays } from '../../src/domain/attendance-day.js';

const PASSWORD = 'rollover browser password';
const skip = chromiumMissing();

/** The next whole minute (UTC) at least 75 s ahead (time to start the server and the browser): the day boundary of the test. */
function nextBoundary(): Date {
  const boundary = new Date(Math.ceil((Date.now() + 75_000) / 60_000) * 60_000);
  return boundary;
}

describe('the attendance day rolls over by itself', { skip, timeout: 300_000 }, () => {
  let server: RunningServer;
  let database: TestDatabase;
  let browser: Browser;
  let sheet: Page;
  let past: Page;
  let screen: Page;
  let boundary: Date;
  let days: AttendanceDays;
  const errors: string[] = [];

  const checkIn = async (firstname: string, lastname: string) => {
    const created = await api<{ id: number }>(`${server.url}/api/v1/checkins`, { body: { firstname, lastname, gate: 'North' } });
    assert.equal(created.status, 201, created.text);
    return created.body.id;
  };

  async function until(check: () => Promise<boolean>, what: string, timeoutMs = 15_000) {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  before(async () => {
    boundary = nextBoundary();
    const startsAt = boundary.toISOString().slice(11, 16);
    days = new AttendanceDays('UTC', startsAt);
    database = await createTestDatabase();
    server = await startServer({
      env: { DATABASE_URL: database.url, ADMIN_PASSWORD: PASSWORD, APP_TIMEZONE: 'UTC', DAY_STARTS_AT: startsAt },
    });
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(15_000);
    sheet = await context.newPage();
    for (const page of [sheet]) {
      page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
      page.on('pageerror', (error) => errors.push(error.message));
    }
    await sheet.goto(`${server.url}/admin/sheet`);
    await sheet.waitForURL(/\/admin\?next=/);
    await sheet.getByLabel('Username').fill('admin');
    await sheet.getByLabel('Password').fill(PASSWORD);
    await sheet.getByRole('button', { name: 'Sign in' }).click();
    await sheet.waitForURL((url) => url.pathname === '/admin/sheet');
    past = await context.newPage();
    screen = await browser.newPage();
  });
  after(async () => {
    await browser?.close();
    assert.equal(await server?.stop(), 0);
    await database?.drop();
  });

  test('the sheet showing today moves to the new day and shows a check-in made after the boundary', async () => {
    const oldDay = days.dayOf(boundary.getTime() - 1);
    const newDay = days.dayOf(boundary);
    assert.equal(addDays(oldDay, 1), newDay);
    assert.ok(Date.now() < boundary.getTime() - 5_000, 'the test reached the sheet well before the boundary');

    const before = await checkIn('Before', 'Boundary');
    await sheet.locator('#live-indicator:not(.offline)').waitFor();
    await sheet.locator(`#sheet-table tr[data-id="${before}"]`).waitFor();
    assert.equal(await sheet.locator('#sheet-day').innerText(), `${oldDay} · today`);
    const dayBefore = addDays(oldDay, -1);
    await past.goto(`${server.url}/admin/sheet?date=${dayBefore}`);
    await past.locator('#live-indicator:not(.offline)').waitFor();
    await screen.goto(`${server.url}/screen`);
    assert.equal(await screen.locator('.screen-total [data-field="inside"]').innerText(), '1');

    // The boundary passes with no check-in: the heading moves by itself.
    await until(async () => (await sheet.locator('#sheet-day').getAttribute('data-day')) === newDay, 'the new day in the heading', 150_000);
    assert.ok(Date.now() >= boundary.getTime(), 'not before the boundary');
    assert.equal(await sheet.locator('#sheet-day').innerText(), `${newDay} · today`);
    assert.equal(await sheet.locator('#date').inputValue(), newDay);
    assert.match(await sheet.title(), new RegExp(newDay));
    assert.equal(await sheet.locator(`#sheet-table tr[data-id="${before}"]`).count(), 0, "the old day's entry is gone");
    assert.match((await sheet.locator('#export-csv').getAttribute('href')) ?? '', new RegExp(`from=${newDay}&to=${newDay}`));

    const afterId = await checkIn('After', 'Boundary');
    await sheet.locator(`#sheet-table tr[data-id="${afterId}"]`).waitFor();
    assert.match(await sheet.locator(`#sheet-table tr[data-id="${afterId}"]`).innerText(), /Boundary, After/);

    // The big screen counts the new day: only the arrival after the boundary is inside.
    await until(
      async () => (await screen.locator('.screen-total [data-field="inside"]').innerText()) === '1' && (await occupancyDate()) === newDay,
      'the screen on the new day',
      20_000,
    );

    // A sheet showing a past day stays on it.
    assert.equal(await past.locator('#sheet-day').getAttribute('data-day'), dayBefore);
    assert.equal(new URL(past.url()).searchParams.get('date'), dayBefore);
    assert.deepEqual(errors, []);
  });

  async function occupancyDate(): Promise<string> {
    const response = await api<{ date: string }>(`${server.url}/api/v1/occupancy`);
    return response.body.date;
  }
});
