// The people pages in real headless Chromium against the real service on PostgreSQL with AUTH_MODE=token:
// add a person (and see a taken external reference refused beside its field), find them with an
// accent-less search, edit them, reissue their badge, download their data, and erase them after typing
// their name; at 390 px nothing overflows sideways.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Download, Page } from 'playwright-core';
import { Browser as HttpClient } from '../support/browser.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startServer, type RunningServer } from '../support/server.js';
import { chromiumMissing, launchChromium } from '../support/chromium.js';

const PASSWORD = 'a people test password';
const skip = chromiumMissing();

interface BrowserGlobals {
  document: { documentElement: { scrollWidth: number; clientWidth: number } };
}

async function read(download: Download): Promise<string> {
  let text = '';
  for await (const chunk of await download.createReadStream()) text += chunk;
  return text;
}

describe('people pages in headless Chromium', { skip }, () => {
  let server: RunningServer;
  let database: TestDatabase;
  let browser: Browser;
  let office: BrowserContext;
  let page: Page;
  let personUrl: string;
  const errors: string[] = [];

  before(async () => {
    database = await createTestDatabase();
    server = await startServer({ env: { DATABASE_URL: database.url, AUTH_MODE: 'token', ADMIN_PASSWORD: PASSWORD } });
    browser = await launchChromium();
    office = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    office.setDefaultTimeout(15_000);
    page = await office.newPage();
    // Refused forms answer 400/409 on purpose; anything else logged as an error is a fault of the page.
    page.on('console', (message) => {
      if (message.type() === 'error' && !/^Failed to load resource: .* (400|409)/.test(message.text())) errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('dialog', (dialog) => void dialog.accept());
  });
  after(async () => {
    await browser?.close();
    assert.equal(await server?.stop(), 0);
    await database?.drop();
  });

  test('sign in and add a person; a taken external reference is refused beside its field', async () => {
    await page.goto(`${server.url}/admin/people`);
    await page.waitForURL(/\/admin\?next=/);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.pathname === '/admin/people');
    assert.equal(await page.getByRole('link', { name: 'People', exact: true }).getAttribute('aria-current'), 'page');

    await page.getByLabel('First name').fill('Émile');
    await page.getByLabel('Last name').fill('Żółkowski');
    await page.getByLabel(/External reference/).fill('S-100');
    await page.getByLabel(/E-mail/).fill('emile@example.org');
    await page.getByRole('button', { name: 'Add person' }).click();
    await page.getByText('Person added.').waitFor();
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Émile Żółkowski');
    personUrl = page.url().replace(/\?.*$/, '');

    await page.goto(`${server.url}/admin/people`);
    await page.getByLabel('First name').fill('Other');
    await page.getByLabel('Last name').fill('Person');
    await page.getByLabel(/External reference/).fill('S-100');
    await page.getByLabel(/E-mail/).fill('not an address');
    const [answer] = await Promise.all([
      page.waitForResponse((response) => response.request().method() === 'POST'),
      page.getByRole('button', { name: 'Add person' }).click(),
    ]);
    assert.equal(answer.status(), 400);
    await page.getByText('The person was not added').waitFor();
    assert.match(await page.locator('#new-email-error').innerText(), /E-mail: must be an e-mail address/);
    assert.equal(await page.getByLabel(/E-mail/).getAttribute('aria-invalid'), 'true');
    assert.equal(await page.getByLabel('First name').inputValue(), 'Other', 'what was typed is kept');

    await page.getByLabel(/E-mail/).fill('');
    await page.getByRole('button', { name: 'Add person' }).click();
    await page.getByText('The person was not added').waitFor();
    assert.match(await page.locator('#new-externalRef-error').innerText(), /"S-100" already belongs to another person/);
  });

  test('an accent-less search finds them; their details are edited', async () => {
    await page.goto(`${server.url}/admin/people`);
    await page.getByRole('searchbox', { name: 'Name or external reference' }).fill('emile zolkowski');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/q=emile\+zolkowski/);
    const rows = page.locator('#people-table tbody tr');
    assert.equal(await rows.count(), 1);
    assert.match(await rows.first().innerText(), /Żółkowski, Émile\s+S-100\s+emile@example\.org\s+0/);
    await rows.first().getByRole('link').click();
    await page.waitForURL(personUrl);

    await page.getByLabel('First name').fill('');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Nothing was saved').waitFor();
    assert.match(await page.locator('#person-firstname-error').innerText(), /First name: must not be blank/);

    await page.getByLabel('First name').fill('Émilie');
    await page.getByLabel(/E-mail/).fill('emilie@example.org');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Changes saved.').waitFor();
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Émilie Żółkowski');
    assert.equal(await page.getByLabel(/E-mail/).inputValue(), 'emilie@example.org');
  });

  test('reissuing the badge shows a new code', async () => {
    const old = await page.getByLabel('Badge code').inputValue();
    assert.match(old, /^[A-Za-z0-9_-]{24}$/);
    await page.getByRole('button', { name: 'Reissue badge' }).click();
    await page.getByText('Badge reissued').waitFor();
    const code = await page.getByLabel('Badge code').inputValue();
    assert.match(code, /^[A-Za-z0-9_-]{24}$/);
    assert.notEqual(code, old);
  });

  test('their data downloads as JSON and CSV, with a free-name check-in of theirs', async () => {
    await database.query(
      `INSERT INTO checkins (login, firstname, lastname, gate) VALUES (now() - interval '1 hour', 'EMILIE', 'Zolkowski', '=North')`,
    );
    const [json] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download data (JSON)' }).click()]);
    const id = personUrl.split('/').pop();
    assert.equal(json.suggestedFilename(), `person-${id}.json`);
    const data = JSON.parse(await read(json)) as { person: { firstname: string; badge: string }; checkins: { gate: string }[] };
    assert.equal(data.person.firstname, 'Émilie');
    assert.equal(data.person.badge, await page.getByLabel('Badge code').inputValue());
    assert.deepEqual(
      data.checkins.map((c) => c.gate),
      ['=North'],
    );

    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download check-ins (CSV)' }).click()]);
    assert.equal(csv.suggestedFilename(), `person-${id}-checkins.csv`);
    const lines = (await read(csv)).split('\r\n');
    assert.equal(lines[0], 'id,occurred_at,recorded_at,firstname,lastname,gate,direction,deleted_at,matched_by');
    assert.match(lines[1]!, /,EMILIE,Zolkowski,'=North,in,,name$/);
  });

  test('at 390 px the people pages do not overflow sideways', async () => {
    const narrow = await office.newPage();
    await narrow.setViewportSize({ width: 390, height: 844 });
    for (const url of [`${server.url}/admin/people`, personUrl]) {
      await narrow.goto(url);
      const { scrollWidth, clientWidth } = await narrow.evaluate(() => {
        const root = (globalThis as unknown as BrowserGlobals).document.documentElement;
        return { scrollWidth: root.scrollWidth, clientWidth: root.clientWidth };
      });
      assert.ok(scrollWidth <= clientWidth, `${url}: ${scrollWidth} px wide in a ${clientWidth} px window`);
    }
    await narrow.close();
  });

  test('erasing needs their name typed; then they are gone from the list', async () => {
    await page.goto(personUrl);
    await page.getByLabel(/^Type “Émilie Żółkowski” to confirm/).fill('someone else');
    await page.getByRole('button', { name: 'Erase Émilie Żółkowski' }).click();
    await page.getByText('Nothing was erased').waitFor();
    assert.match(await page.locator('#erase-confirm-error').innerText(), /Type the person's name/);

    await page.getByLabel(/^Type “Émilie Żółkowski” to confirm/).fill('émilie  żółkowski');
    await page.getByRole('button', { name: 'Erase Émilie Żółkowski' }).click();
    await page.waitForURL(/\/admin\/people\?done=erased/);
    await page.getByText('The person was erased with their data: 1 check-in(s) and 0 group membership(s) removed.').waitFor();
    await page.getByRole('searchbox', { name: 'Name or external reference' }).fill('zolkowski');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('Nobody matches that search.').waitFor();
    assert.deepEqual(errors, [], 'no script or CSP errors');
    const response = await page.goto(personUrl);
    assert.equal(response?.status(), 404);
  });

  test('bad form input and bad URLs answer 4xx pages, never a 500', async () => {
    const client = new HttpClient(server.url);
    const csrf = await client.signIn('admin', PASSWORD);
    const person = { firstname: 'Form', lastname: 'Tester' };
    const added = await client.post('/admin/people', { _csrf: csrf, ...person });
    assert.equal(added.status, 303, added.text);
    const url = added.location!.replace(/\?.*$/, '');

    assert.equal((await client.post('/admin/people', person)).status, 403, 'no CSRF token');
    assert.equal((await client.post(`${url}/erase`, { confirm: 'Form Tester' })).status, 403, 'no CSRF token');
    const cases: [string, Record<string, string | string[]>, number, RegExp][] = [
      ['/admin/people', { firstname: ['A', 'B'], lastname: 'X' }, 400, /First name: must not be blank/],
      ['/admin/people', { firstname: 'x'.repeat(101), lastname: 'X' }, 400, /First name: must be at most 100 characters/],
      ['/admin/people', { firstname: 'Nul\u0000', lastname: 'X' }, 400, /must not contain NUL characters/],
      [url, { firstname: 'Form', lastname: '', email: 'a@b' }, 400, /Last name: must not be blank.*E-mail: must be an e-mail address/s],
      [`${url}/erase`, { confirm: ['Form Tester', 'Form Tester'] }, 400, /Nothing was erased/],
      ['/admin/people/999999/erase', { confirm: 'x' }, 404, /No person #999999/],
      ['/admin/people/999999/badge', {}, 404, /No person #999999/],
      ['/admin/people/abc', { firstname: 'A', lastname: 'B' }, 404, /No person #abc/],
    ];
    for (const [path, form, status, text] of cases) {
      const answer = await client.post(path, { _csrf: csrf, ...form });
      assert.equal(answer.status, status, `${path} ${JSON.stringify(form)}: ${answer.text.slice(0, 300)}`);
      assert.match(answer.text, text);
    }
    for (const [path, status] of [
      ['/admin/people?cursor=nonsense', 200],
      [`/admin/people?q=${'z'.repeat(5000)}`, 200],
      ['/admin/people?q=%00', 200],
      ['/admin/people?q=a&q=b', 200],
      ['/admin/people/99999999999999999999', 404],
      ['/admin/people/0', 404],
    ] as const) {
      const answer = await client.get(path);
      assert.equal(answer.status, status, `${path}: ${answer.text.slice(0, 300)}`);
    }
    assert.match((await client.get('/admin/people?cursor=nonsense')).text, /That page link is out of date/);

    // Keyset pages of 50: a search matching 60 people has a next page with the last 10, and a way back.
    await database.query(
      `INSERT INTO people (firstname, lastname, badge)
       SELECT 'Pager', 'Many' || i, 'pagerbadge' || lpad(i::text, 8, '0') FROM generate_series(1, 60) i`,
    );
    const rows = (text: string) => text.match(/<tr data-person-id=/g)?.length ?? 0;
    const first = await client.get('/admin/people?q=pager');
    assert.equal(rows(first.text), 50);
    const next = /href="(\/admin\/people\?q=pager&amp;cursor=[^"]+)">Next page/.exec(first.text)?.[1]?.replaceAll('&amp;', '&');
    assert.ok(next, 'a next-page link');
    const second = await client.get(next);
    assert.equal(rows(second.text), 10);
    assert.doesNotMatch(second.text, /Next page/);
    assert.match(second.text, /href="\/admin\/people\?q=pager">First page/);
    assert.equal((await client.get(url)).status, 200, 'the person is still there');
  });
});
