// axe-core on every page, in real headless Chromium against the real service on PostgreSQL: each page
// state below (signed out, signed in as the owner, with data in it, on a desk screen and on a phone) has
// no serious or critical violation. The helper (test/support/axe.ts) is there for other browser tests.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { APIRequestContext, Browser, BrowserContext, Page } from 'playwright-core';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startServer, type RunningServer } from '../support/server.js';
import { chromiumMissing, launchChromium } from '../support/chromium.js';
import { seriousViolations } from '../support/axe.js';

const PASSWORD = 'an accessibility test password';
const skip = chromiumMissing();

/** A page state: where to go, and what to do there before axe looks (open a dialog, type a search…). */
interface PageState {
  name: string;
  path: string;
  prepare?: (page: Page) => Promise<void>;
}

async function api(
  request: APIRequestContext,
  csrf: string,
  method: string,
  path: string,
  data?: unknown,
): Promise<Record<string, unknown>> {
  const response = await request.fetch(path, { method, data, headers: { 'x-csrf-token': csrf } });
  if (!response.ok()) throw new Error(`${method} ${path}: ${response.status()} ${await response.text()}`);
  return response.status() === 204 ? {} : ((await response.json()) as Record<string, unknown>);
}

describe('accessibility (axe-core) of every page', { skip, timeout: 600_000 }, () => {
  let server: RunningServer;
  let database: TestDatabase;
  let browser: Browser;
  let desk: BrowserContext;
  let phone: BrowserContext;
  const states: PageState[] = [];

  before(async () => {
    database = await createTestDatabase();
    server = await startServer({ env: { DATABASE_URL: database.url, AUTH_MODE: 'token', ADMIN_PASSWORD: PASSWORD } });
    browser = await launchChromium();
    desk = await browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL: server.url });
    phone = await browser.newContext({ viewport: { width: 390, height: 844 }, baseURL: server.url, isMobile: true, hasTouch: true });
    for (const context of [desk, phone]) context.setDefaultTimeout(15_000);

    // Sign in (both contexts), then fill the service with one of everything the pages show.
    for (const context of [desk, phone]) {
      const page = await context.newPage();
      await page.goto('/admin');
      await page.getByLabel('Username').fill('admin');
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL((url) => url.pathname === '/admin/sheet');
      await page.close();
    }
    const request = desk.request;
    const csrf = ((await (await request.get('/api/v1/session')).json()) as { csrfToken: string }).csrfToken;
    await api(request, csrf, 'POST', '/api/v1/gates', { name: 'North', capacity: 100 });
    const group = await api(request, csrf, 'POST', '/api/v1/groups', {
      name: 'Choir',
      schedule: { from: '2020-01-01', to: '2099-12-31', weekdays: [1, 2, 3, 4, 5, 6, 7], startTime: '09:00', graceMinutes: 10 },
    });
    const people = [];
    for (const [firstname, lastname] of [
      ['Ada', 'Lovelace'],
      ['Émile', 'Żółkowski'],
      ['Grace', 'Hopper'],
    ]) {
      const person = await api(request, csrf, 'POST', '/api/v1/people', { firstname, lastname, externalRef: `S-${lastname}` });
      await api(request, csrf, 'PUT', `/api/v1/groups/${group.id}/members/${person.id}`);
      people.push(person);
    }
    const entry = await api(request, csrf, 'POST', '/api/v1/checkins', { personId: people[0]!.id, gate: 'North' });
    await api(request, csrf, 'POST', '/api/v1/tokens', { name: 'North tablet', gate: 'North', scopes: ['checkin', 'read'] });
    await api(request, csrf, 'POST', '/api/v1/users', {
      username: 'leader',
      password: 'a leader password, long enough',
      role: 'leader',
      groups: [group.id],
    });

    states.push(
      { name: 'attendance sheet', path: '/admin/sheet' },
      { name: 'attendance sheet with a group chosen (not arrived yet)', path: `/admin/sheet?group=${group.id}` },
      { name: 'attendance sheet, filtered to nobody', path: '/admin/sheet?q=nobody-at-all' },
      { name: 'entry', path: `/admin/entries/${entry.id}` },
      { name: 'people', path: '/admin/people' },
      { name: 'people, searched', path: '/admin/people?q=ada' },
      { name: 'person', path: `/admin/people/${people[0]!.id}` },
      { name: 'groups', path: '/admin/groups' },
      { name: 'group', path: `/admin/groups/${group.id}` },
      { name: 'register', path: `/admin/groups/${group.id}/register` },
      { name: 'badges', path: '/admin/badges' },
      { name: 'gates', path: '/admin/gates' },
      { name: 'big screen', path: '/screen' },
      { name: 'gate tokens', path: '/admin/tokens' },
      { name: 'staff and your account', path: '/admin/users' },
      { name: 'audit log', path: '/admin/audit' },
      { name: 'kiosk (not set up)', path: '/kiosk' },
      { name: 'API viewer', path: '/api/docs' },
      { name: 'a page that does not exist', path: '/admin/people/999999' },
    );
  });
  after(async () => {
    await browser?.close();
    assert.equal(await server?.stop(), 0);
    await database?.drop();
  });

  const check = async (context: BrowserContext, state: PageState): Promise<string[]> => {
    const page = await context.newPage();
    try {
      // Rendered on the server; 'load' also waits for the page's module scripts.
      await page.goto(state.path, { waitUntil: 'load' });
      await state.prepare?.(page);
      return (await seriousViolations(page)).map((line) => `${state.name} (${state.path}): ${line}`);
    } finally {
      await page.close();
    }
  };

  test('signed out: the sign-in page, the big screen and the kiosk', async () => {
    const signedOut = await browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL: server.url });
    try {
      const found: string[] = [];
      for (const state of [
        { name: 'sign-in', path: '/admin' },
        { name: 'sign-in after a wrong password', path: '/admin', prepare: wrongPassword },
        { name: 'big screen', path: '/screen' },
        { name: 'kiosk', path: '/kiosk' },
      ])
        found.push(...(await check(signedOut, state)));
      assert.deepEqual(found, []);
    } finally {
      await signedOut.close();
    }
  });

  test('every page of a signed-in owner at 1280 px', async () => {
    const found: string[] = [];
    for (const state of states) found.push(...(await check(desk, state)));
    assert.deepEqual(found, []);
  });

  test('every page of a signed-in owner on a 390 px phone', async () => {
    const found: string[] = [];
    for (const state of states) found.push(...(await check(phone, state)));
    assert.deepEqual(found, []);
  });

  test('a leader’s pages (their group, their register, their account)', async () => {
    const leader = await browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL: server.url });
    try {
      const page = await leader.newPage();
      await page.goto('/admin');
      await page.getByLabel('Username').fill('leader');
      await page.getByLabel('Password').fill('a leader password, long enough');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL((url) => url.pathname !== '/admin');
      await page.close();
      const found: string[] = [];
      for (const state of states.filter((s) => /^(groups|group|register|staff and your account|people)$/.test(s.name)))
        found.push(...(await check(leader, state)));
      assert.deepEqual(found, []);
    } finally {
      await leader.close();
    }
  });
});

async function wrongPassword(page: Page): Promise<void> {
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').or(page.locator('.notice-error')).first().waitFor();
}
