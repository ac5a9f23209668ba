// Badges and scanning at the gate kiosk, in real headless Chromium against the real service on
// PostgreSQL (AUTH_MODE=token): a keyboard-wedge scan (the code typed at scanner speed, then Enter)
// checks the right person in, an unknown badge says so, a person without their badge finds and picks
// their name, the last check-in is undone (online, and offline while still queued); the roster the kiosk
// keeps (read with its token, kept in IndexedDB): offline a known badge is named at once and queued under
// that name, an unknown one refused on the spot, the name search answered from it, the queue listed by
// name in Settings; forgotten when the token is revoked or replaced; the result of a check-in in view on
// a phone and on tablets, announced as a status or an alert; the camera path with a fake camera fed a QR code (jsQR, since Chromium on Linux has
// no BarcodeDetector) and with an injected BarcodeDetector; the printable badges page (one QR per member,
// each decoding to that member's badge code, drawn by the qrcode library for exactly that code, A4 sheet
// and card layouts when printed) and the setup QR code on the token page.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import QRCode from 'qrcode';
import type { Browser as Chromium, BrowserContext, Page } from 'playwright-core';
import { qrSvgMarkup } from '../../src/features/people/qr-code.js';
import { Browser } from '../support/browser.js';
import { chromiumMissing, launchChromium } from '../support/chromium.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startServer, type RunningServer } from '../support/server.js';

const PASSWORD = 'a badge test password';
const PIN = '1357';
const skip = chromiumMissing();

interface Person {
  id: number;
  firstname: string;
  lastname: string;
  externalRef: string | null;
  badge: string;
}

/** A video file for Chromium's fake camera: the QR code of `text`, black on white, 640 × 480 (Y4M, 4:2:0). */
function qrVideo(text: string, file: string): void {
  const modules = QRCode.create(text, { errorCorrectionLevel: 'M' }).modules;
  const [width, height, scale] = [640, 480, 8];
  const left = Math.floor((width - modules.size * scale) / 2);
  const top = Math.floor((height - modules.size * scale) / 2);
  const luma = Buffer.alloc(width * height, 235);
  for (let row = 0; row < modules.size; row++) {
    for (let col = 0; col < modules.size; col++) {
      if (!modules.get(row, col)) continue;
      for (let y = 0; y < scale; y++)
        luma.fill(16, (top + row * scale + y) * width + left + col * scale, (top + row * scale + y) * width + left + (col + 1) * scale);
    }
  }
  const frame = Buffer.concat([Buffer.from('FRAME\n'), luma, Buffer.alloc((width * height) / 2, 128)]);
  writeFileSync(file, Buffer.concat([Buffer.from(`YUV4MPEG2 W${width} H${height} F10:1 Ip A1:1 C420jpeg\n`), frame, frame, frame]));
}

/** The text of the QR code in a PNG, decoded in the page by the kiosk's own jsQR module. */
async function decodeQr(page: Page, png: Buffer): Promise<string | null> {
  const decoder = '/kiosk-jsqr.js';
  return page.evaluate(
    async ([base64, url]) => {
      // The project compiles without the DOM types: the few browser globals used here, untyped.
      const g = globalThis as unknown as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
      const bytes = Uint8Array.from(g.atob(base64), (c: string) => c.charCodeAt(0));
      const bitmap = await g.createImageBitmap(new g.Blob([bytes], { type: 'image/png' }));
      const canvas = new g.OffscreenCanvas(bitmap.width, bitmap.height);
      const context = canvas.getContext('2d');
      context.fillStyle = '#fff';
      context.fillRect(0, 0, bitmap.width, bitmap.height);
      context.drawImage(bitmap, 0, 0);
      const { data } = context.getImageData(0, 0, bitmap.width, bitmap.height);
      const { default: jsQR } = await import(url!);
      return (jsQR(data, bitmap.width, bitmap.height)?.data as string | undefined) ?? null;
    },
    [png.toString('base64'), decoder] as const,
  );
}

