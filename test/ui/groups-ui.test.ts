// The group pages and the register in real headless Chromium against the real service on PostgreSQL
// (AUTH_MODE=token): a group with a weekday schedule (a refused schedule shows its message next to the
// field), a CSV import whose bad line is shown in the preview with nothing written, then fixed and
// imported; check-ins by free names through the API; the register showing present, late, absent and
// upcoming in words, a cell marked by hand from the form and from a click on the cell, then cleared, the
// roll call on a 390 px phone (with and without JavaScript), the CSV download, the sticky header row and
// name column, the print stylesheet, and no page overflow at 390 px outside the grid's own scroll box.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { localDate } from '../../src/domain/calendar.js';
import { isoWeekday } from '../../src/features/groups/group-service.js';
import { addDays } from '../../src/features/groups/schedule-views.js';
import { chromiumMissing, launchChromium } from '../support/chromium.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startServer, type RunningServer } from '../support/server.js';

const PASSWORD = 'a groups test password';
const skip = chromiumMissing();

// The server runs in UTC, so the test knows its calendar days: the schedule's weekdays are those of
// yesterday, today and tomorrow, and its range is the week around today, so exactly those three days
// are scheduled.
const today = localDate('UTC');
const yesterday = addDays(today, -1);
const tomorrow = addDays(today, 1);
const range = { from: addDays(today, -3), to: addDays(today, 3) };
/** Today's cell: upcoming until 09:10 (start + grace), then absent for who has not arrived. */
const todayStatus = () => (new Date() > new Date(`${today}T09:10:00Z`) ? 'absent' : 'upcoming');

type Scrollable = { scrollTop: number; scrollLeft: number; scrollWidth: number; clientWidth: number };
interface Style {
  display: string;
  overflowX: string;
  backgroundColor: string;
}
/** An element's computed style, read in the page (the tests have no DOM types). */
type Styled = { ownerDocument: { defaultView: { getComputedStyle(element: unknown): Style } } };
const styleOf = (element: unknown): Style => {
  const { display, overflowX, backgroundColor } = (element as Styled).ownerDocument.defaultView.getComputedStyle(element);
  return { display, overflowX, backgroundColor };
};

