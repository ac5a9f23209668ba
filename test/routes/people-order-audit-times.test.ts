// Two lists as people read them: the People page is in name order (last name, first name, accents
// folded; the id breaks ties) page after page, while the API keeps its order (as created) and its cursors;
// the audit log shows its instants in APP_TIMEZONE, readable, each in a <time datetime> element, never as
// raw ISO text.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { build, signIn, type AdminSession, type TestApp } from '../support/app.js';

describe('people in name order; audit instants readable', () => {
  let t: TestApp;
  let admin: AdminSession;

  before(async () => {
    t = await build({ AUTH_MODE: 'token', APP_TIMEZONE: 'Europe/Warsaw' });
    admin = await signIn(t.app);
  });
  after(async () => t?.close());

  test('the People page lists everyone by name across pages (50 a page), ties in creation order; the API keeps id order', async () => {
    // Created out of order; 56 people so the list has two pages, with same-name people across the boundary.
    const names: [string, string][] = [
      ['Zofia', 'Żółkowska'],
      ['Ada', 'Lovelace'],
      ['Ada', 'lovelace'],
      ['Émile', 'Zola'],
      ['Mary', "O'Brien"],
      ['Alan', 'Turing'],
    ];
    for (let i = 0; i < 50; i++) names.push([`Twin ${String(i % 2)}`, 'Smith']);
    const created: { id: number; firstname: string; lastname: string }[] = [];
    for (const [firstname, lastname] of names) {
      const response = await admin.inject({ method: 'POST', url: '/api/v1/people', payload: { firstname, lastname } });
      assert.equal(response.statusCode, 201, response.body);
      created.push(response.json());
    }
    const fold = (text: string) =>
      text
        .normalize('NFD')
        .replace(/\p{M}/gu, '')
        .replace('ł', 'l')
        .toLowerCase()
        .replace(/[^a-z0-9]/g, '');
    const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    const expected = [...created]
      .sort((a, b) => cmp(fold(a.lastname), fold(b.lastname)) || cmp(fold(a.firstname), fold(b.firstname)) || a.id - b.id)
      .map((p) => p.id);

    const seen: number[] = [];
    let url: string | undefined = '/admin/people';
    let pages = 0;
    while (url) {
      const page = await admin.inject({ url });
      assert.equal(page.statusCode, 200);
      seen.push(...[...page.body.matchAll(/<tr data-person-id="(\d+)"/g)].map((m) => Number(m[1])));
      url = /href="(\/admin\/people\?[^"]*cursor=[^"]+)"/.exec(page.body)?.[1]?.replaceAll('&amp;', '&');
      pages++;
    }
    assert.equal(pages, 2);
    assert.deepEqual(seen, expected, 'name order, every person once');
    assert.deepEqual(
      seen.slice(0, 3).map((id) => created.find((p) => p.id === id)!.lastname),
      ['Lovelace', 'lovelace', "O'Brien"],
    );

    // A search keeps the name order.
    const searched = await admin.inject({ url: '/admin/people?q=ada' });
    assert.deepEqual(
      [...searched.body.matchAll(/<tr data-person-id="(\d+)"/g)].map((m) => Number(m[1])),
      created.filter((p) => p.firstname === 'Ada').map((p) => p.id),
    );
    // A cursor of the page's order is refused by the API's (another list), with a 400 naming it.
    const firstPage = await admin.inject({ url: '/admin/people' });
    const cursor = decodeURIComponent(/cursor=([^"&]+)/.exec(firstPage.body)![1]!);
    const refused = await admin.inject({ url: `/api/v1/people?limit=50&cursor=${encodeURIComponent(cursor)}` });
    assert.equal(refused.statusCode, 400);
    assert.match(refused.body, /cursor/);
    // The API: as created.
    const api = (await admin.inject({ url: '/api/v1/people?limit=100' })).json() as { items: { id: number }[] };
    assert.deepEqual(
      api.items.map((p) => p.id),
      created.map((p) => p.id),
    );
  });

  test('the audit log shows when, and instants inside records, in APP_TIMEZONE with <time datetime>', async () => {
    const token = await admin.inject({
      method: 'POST',
      url: '/api/v1/tokens',
      payload: { name: 'Audit clock', scopes: ['checkin'], expiresAt: '2031-07-01T10:30:00Z' },
    });
    assert.equal(token.statusCode, 201, token.body);
    const log = await admin.inject({ url: '/admin/audit' });
    assert.equal(log.statusCode, 200);
    // Warsaw is UTC+2 in July: 10:30Z reads 12:30:00.
    assert.match(log.body, /<time datetime="2031-07-01T1\d:30:00[^"]*">1 Jul 2031, 12:30:00<\/time>/);
    assert.match(
      log.body,
      /<td class="nowrap"><time datetime="\d{4}-\d{2}-\d{2}T[^"]+">\d{1,2} \w{3} \d{4}, \d{2}:\d{2}:\d{2}<\/time><\/td>/,
    );
    const text = log.body.replace(/<[^>]*>/g, ' ');
    assert.doesNotMatch(text, /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/, 'no raw ISO instant in the text');
  });
});
