// The attendance sheet as an organiser uses it, and the API it is built on, through HTTP against the
// running service on PostgreSQL and PGlite: newest first with paging both ways (and the API's order=desc
// and prevCursor), name search by the person_fold rule, totals of the chosen gate with check-ins and
// check-outs apart, the day summary on the page, the CSV's byte-order mark and file names, the password
// change confirmation, and the "not arrived yet" list of a group.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { api, assertProblem, BACKENDS, backendName, startApiServer, type ApiServer } from '../support/api.js';
import { Browser } from '../support/browser.js';

const PASSWORD = 'sheet defects password';

interface Entry {
  id: number;
  firstname: string;
  lastname: string;
  gate: string;
  direction: 'in' | 'out';
}
interface Page {
  items: Entry[];
  nextCursor: string | null;
  prevCursor: string | null;
}

/** The day of the server (APP_TIMEZONE=UTC below). */
const today = () => new Date().toISOString().slice(0, 10);

/** The text of the element with this id in a page (its markup stripped, spaces collapsed). */
function textOf(page: string, id: string): string {
  const match = new RegExp(`<(\\w+)[^>]*id="${id}"[^>]*>([\\s\\S]*?)</\\1>`).exec(page);
  assert.ok(match, `the page has #${id}`);
  return match[2]!
    .replace(/<[^>]+>/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Names of the sheet's rows, in order. */
function sheetNames(page: string): string[] {
  return [...page.matchAll(/<span class="person">([^<]*)<\/span>/g)].map((m) => m[1]!.replace(/&#39;/g, "'"));
}

/** The ids of the sheet table's rows, in order. */
function sheetIds(page: string): number[] {
  return [...page.matchAll(/<tr data-id="(\d+)"/g)].map((m) => Number(m[1]));
}

const decodeHref = (href: string) => href.replace(/&amp;/g, '&');

for (const backend of BACKENDS) {
  describe(`the attendance sheet on ${backendName(backend)}`, { timeout: 300_000 }, () => {
    let app: ApiServer;
    let base: string;
    let admin: Browser;

    const checkIn = async (firstname: string, lastname: string, gate: string, direction: 'in' | 'out' = 'in') => {
      const created = await api<Entry>(`${base}/checkins`, { body: { firstname, lastname, gate, direction } });
      assert.equal(created.status, 201, created.text);
      return created.body;
    };
    const list = async (query: Record<string, string>) => {
      const answer = await api<Page>(`${base}/checkins?${new URLSearchParams(query)}`);
      assert.equal(answer.status, 200, answer.text);
      return answer.body;
    };

    before(async () => {
      app = await startApiServer(backend, { ADMIN_PASSWORD: PASSWORD, APP_TIMEZONE: 'UTC' });
      base = `${app.server.url}/api/v1`;
      admin = new Browser(app.server.url);
      await admin.signIn('admin', PASSWORD);
    });
    after(async () => app?.stop());

    test('the API keeps id order by default and pages newest first with order=desc, both ways', async () => {
      const gate = 'paging';
      const ids: number[] = [];
      for (let i = 1; i <= 5; i++) ids.push((await checkIn(`Pat${i}`, 'Pager', gate)).id);

      const oldest = await list({ gate, limit: '2' });
      assert.deepEqual(
        oldest.items.map((e) => e.id),
        ids.slice(0, 2),
      );
      assert.equal(oldest.prevCursor, null);
      assert.ok(oldest.nextCursor);

      const newest = await list({ gate, limit: '2', order: 'desc' });
      assert.deepEqual(
        newest.items.map((e) => e.id),
        [ids[4], ids[3]],
      );
      assert.equal(newest.prevCursor, null, 'the newest page has no newer one');
      const middle = await list({ gate, limit: '2', order: 'desc', cursor: newest.nextCursor! });
      assert.deepEqual(
        middle.items.map((e) => e.id),
        [ids[2], ids[1]],
      );
      const last = await list({ gate, limit: '2', order: 'desc', cursor: middle.nextCursor! });
      assert.deepEqual(
        last.items.map((e) => e.id),
        [ids[0]],
      );
      assert.equal(last.nextCursor, null);
      const backToMiddle = await list({ gate, limit: '2', order: 'desc', cursor: last.prevCursor! });
      assert.deepEqual(backToMiddle.items, middle.items, 'paging back answers the same page');
      assert.deepEqual(backToMiddle.nextCursor, middle.nextCursor);

      // A new arrival lands on the newest page; paging back from the middle reaches it.
      const sixth = await checkIn('Pat6', 'Pager', gate);
      const newer = await list({ gate, limit: '2', order: 'desc', cursor: middle.prevCursor! });
      assert.deepEqual(
        newer.items.map((e) => e.id),
        [ids[4], ids[3]],
      );
      assert.ok(newer.prevCursor, 'one newer entry exists');
      const top = await list({ gate, limit: '2', order: 'desc', cursor: newer.prevCursor! });
      assert.deepEqual(
        top.items.map((e) => e.id),
        [sixth.id, ids[4]],
        'back at the start: the first page itself, full',
      );
      assert.equal(top.prevCursor, null);

      assertProblem(await api(`${base}/checkins?${new URLSearchParams({ gate, order: 'sideways' })}`), 400, 'order');
      assertProblem(
        await api(`${base}/checkins?${new URLSearchParams({ gate, order: 'desc', cursor: oldest.nextCursor! })}`),
        400,
        'cursor',
      );
    });

    test('with more than 200 entries the sheet shows the newest first, pages back and forth, and a new arrival appears live', async () => {
      const gate = 'crowd';
      for (let batch = 0; batch < 205; batch += 25) {
        await Promise.all(Array.from({ length: Math.min(25, 205 - batch) }, (_, i) => checkIn(`Guest${batch + i}`, 'Crowd', gate)));
      }
      const first = await admin.get(`/admin/sheet?gate=${gate}`);
      assert.equal(first.status, 200);
      const firstIds = sheetIds(first.text);
      assert.equal(firstIds.length, 200);
      assert.deepEqual(
        firstIds,
        [...firstIds].sort((a, b) => b - a),
        'newest first',
      );
      assert.ok(!/rel="prev"/.test(first.text), 'no newer page');
      const older = /<a class="button button-small" rel="next" href="([^"]+)"/.exec(first.text);
      assert.ok(older, 'an Older link');
      const liveUrl = /data-live-url="([^"]+)"/.exec(first.text)![1]!;
      assert.ok(!liveUrl.includes('cursor'), 'the newest page follows new arrivals');

      const page2 = await admin.get(decodeHref(older[1]!));
      const page2Ids = sheetIds(page2.text);
      assert.equal(page2Ids.length, 5);
      assert.ok(Math.max(...page2Ids) < Math.min(...firstIds));
      const newerLink = /<a class="button button-small" rel="prev" href="([^"]+)"/.exec(page2.text);
      assert.ok(newerLink, 'a Newer link');
      assert.match(page2.text, /older entries; new arrivals appear on the newest page/);

      const back = await admin.get(decodeHref(newerLink[1]!));
      assert.deepEqual(sheetIds(back.text), firstIds, 'Newer from page 2 shows the first page again');
      assert.ok(!/rel="prev"/.test(back.text));

      const arrival = await checkIn('Late', 'Arrival', gate);
      const live = await admin.get(decodeHref(liveUrl));
      assert.equal(sheetIds(live.text)[0], arrival.id, 'the new arrival is the first row');
      assert.equal(sheetIds(live.text).length, 200);
      // Seen from page 2, the page just newer is no longer the newest one: it says so and links there.
      const behind = await admin.get(decodeHref(newerLink[1]!));
      assert.deepEqual(sheetIds(behind.text), firstIds);
      const newest = /<a class="button button-small" href="([^"]+)">Newest<\/a>/.exec(behind.text);
      assert.ok(newest, 'a Newest link');
      assert.match(/data-live-url="([^"]+)"/.exec(behind.text)![1]!, /cursor=/, 'a page that is not the newest stays put');
      assert.equal(sheetIds((await admin.get(decodeHref(newest[1]!))).text)[0], arrival.id);
    });

    test('name search folds like person_fold: zolc, obrien, "Lovelace, Ada" and either name order', async () => {
      const gate = 'search';
      const zolc = await checkIn('Żaneta', 'Żółć', gate);
      const obrien = await checkIn('Seán', "O'Brien", gate);
      const ada = await checkIn('Ada', 'Lovelace', gate);
      await checkIn('Adam', 'Smith', gate);
      const found = async (q: string) => (await list({ gate, q, limit: '50' })).items.map((e) => e.id);
      assert.deepEqual(await found('zolc'), [zolc.id]);
      assert.deepEqual(await found('ŻÓŁĆ'), [zolc.id]);
      assert.deepEqual(await found('obrien'), [obrien.id]);
      assert.deepEqual(await found("o'brien sean"), [obrien.id]);
      assert.deepEqual(await found('Lovelace, Ada'), [ada.id]);
      assert.deepEqual(await found('ada lovelace'), [ada.id]);
      assert.deepEqual(await found('nobody'), []);

      const sheet = await admin.get(`/admin/sheet?${new URLSearchParams({ gate, q: 'Lovelace, Ada' })}`);
      assert.deepEqual(sheetNames(sheet.text), ['Lovelace, Ada'], "the sheet's own display form finds the person");
    });

    test('totals honour the gate filter and count check-ins and check-outs apart; the summary is on the page', async () => {
      await checkIn('Tom', 'Total', 'east');
      await checkIn('Tia', 'Total', 'east');
      await checkIn('Tom', 'Total', 'east', 'out');
      await checkIn('Tim', 'Total', 'west');

      const east = await api<{
        gate: string;
        total: number;
        checkIns: number;
        checkOuts: number;
        perGate: { gate: string }[];
        perHour: { total: number }[];
      }>(`${base}/days/${today()}/summary?gate=east`);
      assert.equal(east.status, 200, east.text);
      assert.deepEqual([east.body.gate, east.body.total, east.body.checkIns, east.body.checkOuts], ['east', 3, 2, 1]);
      assert.deepEqual(
        east.body.perGate.map((g) => g.gate),
        ['east'],
      );
      assert.equal(
        east.body.perHour.reduce((sum, h) => sum + h.total, 0),
        3,
      );
      const all = await api<{ gate: string | null; total: number }>(`${base}/days/${today()}/summary`);
      assert.equal(all.body.gate, null);
      assert.ok(all.body.total > 3);
      assertProblem(await api(`${base}/days/${today()}/summary?gate=${'g'.repeat(101)}`), 400, 'gate');

      const sheet = await admin.get('/admin/sheet?gate=east');
      assert.equal(textOf(sheet.text, 'stat-in'), '2');
      assert.equal(textOf(sheet.text, 'stat-out'), '1');
      assert.match(sheet.text, /inside now \(all gates\)/);
      const gateTable = /<table class="table table-compact" id="gate-table">([\s\S]*?)<\/table>/.exec(sheet.text)![1]!;
      assert.match(gateTable, />east<\/a>/);
      assert.doesNotMatch(gateTable, />west<\/a>/, 'the per-gate table follows the filter');
      assert.match(sheet.text, /<svg[^>]*class="hour-chart"[^>]*role="img"/);
      assert.equal([...sheet.text.matchAll(/class="bar bar-in"/g)].length, 24, 'one bar per hour of a UTC day');
      assert.doesNotMatch(sheet.text, /style=/, 'no style attributes (strict CSP)');
      const unfiltered = await admin.get('/admin/sheet');
      assert.match(unfiltered.text, /<option value="west"/, 'the gate list is not narrowed by the filter');
    });

    test('CSV: a byte-order mark on request, file names with the day and the gate', async () => {
      await checkIn('Zoë', 'Żółć', 'Süd/Ost');
      const day = today();
      const plain = await fetch(`${base}/checkins.csv?from=${day}&gate=${encodeURIComponent('Süd/Ost')}`);
      const plainBytes = new Uint8Array(await plain.arrayBuffer());
      assert.notDeepEqual([...plainBytes.slice(0, 3)], [0xef, 0xbb, 0xbf]);
      assert.equal(
        plain.headers.get('content-disposition'),
        `attachment; filename="barona-checkins-${day}-gate-sud-ost.csv"; filename*=UTF-8''barona-checkins-${day}-gate-s%C3%BCd-ost.csv`,
      );
      const excel = await fetch(`${base}/checkins.csv?from=${day}&gate=${encodeURIComponent('Süd/Ost')}&bom=true`);
      const bytes = new Uint8Array(await excel.arrayBuffer());
      assert.deepEqual([...bytes.slice(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 byte-order mark');
      const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
      assert.ok(text.startsWith('\ufeffid,occurred_at,'));
      assert.match(text, /Zoë,Żółć,Süd\/Ost,in/);

      const named = await fetch(`${base}/checkins.csv?from=${day}&gate=${encodeURIComponent('North Gate "A"; x')}`);
      assert.equal(named.headers.get('content-disposition'), `attachment; filename="barona-checkins-${day}-gate-north-gate-a-x.csv"`);
      await named.arrayBuffer();
      const allGates = await fetch(`${base}/checkins.csv?from=${day}`);
      assert.equal(allGates.headers.get('content-disposition'), `attachment; filename="barona-checkins-${day}.csv"`);
      await allGates.arrayBuffer();
      assertProblem(await api(`${base}/checkins.csv?from=${day}&bom=perhaps`), 400, 'bom');

      const sheet = await admin.get(`/admin/sheet?gate=${encodeURIComponent('Süd/Ost')}`);
      assert.match(sheet.text, /id="export-csv-excel"[^>]*href="\/api\/v1\/checkins\.csv\?from=[^"]*gate=S%C3%BCd%2FOst&amp;bom=true"/);
    });

    test('"not arrived yet": members of the chosen group scheduled today without a check-in, updated live', async () => {
      const person = async (firstname: string, lastname: string) => {
        const created = await api<{ id: number }>(`${base}/people`, { body: { firstname, lastname } });
        assert.equal(created.status, 201, created.text);
        return created.body.id;
      };
      const group = async (name: string, dates: string[]) => {
        const created = await api<{ id: number }>(`${base}/groups`, { body: { name, schedule: { dates } } });
        assert.equal(created.status, 201, created.text);
        return created.body.id;
      };
      const crew = await group('Stage crew', [today()]);
      const other = await group('Weekend choir', ['2001-01-06']);
      const members = { ann: await person('Ann', 'Arrived'), ben: await person('Ben', 'Waiting'), cy: await person('Cy', 'Excused') };
      for (const id of Object.values(members))
        assert.ok([200, 201].includes((await api(`${base}/groups/${crew}/members/${id}`, { method: 'PUT' })).status));
      const excused = await api(`${base}/groups/${crew}/members/${members.cy}/excuses/${today()}`, {
        method: 'PUT',
        body: { reason: 'ill' },
      });
      assert.equal(excused.status, 201, excused.text);
      await checkIn('ann', 'ARRIVED', 'crew gate'); // a free-name check-in counts for the member it names

      const sheet = await admin.get(`/admin/sheet?group=${crew}`);
      assert.match(sheet.text, new RegExp(`<option value="${crew}"\\s+selected>\\s*Stage crew\\s*</option>`));
      assert.match(sheet.text, new RegExp(`<option value="${other}"\\s*>\\s*Weekend choir \\(not scheduled\\)\\s*</option>`));
      assert.deepEqual(
        [...textOf(sheet.text, 'waiting-list').matchAll(/(\w+), (\w+)/g)].map((m) => m[0]),
        ['Waiting, Ben'],
      );
      assert.match(textOf(sheet.text, 'arrival-count'), /1 of 3 not arrived.*1 arrived, 1 excused/);
      const liveUrl = decodeHref(/data-live-url="([^"]+)"/.exec(sheet.text)![1]!);
      assert.match(liveUrl, new RegExp(`group=${crew}`));

      await checkIn('Ben', 'Waiting', 'crew gate');
      const live = await admin.get(liveUrl);
      assert.match(live.text, /Everyone has arrived\./);
      assert.doesNotMatch(live.text, /id="waiting-list"/);

      const notToday = await admin.get(`/admin/sheet/live?group=${other}`);
      assert.match(notToday.text, new RegExp(`Weekend choir is not scheduled on ${today()}\\.`));
      const gone = await admin.get('/admin/sheet/live?group=987654321');
      assert.match(gone.text, /That group no longer exists\./);
    });

    test('a password change ends on the sign-in page with a confirmation', async () => {
      const browser = new Browser(app.server.url);
      const csrf = await browser.signIn('admin', PASSWORD);
      const changed = await browser.post('/admin/users/password', { _csrf: csrf, current: PASSWORD, password: `${PASSWORD} 2` });
      assert.equal(changed.status, 303);
      const signIn = await browser.get(changed.location!);
      assert.equal(signIn.status, 200);
      assert.match(
        signIn.text,
        /role="status">Your password was changed and all your sessions have ended\. Sign in with the new password\./,
      );
      assert.match(signIn.text, /name="next" value="\/admin\/users"/);
      // The new password works; put the old one back (the shared admin session has ended too).
      const again = new Browser(app.server.url);
      const csrf2 = await again.signIn('admin', `${PASSWORD} 2`);
      assert.equal((await again.post('/admin/users/password', { _csrf: csrf2, current: `${PASSWORD} 2`, password: PASSWORD })).status, 303);
      await admin.signIn('admin', PASSWORD);
    });
  });
}