describe('badges and scanning at the kiosk in headless Chromium', { skip }, () => {
  let server: RunningServer;
  let database: TestDatabase;
  let browser: Chromium;
  let office: BrowserContext;
  let tablet: BrowserContext;
  let admin: Page;
  let kiosk: Page;
  let http: Browser;
  let csrf: string;
  let link: string;
  let tmp: string;
  const people: Person[] = [];
  let groupId: number;

  const asAdmin = async <T>(method: string, url: string, json?: unknown): Promise<T> => {
    const answer = await http.request(method, `/api/v1${url}`, { json, headers: { accept: 'application/json', 'x-csrf-token': csrf } });
    assert.ok(answer.status < 300, `${method} ${url}: ${answer.status} ${answer.text}`);
    return answer.text === '' ? (undefined as T) : answer.json<T>();
  };
  const rows = (personId: number) =>
    database.query<{ id: number; deleted: boolean; gate: string }>(
      `SELECT id, deleted_at IS NOT NULL AS deleted, gate FROM checkins WHERE person_id = $1 ORDER BY id`,
      [personId],
    );
  async function until(check: () => Promise<boolean>, what: string, timeoutMs = 15_000) {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'barona-badges-'));
    database = await createTestDatabase();
    server = await startServer({ env: { DATABASE_URL: database.url, AUTH_MODE: 'token', ADMIN_PASSWORD: PASSWORD } });
    http = new Browser(server.url);
    for (let attempt = 0; ; attempt++) {
      try {
        csrf = await http.signIn('admin', PASSWORD);
        break;
      } catch (error) {
        if (attempt > 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    for (const fields of [
      { firstname: 'Ada', lastname: 'Lovelace', externalRef: 'S-1815' },
      { firstname: 'Żaneta', lastname: 'Żółć' },
      { firstname: 'Grace', lastname: 'Hopper' },
      { firstname: 'Alan', lastname: 'Turing' },
      { firstname: 'Edsger', lastname: 'Dijkstra' },
      { firstname: 'Barbara', lastname: 'Liskov' },
    ]) {
      people.push(await asAdmin<Person>('POST', '/people', fields));
    }
    groupId = (await asAdmin<{ id: number }>('POST', '/groups', { name: 'Badge crew' })).id;
    for (const person of people.slice(0, 3)) await asAdmin('PUT', `/groups/${groupId}/members/${person.id}`);

    browser = await launchChromium();
    office = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    tablet = await browser.newContext({ viewport: { width: 1024, height: 768 }, hasTouch: true });
    for (const context of [office, tablet]) context.setDefaultTimeout(15_000);
    admin = await office.newPage();
    await admin.goto(`${server.url}/admin/tokens`);
    await admin.getByLabel('Username').fill('admin');
    await admin.getByLabel('Password').fill(PASSWORD);
    await admin.getByRole('button', { name: 'Sign in' }).click();
    await admin.waitForURL((url) => url.pathname === '/admin/tokens');
  });
  after(async () => {
    await browser?.close();
    assert.equal(await server?.stop(), 0);
    await database?.drop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  async function setUpKiosk(page: Page) {
    await page.goto(`${server.url}${link}`);
    await page.locator('#setup-pin').fill(PIN);
    await page.locator('#setup-pin-again').fill(PIN);
    await page.getByRole('button', { name: 'Start the kiosk' }).tap();
    await page.getByLabel('First name').waitFor();
  }
  /** What a keyboard-wedge scanner does: the code typed key by key at once, then Enter, into the focused field. */
  async function wedgeScan(page: Page, code: string) {
    await page.keyboard.type(code);
    await page.keyboard.press('Enter');
  }

  /** The roster record the kiosk keeps in IndexedDB (null: none). */
  async function keptRoster(page: Page): Promise<{ owner: string; etag: string; people: Person[] } | null> {
    return page.evaluate(
      () =>
        new Promise((resolve, reject) => {
          // The project compiles without the DOM types: IndexedDB, untyped.
          const g = globalThis as unknown as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
          const open = g.indexedDB.open('barona-kiosk', 1);
          open.onupgradeneeded = () => open.result.createObjectStore('roster');
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const request = open.result.transaction('roster').objectStore('roster').get('current');
            request.onsuccess = () => {
              resolve(request.result ?? null);
              open.result.close();
            };
            request.onerror = () => reject(request.error);
          };
        }),
    );
  }
  /** The kiosk's settings as kept in local storage. */
  const keptSettings = (page: Page) =>
    page.evaluate(
      () =>
        JSON.parse((globalThis as unknown as { localStorage: { getItem(key: string): string } }).localStorage.getItem('barona.kiosk')) as {
          token: string;
        },
    );
  /** The element lies wholly inside the page's viewport. */
  async function assertInView(page: Page, selector: string, what: string) {
    const box = await page.locator(selector).boundingBox();
    const viewport = page.viewportSize()!;
    assert.ok(box, `${what}: shown`);
    assert.ok(
      box.y >= 0 && box.x >= 0 && box.y + box.height <= viewport.height && box.x + box.width <= viewport.width,
      `${what}: in view in ${viewport.width}×${viewport.height} (${JSON.stringify(box)})`,
    );
  }

  test('the token page shows the kiosk setup link as a QR code that decodes to the link', async () => {
    await admin.getByLabel('Name').fill('Badge tablet');
    await admin.getByLabel(/^Gate/).fill('North');
    await admin.getByRole('button', { name: 'Create token' }).click();
    await admin.getByText('Copy it now').waitFor();
    link = (await admin.locator('#kiosk-link').getAttribute('href'))!;
    const qr = admin.getByRole('img', { name: 'QR code of the kiosk setup link with this token' });
    assert.equal(await qr.evaluate((element) => element.tagName), 'svg');
    assert.equal(await decodeQr(admin, await qr.screenshot()), `${server.url}${link}`);
  });

  test('a keyboard-wedge scan into the name field checks the right person in, with their name shown', async () => {
    kiosk = await tablet.newPage();
    const errors: string[] = [];
    kiosk.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
    kiosk.on('pageerror', (error) => errors.push(error.message));
    await setUpKiosk(kiosk);
    const [ada, , grace] = people as [Person, Person, Person];
    assert.equal(
      await kiosk.evaluate(() => (globalThis as unknown as { document: { activeElement: { id: string } } }).document.activeElement.id),
      'firstname',
    );
    await wedgeScan(kiosk, ada.badge);
    const feedback = kiosk.locator('.kiosk-feedback.is-success');
    await feedback.getByText('Welcome, Ada!').waitFor();
    assert.match(await feedback.innerText(), /Ada Lovelace: checked in at gate North/);
    assert.deepEqual(
      (await rows(ada.id)).map((r) => [r.gate, r.deleted]),
      [['North', false]],
    );
    assert.equal(await kiosk.getByLabel('First name').inputValue(), '', 'the code does not stay in the field');

    // Into the Badge field (a scanner, or the code typed by hand from the badge), as a check-out.
    await kiosk.getByText('Leaving').tap();
    await kiosk.getByLabel(/^Badge/).fill(grace.badge);
    await kiosk.getByLabel(/^Badge/).press('Enter');
    await kiosk.locator('.kiosk-feedback').getByText('Goodbye, Grace!').waitFor();
    assert.equal((await rows(grace.id)).length, 1);
    assert.equal(await kiosk.getByLabel('Arriving').isChecked(), true);
    assert.deepEqual(errors, [], 'no console errors (CSP violations would show here)');
  });

  test('a long name typed at human speed is a name, not a badge; an unknown badge is said clearly', async () => {
    await kiosk.getByLabel('First name').pressSequentially('Maximiliansophienberg', { delay: 150 });
    await kiosk.keyboard.press('Enter');
    await kiosk.locator('.kiosk-feedback.is-error').getByText('Please enter both names.').waitFor();
    await kiosk.getByLabel('First name').fill('');
    await kiosk.getByLabel('First name').focus();

    await wedgeScan(kiosk, 'NoSuchBadgeCode_0123456789');
    await kiosk.locator('.kiosk-feedback.is-error').getByText('Badge not recognised — ask at the desk').waitFor();
    assert.equal(await kiosk.locator('#kiosk-net').innerText(), '', 'not queued for retries');
    assert.equal((await database.query(`SELECT 1 FROM checkins WHERE firstname = 'NoSuchBadgeCode_0123456789'`)).length, 0);
  });

  test('without a badge: typing part of the name lists matches; picking one checks that person in', async () => {
    const zaneta = people[1]!;
    await kiosk.getByLabel('First name').fill('zolc');
    const pick = kiosk.getByRole('button', { name: 'Żaneta Żółć' });
    await pick.waitFor();
    assert.equal(await kiosk.locator('#roster-list li').count(), 1);
    await pick.tap();
    await kiosk.locator('.kiosk-feedback.is-success').getByText('Welcome, Żaneta!').waitFor();
    assert.deepEqual(
      (await rows(zaneta.id)).map((r) => r.deleted),
      [false],
    );
    assert.equal(await kiosk.locator('#roster').isHidden(), true, 'the list goes with the check-in');
    assert.equal(await kiosk.getByLabel('First name').inputValue(), '');
  });

  test('Undo removes the check-in just made (checked through the API); it is audited', async () => {
    const alan = people[3]!;
    await wedgeScan(kiosk, alan.badge);
    await kiosk.locator('.kiosk-feedback.is-success').getByText('Welcome, Alan!').waitFor();
    const [entry] = await rows(alan.id);
    assert.ok(entry && !entry.deleted);
    await kiosk.locator('#kiosk-undo').getByText('Checked in: Alan Turing').waitFor();
    await kiosk.getByRole('button', { name: 'Undo' }).tap();
    await kiosk.locator('.kiosk-feedback').getByText('Undone: Alan Turing').waitFor();
    assert.equal(await kiosk.locator('#kiosk-undo').isHidden(), true);
    const read = await http.request('GET', `/api/v1/checkins/${entry.id}`, { headers: { accept: 'application/json' } });
    assert.equal(read.status, 404, 'the entry is gone from the API');
    const audit = await database.query<{ actor: string; action: string }>(
      `SELECT actor, action FROM audit_log WHERE entity = 'checkin' AND entity_id = $1`,
      [String(entry.id)],
    );
    assert.deepEqual(audit, [{ actor: 'token:Badge tablet', action: 'delete' }]);
  });

  test("the kiosk reads the roster with its token and keeps it in IndexedDB: everyone's id, names and badge", async () => {
    await kiosk.locator('.kiosk-shell[data-roster-size="6"]').waitFor();
    const { token } = await keptSettings(kiosk);
    const answer = await fetch(`${server.url}/api/v1/kiosk/roster`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(answer.status, 200);
    const roster = (await answer.json()) as { items: Person[] };
    assert.deepEqual(
      roster.items.map((p) => [p.id, p.firstname, p.lastname, p.badge]),
      people.map((p) => [p.id, p.firstname, p.lastname, p.badge]),
    );
    const kept = (await keptRoster(kiosk))!;
    assert.equal(kept.etag, answer.headers.get('etag'));
    assert.deepEqual(
      kept.people.map((p) => p.badge),
      people.map((p) => p.badge),
    );
    assert.doesNotMatch(kept.owner, new RegExp(token.slice(4, 20)), 'the token is not kept a second time');
    const again = await fetch(`${server.url}/api/v1/kiosk/roster`, {
      headers: { authorization: `Bearer ${token}`, 'if-none-match': kept.etag },
    });
    assert.equal(again.status, 304);
  });

  test('offline: a known badge is named at once and queued under that name; undone while queued it is never sent; the next one is delivered once', async () => {
    const edsger = people[4]!;
    await tablet.setOffline(true);
    let started = Date.now();
    await wedgeScan(kiosk, edsger.badge);
    await kiosk.locator('.kiosk-feedback.is-queued').getByText('Edsger Dijkstra: saved on this tablet').waitFor({ timeout: 2000 });
    assert.ok(Date.now() - started < 2000, `named within 2 s (${Date.now() - started} ms)`);
    assert.equal(await kiosk.getByRole('status').filter({ hasText: 'Edsger Dijkstra' }).count(), 1, 'announced as a status');
    await kiosk.getByText('1 check-in waiting to be sent').waitFor();
    await kiosk.locator('#kiosk-undo').getByText('Checked in: Edsger Dijkstra').waitFor();
    await kiosk.getByRole('button', { name: 'Undo' }).tap();
    await kiosk.locator('.kiosk-feedback').getByText('Undone: Edsger Dijkstra').waitFor();
    assert.equal(await kiosk.locator('#kiosk-net').innerText(), 'Offline');

    // An unknown, well-formed badge: refused on the spot (an alert, in view on a 1024×768 tablet), not queued.
    started = Date.now();
    await wedgeScan(kiosk, 'UnknownOfflineBadge_987654');
    await kiosk.locator('.kiosk-feedback.is-error').getByText('Badge not recognised — ask at the desk').waitFor({ timeout: 2000 });
    assert.ok(Date.now() - started < 2000, `refused within 2 s (${Date.now() - started} ms)`);
    assert.equal(await kiosk.getByRole('alert').filter({ hasText: 'Badge not recognised' }).count(), 1, 'announced as an alert');
    await assertInView(kiosk, '.kiosk-feedback', 'the refusal');
    assert.equal(await kiosk.locator('#kiosk-net').innerText(), 'Offline', 'nothing queued');

    // The name search answers from the roster; the pick is queued under the name.
    await kiosk.getByLabel('First name').fill('liskov');
    await kiosk.getByRole('button', { name: 'Barbara Liskov' }).tap();
    await kiosk.locator('.kiosk-feedback.is-queued').getByText('Barbara Liskov: saved on this tablet').waitFor();

    // A reload offline: the roster comes back from IndexedDB.
    await kiosk.reload();
    await kiosk.locator('.kiosk-shell[data-roster-size="6"]').waitFor();
    await wedgeScan(kiosk, edsger.badge);
    await kiosk.locator('.kiosk-feedback.is-queued').getByText('Edsger Dijkstra: saved on this tablet').waitFor({ timeout: 2000 });

    // Settings list the queue by name; Escape closes the PIN prompt.
    await kiosk.getByRole('button', { name: 'Settings' }).tap();
    await kiosk.locator('#unlock-pin').waitFor();
    await kiosk.keyboard.press('Escape');
    await kiosk.getByLabel('First name').waitFor();
    assert.equal(await kiosk.locator('#kiosk-unlock').isHidden(), true, 'Escape closed the PIN prompt');
    await kiosk.getByRole('button', { name: 'Settings' }).tap();
    await kiosk.locator('#unlock-pin').fill(PIN);
    await kiosk.getByRole('button', { name: 'Unlock' }).tap();
    // The PIN is checked asynchronously: wait for the settings before reading them (and before Cancel,
    // which would otherwise find the PIN prompt's own Cancel on its way out).
    await kiosk.locator('#kiosk-setup').waitFor();
    const queued = await kiosk.locator('#outbox-list li').allInnerTexts();
    assert.deepEqual(
      queued.map((line) => line.split(' · ').slice(0, 2).join(' · ')),
      ['Barbara Liskov · in', 'Edsger Dijkstra · in'],
    );
    await kiosk.locator('#setup-cancel').tap();

    const barbara = people[5]!;
    await tablet.setOffline(false);
    await until(async () => (await rows(edsger.id)).length === 1, 'the queued badge check-in on the server');
    await until(async () => (await rows(barbara.id)).length === 1, 'the queued pick on the server');
    await until(async () => (await kiosk.locator('#kiosk-net').innerText()) === '', 'the outbox to empty');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.deepEqual(
      (await rows(edsger.id)).map((r) => r.deleted),
      [false],
      'exactly once, and the undone scan was never sent',
    );
  });

  test('the result of a check-in (done, refused) is in view without scrolling on a phone, a tablet and a landscape tablet', async () => {
    for (const [width, height] of [
      [390, 844],
      [768, 1024],
      [1024, 768],
    ] as const) {
      const context = await browser.newContext({ viewport: { width, height }, hasTouch: true });
      try {
        context.setDefaultTimeout(15_000);
        const page = await context.newPage();
        await setUpKiosk(page);
        await page.getByLabel('First name').fill(`Screen${width}`);
        await page.getByLabel('Last name').fill('Tester');
        await page.getByRole('button', { name: 'Check in' }).tap();
        await page.locator('.kiosk-feedback.is-success').getByText(`Welcome, Screen${width}!`).waitFor();
        await assertInView(page, '.kiosk-feedback', `a typed check-in at ${width}×${height}`);
        await page.getByLabel('First name').focus();
        await wedgeScan(page, 'NoSuchBadgeCode_0123456789');
        await page.locator('.kiosk-feedback.is-error').getByText('Badge not recognised — ask at the desk').waitFor();
        await assertInView(page, '.kiosk-feedback', `an unknown badge at ${width}×${height}`);
      } finally {
        await context.close();
      }
    }
  });

  test('the roster is forgotten when the token is revoked, and replaced when the kiosk is set up with another link', async () => {
    const context = await browser.newContext({ viewport: { width: 1024, height: 768 }, hasTouch: true });
    try {
      context.setDefaultTimeout(15_000);
      const newLink = async (name: string) => {
        await admin.goto(`${server.url}/admin/tokens`);
        await admin.getByLabel('Name').fill(name);
        await admin.getByLabel(/^Gate/).fill('North');
        await admin.getByRole('button', { name: 'Create token' }).click();
        await admin.getByText('Copy it now').waitFor();
        return {
          link: (await admin.locator('#kiosk-link').getAttribute('href'))!,
          id: (await admin.locator('#token-table tbody tr').first().getAttribute('data-token-id'))!,
        };
      };
      const first = await newLink('Roster tablet 1');
      const page = await context.newPage();
      page.on('dialog', (dialog) => void dialog.accept());
      await page.goto(`${server.url}${first.link}`);
      await page.locator('#setup-pin').fill(PIN);
      await page.locator('#setup-pin-again').fill(PIN);
      await page.getByRole('button', { name: 'Start the kiosk' }).tap();
      await page.locator('.kiosk-shell[data-roster-size="6"]').waitFor();
      const firstOwner = (await keptRoster(page))!.owner;

      // Set up with another link: the roster of the old token goes, the new token's is read.
      const second = await newLink('Roster tablet 2');
      await page.goto(`${server.url}${second.link}`);
      await page.locator('#unlock-pin').fill(PIN);
      await page.getByRole('button', { name: 'Unlock' }).tap();
      await page.getByRole('button', { name: 'Save' }).tap();
      await until(async () => ((await keptRoster(page))?.owner ?? firstOwner) !== firstOwner, 'the roster of the new token');
      assert.equal((await keptRoster(page))!.people.length, 6);

      // Revoked: the next answer is a 401, and the roster is forgotten with it.
      admin.once('dialog', (dialog) => void dialog.accept());
      await admin.goto(`${server.url}/admin/tokens`);
      await admin
        .locator(`tr[data-token-id="${second.id}"]`)
        .getByRole('button', { name: /Revoke/ })
        .click();
      await admin.getByText('Token revoked.').waitFor();
      await page.getByLabel('First name').focus();
      await wedgeScan(page, people[0]!.badge);
      await page.locator('.kiosk-feedback.is-error').getByText('This kiosk may not check people in.').waitFor();
      await page.locator('.kiosk-shell[data-roster-size="0"]').waitFor();
      assert.equal(await keptRoster(page), null, 'nothing left in IndexedDB');
    } finally {
      await context.close();
    }
  });

  test('the badges page: one QR code per member, each decoding to that badge code, drawn by qrcode for that exact code', async () => {
    const members = people.slice(0, 3);
    await admin.goto(`${server.url}/admin/badges?group=${groupId}`);
    await admin.getByRole('heading', { name: 'Badges: Badge crew' }).waitFor();
    assert.equal(await admin.locator('.badge-card').count(), 3);
    assert.equal(await admin.locator('.badge-card svg').count(), 3);
    for (const person of members) {
      const card = admin.getByRole('article', { name: `Badge of ${person.firstname} ${person.lastname}` });
      assert.equal(await decodeQr(admin, await card.locator('svg').screenshot()), person.badge);
      if (person.externalRef) assert.equal(await card.locator('.badge-ref').innerText(), person.externalRef);
    }
    const page = await http.get(`/admin/badges?group=${groupId}`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('cache-control') ?? '', /no-store/);
    for (const person of members) {
      const drawn = /<path stroke="#000000" d="([^"]+)"/.exec(await qrSvgMarkup(person.badge))![1]!;
      assert.ok(page.text.includes(`d="${drawn}"`), `the QR code of ${person.firstname} is the library's drawing of the code`);
      assert.equal(page.text.split(person.badge).length - 1, 1, 'the code appears once, as the small text under the QR code');
    }
    assert.ok(!page.text.includes(people[3]!.badge), 'no badge of a non-member');

    // Printed: no navigation; the A4 sheet holds all three; the card layout prints one badge per page.
    await admin.emulateMedia({ media: 'print' });
    assert.equal(await admin.locator('.topbar').isHidden(), true);
    await admin.emulateMedia({ media: null });
    const pages = (pdf: Buffer) =>
      (pdf.toString('latin1').match(/\/MediaBox \[[^\]]*\]/g) ?? []).map((box) =>
        box
          .split(/[\s[\]]+/)
          .slice(3, 5)
          .map(Number)
          .map(Math.round)
          .join('x'),
      );
    // A4 is 595 × 842 points; a card 243 × 153 (85.6 × 54 mm).
    assert.deepEqual(pages(await admin.pdf({ preferCSSPageSize: true })), ['595x842']);
    await admin.goto(`${server.url}/admin/badges?group=${groupId}&layout=card`);
    assert.deepEqual(pages(await admin.pdf({ preferCSSPageSize: true })), ['243x153', '243x153', '243x153']);

    // One person.
    const ada = people[0]!;
    await admin.goto(`${server.url}/admin/badges?person=${ada.id}`);
    assert.equal(await admin.locator('.badge-card').count(), 1);
    assert.equal(await decodeQr(admin, await admin.locator('.badge-card svg').screenshot()), ada.badge);
    // A selection, chosen from a search.
    const [, , , alan, edsger] = people as [Person, Person, Person, Person, Person];
    await admin.goto(`${server.url}/admin/badges?person=${alan.id}&person=${edsger.id}`);
    await admin.getByRole('heading', { name: 'Badges: 2 people' }).waitFor();
    assert.equal(await admin.locator('.badge-card svg').count(), 2);
    await admin.goto(`${server.url}/admin/badges`);
    await admin.getByLabel('Name or reference').fill('turing');
    await admin.getByRole('button', { name: 'Find' }).click();
    await admin.getByLabel('Alan Turing').check();
    await admin.getByRole('button', { name: 'Print the chosen badges' }).click();
    await admin.getByRole('heading', { name: 'Badges: Alan Turing' }).waitFor();
    assert.equal(await decodeQr(admin, await admin.locator('.badge-card svg').screenshot()), alan.badge);
    // Badge codes are for admins only: without a session, the sign-in page.
    const stranger = await new Browser(server.url).get(`/admin/badges?group=${groupId}`);
    assert.equal(stranger.status, 303);
    assert.ok(!stranger.text.includes(ada.badge));
    // Unknown ids: the chooser with a message, not an error page.
    await admin.goto(`${server.url}/admin/badges?group=999999`);
    await admin.getByText('There is no group with id 999999.').waitFor();
  });

  test('camera: a QR code held up to the (fake) camera checks that person in, through jsQR and through a BarcodeDetector', async () => {
    const [, , grace, alan] = people as [Person, Person, Person, Person];
    const video = path.join(tmp, 'badge.y4m');
    qrVideo(alan.badge, video);
    const cameraBrowser = await launchChromium([
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-video-capture=${video}`,
    ]);
    try {
      const context = await cameraBrowser.newContext({ viewport: { width: 1024, height: 768 }, hasTouch: true });
      context.setDefaultTimeout(20_000);
      await context.grantPermissions(['camera'], { origin: server.url });
      const page = await context.newPage();
      await setUpKiosk(page);
      assert.equal(await page.evaluate(() => typeof (globalThis as Record<string, unknown>).BarcodeDetector), 'undefined');
      const before = (await rows(alan.id)).length;
      await page.getByRole('button', { name: 'Scan with camera' }).tap();
      await page.getByRole('heading', { name: "Hold your badge's QR code up to the camera" }).waitFor();
      await page.locator('.kiosk-feedback.is-success').getByText('Welcome, Alan!').waitFor();
      assert.equal(await page.locator('#kiosk-camera').isHidden(), true, 'the camera closes after a scan');
      assert.equal((await rows(alan.id)).length, before + 1);

      // A browser with BarcodeDetector: the kiosk asks it instead (here a stand-in that "sees" Grace's badge).
      const detecting = await cameraBrowser.newContext({ viewport: { width: 1024, height: 768 }, hasTouch: true });
      await detecting.grantPermissions(['camera'], { origin: server.url });
      await detecting.addInitScript((code) => {
        (globalThis as Record<string, unknown>).BarcodeDetector = class {
          static async getSupportedFormats() {
            return ['qr_code'];
          }
          async detect() {
            return [{ rawValue: code, format: 'qr_code' }];
          }
        };
      }, grace.badge);
      const second = await detecting.newPage();
      second.setDefaultTimeout(20_000);
      await setUpKiosk(second);
      await second.getByRole('button', { name: 'Scan with camera' }).tap();
      await second.locator('.kiosk-feedback.is-success').getByText('Welcome, Grace!').waitFor();
      assert.equal((await rows(grace.id)).length, 2);
    } finally {
      await cameraBrowser.close();
    }
  });
});