describe('groups and the register in headless Chromium', { skip }, () => {
  let server: RunningServer;
  let database: TestDatabase;
  let browser: Browser;
  let office: BrowserContext;
  let page: Page;
  let groupPath: string;
  const errors: string[] = [];

  before(async () => {
    database = await createTestDatabase();
    server = await startServer({
      env: {
        DATABASE_URL: database.url,
        AUTH_MODE: 'token',
        ADMIN_PASSWORD: PASSWORD,
        APP_TIMEZONE: 'UTC',
        CHECKIN_BACKDATE_WINDOW_HOURS: '72',
      },
    });
    browser = await launchChromium();
    office = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    office.setDefaultTimeout(15_000);
    page = await office.newPage();
    page.on('console', (message) => message.type() === 'error' && !/status of 400/.test(message.text()) && errors.push(message.text()));
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('dialog', (dialog) => void dialog.accept());
  });
  after(async () => {
    await browser?.close();
    assert.equal(await server?.stop(), 0);
    await database?.drop();
  });

  const registerUrl = () => `${server.url}${groupPath}/register?from=${range.from}&to=${range.to}`;
  /** The register cell of a member on a day (columns: the name header, then one cell per day). */
  async function cell(lastname: string, date: string): Promise<Locator> {
    const dates = await page
      .locator('#register-table thead time')
      .evaluateAll((times) => times.map((time) => (time as unknown as { getAttribute(name: string): string }).getAttribute('datetime')));
    const column = dates.indexOf(date);
    assert.notEqual(column, -1, `${date} is a column of the register`);
    return page.locator('#register-table tbody tr', { hasText: lastname }).locator('td').nth(column);
  }

  test('the Groups link leads to the list; a refused schedule shows its message next to the field', async () => {
    await page.goto(`${server.url}/admin/sheet`);
    await page.waitForURL(/\/admin\?next=/);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/admin\/sheet/);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Groups' }).click();
    await page.getByText('No groups yet.').waitFor();

    await page.locator('#new-name').fill('Evening class');
    await page.locator('#new-from').fill(range.to);
    await page.locator('#new-to').fill(range.from);
    for (const day of [yesterday, today, tomorrow])
      await page.locator(`#new-group-form input[name="weekdays"][value="${isoWeekday(day)}"]`).check();
    await page.locator('#new-start').fill('09:00');
    await page.locator('#new-grace').fill('10');
    await page.getByRole('button', { name: 'Create group' }).click();
    await page.locator('#new-to-error').waitFor();
    assert.match(await page.locator('#new-to-error').innerText(), /must not be before/);
    assert.equal(await page.locator('#new-to').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.locator('#new-to').getAttribute('aria-describedby'), 'new-to-error');
    assert.equal(await page.locator('#new-name').inputValue(), 'Evening class', 'the form comes back as it was sent');
    assert.equal((await database.query('SELECT 1 FROM groups')).length, 0);

    await page.locator('#new-from').fill(range.from);
    await page.locator('#new-to').fill(range.to);
    await page.getByRole('button', { name: 'Create group' }).click();
    await page.getByText('Group created.').waitFor();
    groupPath = new URL(page.url()).pathname;
    assert.match(groupPath, /^\/admin\/groups\/\d+$/);
    assert.match(
      await page.locator('#group-schedule').innerText(),
      new RegExp(`${range.from} to ${range.to}; starts 09:00, late after 10 min · 0 members`),
    );
  });

  test('an explicit day that is already a weekly day is refused next to the extra days', async () => {
    await page.locator('#group-dates').fill(`${addDays(today, 30)}\n${tomorrow}`);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('#group-dates-error').waitFor();
    assert.match(await page.locator('#group-dates-error').innerText(), new RegExp(`${tomorrow} overlaps the weekly schedule`));
    await page.locator('#group-grace').fill(String(24 * 60 + 1));
    await page.locator('#group-dates').fill('');
    await page.getByRole('button', { name: 'Save' }).click();
    assert.match(await page.locator('#group-grace-error').innerText(), /whole number of minutes/);
    await page.locator('#group-grace').fill('10');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Name and schedule saved.').waitFor();
    const [row] = await database.query<{ dates: unknown[]; grace_minutes: number }>('SELECT dates, grace_minutes FROM groups');
    assert.deepEqual(row, { dates: [], grace_minutes: 10 });
  });

  test('CSV import: a bad line is shown in the preview and nothing is written; fixed, it imports', async () => {
    const file = path.join(os.tmpdir(), `groups-ui-${process.pid}.csv`);
    writeFileSync(
      file,
      'firstname,lastname,externalRef,email\nAda,Lovelace,A-1,ada@example.org\nGrace,,A-2,\nÉmile,Borel,A-3,emile@example\n',
    );
    await page.locator('#import-file').setInputFiles(file);
    await page.getByRole('button', { name: 'Preview' }).click();
    const problems = page.locator('#import-errors');
    await problems.waitFor();
    const text = await problems.innerText();
    assert.match(text, /Nothing was imported/);
    assert.match(text, /3\s+lastname\s+must not be blank/);
    assert.match(text, /4\s+email\s+must be an e-mail address/);
    assert.equal(await page.locator('#import-confirm').count(), 0, 'no Import button while a line is bad');
    assert.equal((await database.query('SELECT 1 FROM people')).length, 0, 'nothing written');

    await page
      .locator('#import-csv')
      .fill('firstname;lastname;externalRef;email\nAda;Lovelace;A-1;ada@example.org\nGrace;Hopper;A-2;\nÉmile;Borel;A-3;\n');
    await page.getByRole('button', { name: 'Preview' }).click();
    const preview = page.locator('#import-preview');
    await preview.waitFor();
    assert.match(await preview.innerText(), /3 lines: 3 new people, 0 updated, 0 unchanged; 3 new members/);
    assert.equal(await preview.locator('tbody tr').count(), 3);
    assert.match(await preview.locator('tbody tr').nth(1).innerText(), /3\s+Hopper, Grace\s+A-2\s+new person\s+joins the group/);
    assert.equal((await database.query('SELECT 1 FROM people')).length, 0, 'a preview writes nothing');

    await page.locator('#import-confirm').click();
    await page.getByText('Imported: 3 new people, 0 updated, 0 unchanged; 3 new members.').waitFor();
    assert.equal(await page.locator('#member-table tbody tr').count(), 3);
    const audit = await database.query(`SELECT actor FROM audit_log WHERE action = 'import-members'`);
    assert.deepEqual(audit, [{ actor: 'admin' }]);
  });

  test('add a member by searching people, and remove one', async () => {
    const csrf = (await page.locator('meta[name="csrf-token"]').getAttribute('content'))!;
    const created = await office.request.post(`${server.url}/api/v1/people`, {
      headers: { 'x-csrf-token': csrf },
      data: { firstname: 'Alan', lastname: 'Turing' },
    });
    assert.equal(created.status(), 201);
    await page.getByLabel('Search people by name or external reference').fill('turing');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('button', { name: 'Add Alan Turing' }).click();
    await page.getByText('Member added.').waitFor();
    assert.equal(await page.locator('#member-table tbody tr').count(), 4);
    assert.match(await page.locator('#person-results').innerText(), /Turing, Alan\s+member/);

    await page
      .locator('#member-table tr', { hasText: 'Turing' })
      .getByRole('button', { name: /Remove/ })
      .click();
    await page.getByText('Member removed.').waitFor();
    assert.equal(await page.locator('#member-table tbody tr').count(), 3);
  });

  test('check-ins by free names count in the register: present, late, absent and upcoming in words', async () => {
    const csrf = (await page.locator('meta[name="csrf-token"]').getAttribute('content'))!;
    // Names as a kiosk might type them: the register folds case and accents.
    for (const [firstname, lastname, time] of [
      ['ada', 'LOVELACE', '08:55'],
      ['Grace', 'Hopper', '09:30'],
    ]) {
      const response = await office.request.post(`${server.url}/api/v1/checkins`, {
        headers: { 'x-csrf-token': csrf },
        data: { firstname, lastname, gate: 'Main', occurredAt: `${yesterday}T${time}:00Z` },
      });
      assert.equal(response.status(), 201, await response.text());
    }
    // The imported members are counted from today: they were members all week.
    const members = await office.request.get(`${server.url}/api/v1/groups/${groupPath.split('/').at(-1)}/members`);
    for (const member of ((await members.json()) as { items: { id: number }[] }).items) {
      const since = await office.request.put(`${server.url}/api/v1/groups/${groupPath.split('/').at(-1)}/members/${member.id}`, {
        headers: { 'x-csrf-token': csrf },
        data: { since: range.from },
      });
      assert.equal(since.status(), 200, await since.text());
    }
    const out = await office.request.post(`${server.url}/api/v1/checkins`, {
      headers: { 'x-csrf-token': csrf },
      data: { firstname: 'Ada', lastname: 'Lovelace', gate: 'Main', direction: 'out', occurredAt: `${yesterday}T16:05:00Z` },
    });
    assert.equal(out.status(), 201, await out.text());

    await page.getByRole('link', { name: 'Open the register' }).click();
    await page.locator('#register-table').waitFor();
    await page.goto(registerUrl());
    assert.deepEqual(
      await page
        .locator('#register-table thead time')
        .evaluateAll((times) => times.map((time) => (time as unknown as { getAttribute(name: string): string }).getAttribute('datetime'))),
      [yesterday, today, tomorrow],
    );
    assert.equal(await page.locator('#register-table thead th[aria-current="date"] time').getAttribute('datetime'), today);
    const ada = await cell('Lovelace', yesterday);
    assert.equal(await ada.innerText(), 'present\n08:55–16:05');
    assert.match(await (await cell('Hopper', yesterday)).innerText(), /^late\n09:30$/);
    assert.equal(await (await cell('Borel', yesterday)).innerText(), 'absent');
    assert.equal(await (await cell('Borel', tomorrow)).innerText(), 'upcoming');
    assert.match((await (await cell('Borel', tomorrow)).getAttribute('class')) ?? '', /st-upcoming/);
    // Colour repeats the word: each status has its own background.
    const backgrounds = new Set<string>();
    for (const [name, day] of [
      ['Lovelace', yesterday],
      ['Hopper', yesterday],
      ['Borel', yesterday],
      ['Borel', tomorrow],
    ] as const) {
      backgrounds.add((await (await cell(name, day)).evaluate(styleOf)).backgroundColor);
    }
    assert.equal(backgrounds.size, 4);
    const counted = todayStatus() === 'absent' ? 2 : 1;
    assert.match(
      await page.locator('#register-table tbody tr', { hasText: 'Borel' }).locator('.reg-rate').innerText(),
      new RegExp(`^0 %\\n0 of ${counted}$`),
    );
    const totals = await page.locator('#register-table tfoot td').first().innerText();
    assert.match(totals, /1 present\n1 late\n1 absent/);
  });

  test('mark a member from the form below the grid, shown with who and why, and clear it', async () => {
    // A day after today is refused next to the Day field.
    await page.locator('#mark-person').selectOption({ label: 'Borel, Émile' });
    await page.locator('#mark-date').evaluate((input) => ((input as unknown as { max: string }).max = ''));
    await page.locator('#mark-date').fill(tomorrow);
    await page.locator('#mark-status').selectOption('excused');
    await page.locator('#mark-reason').fill('Ill');
    await page.getByRole('button', { name: 'Mark', exact: true }).first().click();
    await page.locator('#mark-date-error').waitFor();
    assert.match(await page.locator('#mark-date-error').innerText(), /is in the future/);

    await page.locator('#mark-date').fill(yesterday);
    await page.getByRole('button', { name: 'Mark', exact: true }).first().click();
    await page.getByText('Mark saved.').waitFor();
    const borel = await cell('Borel', yesterday);
    assert.equal(await borel.innerText(), 'excused\nmarked');
    assert.match((await borel.getAttribute('title')) ?? '', /^marked by admin, \d{4}-\d{2}-\d{2} \d{2}:\d{2}: Ill$/);
    assert.match(
      await page.locator('#mark-table').innerText(),
      new RegExp(`${yesterday}\\s+Borel, Émile\\s+excused\\s+admin[^\\n]*\\s+Ill`),
    );
    const [record] = await database.query<{ actor: string; after: { status: string; reason: string } }>(
      `SELECT actor, after FROM audit_log WHERE action = 'mark'`,
    );
    assert.equal(record?.actor, 'admin');
    assert.deepEqual([record?.after.status, record?.after.reason], ['excused', 'Ill']);

    await page.locator('#mark-table').getByRole('button', { name: /Clear/ }).click();
    await page.getByText('Mark cleared').waitFor();
    assert.equal(await (await cell('Borel', yesterday)).innerText(), 'absent');
    assert.equal((await database.query(`SELECT 1 FROM audit_log WHERE action = 'unmark'`)).length, 1);
  });

  test('a click on a cell opens the marking form; the mark is shown, and cleared from the same dialog', async () => {
    await (await cell('Borel', yesterday)).click();
    const dialog = page.locator('#cell-dialog');
    await dialog.waitFor();
    assert.match(await dialog.locator('h2').innerText(), new RegExp(`Mark Borel, Émile on ${yesterday}`));
    assert.equal(await dialog.getByRole('button', { name: 'Clear the mark' }).isVisible(), false, 'nothing to clear yet');
    await dialog.locator('#cell-status').selectOption('present');
    await dialog.locator('#cell-reason').fill('Came by the side door');
    await dialog.getByRole('button', { name: 'Mark', exact: true }).click();
    await page.getByText('Mark saved.').waitFor();
    const borel = await cell('Borel', yesterday);
    assert.equal(await borel.innerText(), 'present\nmarked');
    assert.match((await borel.getAttribute('title')) ?? '', /Came by the side door$/);

    await (await cell('Borel', yesterday)).click();
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Clear the mark' }).click();
    await page.getByText('Mark cleared').waitFor();
    assert.equal(await (await cell('Borel', yesterday)).innerText(), 'absent');
    // A day after today opens nothing.
    await (await cell('Borel', tomorrow)).click();
    assert.equal(await dialog.isVisible(), false);
  });

  test('roll call on a 390 px phone: tap a status per name and it moves on; without JavaScript too', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await phone.addCookies(await office.cookies());
    const mobile = await phone.newPage();
    await mobile.goto(`${server.url}${groupPath}/register?from=${range.from}&to=${range.to}`);
    await mobile.getByRole('link', { name: 'Roll call' }).click();
    await mobile.locator('#roll-date').fill(yesterday);
    await mobile.getByRole('button', { name: 'Show' }).click();
    const rows = mobile.locator('#roll-call .roll-row');
    await rows.first().waitFor();
    assert.deepEqual(
      (await rows.locator('strong').allInnerTexts()).map((name) => name.trim()),
      ['Borel, Émile', 'Hopper, Grace', 'Lovelace, Ada'],
    );
    const width = await mobile.evaluate(
      () => (globalThis as unknown as { document: { documentElement: Scrollable } }).document.documentElement.scrollWidth,
    );
    assert.ok(width <= 390, `the roll call fits the phone (${width} px)`);
    const button = rows.first().getByRole('button', { name: 'present Émile Borel' });
    const box = (await button.boundingBox())!;
    assert.ok(box.height >= 40 && box.width >= 60, `a button a thumb can hit (${box.width}×${box.height})`);

    await button.tap();
    await rows.first().locator('[data-marked]').waitFor();
    assert.equal(await rows.first().locator('[data-status]').innerText(), 'present');
    const focused = () =>
      mobile.evaluate(
        () =>
          (
            globalThis as unknown as { document: { activeElement: { closest(s: string): { id: string } | null } } }
          ).document.activeElement.closest('.roll-row')?.id,
      );
    assert.equal(await focused(), await rows.nth(1).getAttribute('id'), 'on to the next name');

    const hopper = rows.nth(1);
    await hopper.getByRole('button', { name: 'excused Grace Hopper' }).tap();
    await hopper.locator('[data-row-error]:not([hidden])').waitFor();
    assert.match(await hopper.locator('[data-row-error]').innerText(), /needs a reason/);
    await hopper.getByLabel('Reason for Grace Hopper').fill('Dentist');
    await hopper.getByRole('button', { name: 'excused Grace Hopper' }).tap();
    await hopper.locator('[data-marked]').waitFor();
    assert.equal(await hopper.locator('[data-status]').innerText(), 'excused');
    assert.equal(await focused(), await rows.nth(2).getAttribute('id'));
    const stored = await database.query<{ status: string }>(
      `SELECT status FROM register_marks UNION ALL SELECT 'excused: ' || reason FROM excuses ORDER BY 1`,
    );
    assert.deepEqual(
      stored.map((row) => row.status),
      ['excused: Dentist', 'present'],
    );
    await phone.close();

    // Plain forms: each tap posts and comes back at the next name.
    const plain = await browser.newContext({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
      javaScriptEnabled: false,
    });
    await plain.addCookies(await office.cookies());
    const noScript = await plain.newPage();
    await noScript.goto(`${server.url}${groupPath}/roll-call?date=${yesterday}`);
    const borel = noScript.locator('#roll-call .roll-row').first();
    await borel.getByRole('button', { name: 'Undo the mark of Émile Borel' }).tap();
    await noScript.getByText('Mark cleared').waitFor();
    await noScript.locator('#roll-call .roll-row').first().getByRole('button', { name: 'absent Émile Borel' }).tap();
    await noScript.getByText('Mark saved.').waitFor();
    const hopperId = await noScript.locator('#roll-call .roll-row').nth(1).getAttribute('id');
    assert.equal(new URL(noScript.url()).hash, `#${hopperId}`, 'back at the next name');
    assert.equal(await noScript.locator('#roll-call .roll-row').first().locator('[data-status]').innerText(), 'absent');
    assert.match(await noScript.locator('#roll-call .roll-row').first().innerText(), /marked by admin/);
    await plain.close();

    // The marks show in the register; cleared again for the tests after this one.
    await page.goto(registerUrl());
    assert.equal(await (await cell('Hopper', yesterday)).innerText(), 'excused\n09:30\nmarked');
    const groupId = groupPath.split('/').at(-1);
    const csrf = (await page.locator('meta[name="csrf-token"]').getAttribute('content'))!;
    const people = await database.query<{ id: string }>(
      `SELECT person_id::text AS id FROM register_marks UNION SELECT person_id::text FROM excuses`,
    );
    for (const { id } of people) {
      const cleared = await office.request.delete(`${server.url}/api/v1/groups/${groupId}/register/${yesterday}/${id}`, {
        headers: { 'x-csrf-token': csrf },
      });
      assert.equal(cleared.status(), 204);
    }
  });

  test('Download CSV gives the register of the range shown', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download CSV' }).click()]);
    assert.equal(download.suggestedFilename(), `barona-register-${groupPath.split('/').at(-1)}-${range.from}_to_${range.to}.csv`);
    let csv = '';
    for await (const chunk of await download.createReadStream()) csv += chunk;
    const lines = csv.trim().split(/\r\n/);
    assert.equal(lines[0], `lastname,firstname,externalRef,${yesterday},${today},${tomorrow},present,late,absent,excused,rate`);
    assert.match(
      lines.find((line) => line.startsWith('Lovelace')) ?? '',
      new RegExp(`^Lovelace,Ada,A-1,present,${todayStatus()},upcoming,`),
    );
  });

  test('the header row stays in view while the grid scrolls', async () => {
    const many = [
      'firstname,lastname,externalRef',
      ...Array.from({ length: 60 }, (_, i) => `Member${i},Zz${String(i).padStart(2, '0')},M-${i}`),
    ];
    await page.goto(`${server.url}${groupPath}`);
    await page.locator('#import-csv').fill(many.join('\n'));
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.locator('#import-confirm').click();
    await page.getByText('Imported: 60 new people').waitFor();

    await page.goto(registerUrl());
    const grid = page.locator('.register-scroll');
    const header = page.locator('#register-table thead th').nth(1);
    const firstRow = page.locator('#register-table tbody tr').first();
    const before = { header: (await header.boundingBox())!.y, row: (await firstRow.boundingBox())!.y };
    await grid.evaluate((box) => ((box as unknown as Scrollable).scrollTop = 1500));
    assert.ok((await grid.evaluate((box) => (box as unknown as Scrollable).scrollTop)) > 500, 'the grid scrolled');
    const afterScroll = { header: (await header.boundingBox())!.y, row: (await firstRow.boundingBox())!.y };
    assert.ok(
      Math.abs(afterScroll.header - before.header) < 1,
      `the header row stayed at the top (${before.header} → ${afterScroll.header})`,
    );
    assert.ok(afterScroll.row < before.row - 500, 'the rows moved up under it');
    assert.ok(await header.isVisible());
    assert.deepEqual(errors, [], 'no console errors (CSP violations would show here)');
  });

  test('at 390 px only the grid scrolls sideways, with the name column in view; print hides the navigation', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await phone.addCookies(await office.cookies());
    const mobile = await phone.newPage();
    const pageWidth = () =>
      mobile.evaluate(() => (globalThis as unknown as { document: { documentElement: Scrollable } }).document.documentElement.scrollWidth);
    for (const url of [`${server.url}/admin/groups`, `${server.url}${groupPath}`, registerUrl()]) {
      await mobile.goto(url);
      assert.ok((await pageWidth()) <= 390, `${url}: page is ${await pageWidth()} px wide`);
    }
    const grid = mobile.locator('.register-scroll');
    const sizes = await grid.evaluate((box) => ({
      scroll: (box as unknown as Scrollable).scrollWidth,
      client: (box as unknown as Scrollable).clientWidth,
    }));
    assert.ok(sizes.scroll > sizes.client, 'the grid is wider than the screen and scrolls inside its box');
    const name = mobile.locator('#register-table tbody th').first();
    const nameBefore = (await name.boundingBox())!;
    await grid.evaluate((box) => ((box as unknown as Scrollable).scrollLeft = 400));
    assert.ok((await grid.evaluate((box) => (box as unknown as Scrollable).scrollLeft)) > 50, 'the grid scrolled sideways');
    assert.ok(Math.abs((await name.boundingBox())!.x - nameBefore.x) < 1, 'the name column stayed at the left');
    assert.ok((await pageWidth()) <= 390);

    await mobile.emulateMedia({ media: 'print' });
    const display = (selector: string) => mobile.locator(selector).first().evaluate(styleOf);
    assert.equal((await display('.topbar')).display, 'none');
    assert.equal((await display('#register-range')).display, 'none');
    assert.equal((await display('.register-scroll')).overflowX, 'visible');
    assert.match(await mobile.locator('#register-table tbody tr', { hasText: 'Lovelace' }).innerText(), /present/, 'the grid is printed');
    await phone.close();
  });

  test('delete the group after confirming', async () => {
    await page.goto(`${server.url}${groupPath}`);
    await page.getByRole('button', { name: 'Delete group' }).click();
    await page.getByText('Group deleted.').waitFor();
    await page.getByText('No groups yet.').waitFor();
    assert.equal((await database.query('SELECT 1 FROM groups')).length, 0);
    assert.equal((await database.query('SELECT 1 FROM people')).length, 64, 'the people stay');
  });
});
