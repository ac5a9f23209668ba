// `npm run screenshots`: starts the real service (embedded database, AUTH_MODE=token), fills it with a
// plausible event day through the API, and photographs the attendance sheet, the gate kiosk and the
// admin pages in headless Chromium into docs/screenshots/*.png.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { startServer, ROOT } from '../test/support/server.js';
import { chromiumMissing, launchChromium } from '../test/support/chromium.js';

const PASSWORD = 'screenshot password';
const OUT = path.join(ROOT, 'docs', 'screenshots');

const PEOPLE = [
  ['Amara', 'Okafor', 'North'],
  ['Lukas', 'Schneider', 'North'],
  ['Sofía', 'García', 'South'],
  ['Kenji', 'Watanabe', 'North'],
  ['Chloé', 'Dubois', 'VIP'],
  ['Mateus', 'Silva', 'South'],
  ['Ingrid', 'Johansson', 'North'],
  ['Priya', 'Raman', 'South'],
  ['Noah', 'Müller', 'VIP'],
  ['Zoë', 'Van Dijk', 'North'],
  ['Omar', 'Haddad', 'South'],
  ['Elena', 'Rossi', 'North'],
] as const;

async function main(): Promise<number> {
  const missing = chromiumMissing();
  if (missing) {
    console.error(missing);
    return 1;
  }
  mkdirSync(OUT, { recursive: true });
  const server = await startServer({
    env: { AUTH_MODE: 'token', ADMIN_PASSWORD: PASSWORD, APP_TIMEZONE: 'Europe/Berlin' },
    timeoutMs: 120_000,
  });
  const browser = await launchChromium();
  try {
    const office = await browser.newContext({ viewport: { width: 1280, height: 860 }, deviceScaleFactor: 1 });
    const page = await office.newPage();
    await page.goto(`${server.url}/admin`);
    await page.screenshot({ path: path.join(OUT, 'sign-in.png') });
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/admin\/sheet/);

    // The managed gates with their capacities (the big screen compares who is inside against them).
    await page.goto(`${server.url}/admin/gates`);
    for (const [gate, capacity] of [
      ['North', '12'],
      ['South', '8'],
      ['VIP', '3'],
    ] as const) {
      await page.locator('#gate-name').fill(gate);
      await page.locator('#gate-capacity').fill(capacity);
      await page.getByRole('button', { name: 'Add gate' }).click();
      await page.getByText('Gate added.').waitFor();
    }

    // Tokens for the gates; the first one feeds the data below.
    await page.goto(`${server.url}/admin/tokens`);
    const kioskLinks = new Map<string, string>();
    for (const [name, gate] of [
      ['South entrance tablet', 'South'],
      ['VIP desk', 'VIP'],
      ['North entrance tablet', 'North'],
    ] as const) {
      await page.getByLabel('Name').fill(name);
      await page.getByLabel(/^Gate/).fill(gate);
      await page.getByRole('button', { name: 'Create token' }).click();
      await page.getByText('Copy it now').waitFor();
      kioskLinks.set(gate, (await page.locator('#kiosk-link').getAttribute('href'))!);
    }
    const kioskLink = kioskLinks.get('North')!;
    for (const [i, [firstname, lastname, gate]] of PEOPLE.entries()) {
      const token = new URLSearchParams(kioskLinks.get(gate)!.split('#')[1]).get('token')!;
      const response = await fetch(`${server.url}/api/v1/checkins`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ firstname, lastname, gate, direction: i === 5 ? 'out' : 'in' }),
      });
      if (!response.ok) throw new Error(`seeding failed: ${response.status} ${await response.text()}`);
    }
    await page.screenshot({ path: path.join(OUT, 'admin-tokens.png'), fullPage: true });
    // The same page a moment later: every token has been used.
    await page.goto(`${server.url}/admin/tokens`);
    await page.screenshot({ path: path.join(OUT, 'admin-tokens-list.png'), fullPage: true });

    await page.goto(`${server.url}/admin/sheet`);
    await page.locator('#live-indicator:not(.offline)').waitFor();
    await page.screenshot({ path: path.join(OUT, 'attendance-sheet.png'), fullPage: true });

    const first = await page.locator('#sheet-table tr[data-id]').nth(1).getAttribute('data-id');
    await page.goto(`${server.url}/admin/entries/${first}`);
    await page.getByLabel('First name').fill('Lucas');
    await page.getByRole('button', { name: 'Save correction' }).click();
    await page.getByText('Correction saved.').waitFor();
    await page.screenshot({ path: path.join(OUT, 'admin-entry.png'), fullPage: true });
    await page.goto(`${server.url}/admin/audit`);
    await page.screenshot({ path: path.join(OUT, 'admin-audit.png'), fullPage: true });

    const tablet = await browser.newContext({ viewport: { width: 1024, height: 768 }, hasTouch: true });
    const kiosk = await tablet.newPage();
    await kiosk.goto(`${server.url}${kioskLink}`);
    await kiosk.locator('#setup-pin').fill('2468');
    await kiosk.locator('#setup-pin-again').fill('2468');
    await kiosk.screenshot({ path: path.join(OUT, 'kiosk-setup.png') });
    await kiosk.getByRole('button', { name: 'Start the kiosk' }).click();
    await kiosk.getByLabel('First name').fill('Hannah');
    await kiosk.getByLabel('Last name').fill('Schmidt');
    await kiosk.getByRole('button', { name: 'Check in' }).click();
    await kiosk.locator('.kiosk-feedback.is-success').waitFor();
    await kiosk.screenshot({ path: path.join(OUT, 'kiosk.png') });
    // Offline: the check-in is saved on the tablet at once and sent when the network is back.
    await tablet.setOffline(true);
    await kiosk.getByLabel('First name').fill('Jonas');
    await kiosk.getByLabel('Last name').fill('Weber');
    await kiosk.getByRole('button', { name: 'Check in' }).click();
    await kiosk.locator('.kiosk-feedback.is-queued').waitFor();
    await kiosk.screenshot({ path: path.join(OUT, 'kiosk-offline.png') });
    await tablet.setOffline(false);
    await kiosk.getByText('waiting to be sent').waitFor({ state: 'detached' });

    // The kiosk on a phone-sized screen: the Settings button stays on screen.
    const small = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true });
    const smallKiosk = await small.newPage();
    await smallKiosk.goto(`${server.url}${kioskLink}`);
    await smallKiosk.locator('#setup-pin').fill('2468');
    await smallKiosk.locator('#setup-pin-again').fill('2468');
    await smallKiosk.getByRole('button', { name: 'Start the kiosk' }).click();
    await smallKiosk.getByLabel('First name').waitFor();
    await smallKiosk.screenshot({ path: path.join(OUT, 'kiosk-phone.png') });

    // Badges: people with badge codes in a group and its print-ready sheet; the kiosk's name search and Undo.
    const admin = { 'x-csrf-token': (await page.locator('meta[name="csrf-token"]').getAttribute('content'))! };
    const ids: number[] = [];
    for (const [firstname, lastname] of PEOPLE.slice(0, 6)) {
      const person = await page.request.post(`${server.url}/api/v1/people`, {
        headers: admin,
        data: { firstname, lastname, externalRef: `S-${1001 + ids.length}` },
      });
      ids.push(((await person.json()) as { id: number }).id);
    }
    const group = await page.request.post(`${server.url}/api/v1/groups`, { headers: admin, data: { name: 'Volunteers' } });
    const groupId = ((await group.json()) as { id: number }).id;
    for (const id of ids) await page.request.put(`${server.url}/api/v1/groups/${groupId}/members/${id}`, { headers: admin });
    await page.goto(`${server.url}/admin/people`);
    await page.screenshot({ path: path.join(OUT, 'people.png'), fullPage: true });
    await page.goto(`${server.url}/admin/people/${ids[2]}`);
    await page.screenshot({ path: path.join(OUT, 'person.png'), fullPage: true });
    await page.goto(`${server.url}/admin/gates`);
    await page.screenshot({ path: path.join(OUT, 'admin-gates.png'), fullPage: true });
    const foyer = await browser.newContext({ viewport: { width: 1600, height: 900 }, deviceScaleFactor: 1 });
    const screen = await foyer.newPage();
    await screen.goto(`${server.url}/screen`);
    await screen.screenshot({ path: path.join(OUT, 'big-screen.png') });
    await page.goto(`${server.url}/admin/badges?group=${groupId}`);
    await page.screenshot({ path: path.join(OUT, 'badges.png'), fullPage: true });
    await kiosk.getByLabel('First name').fill('sofia');
    await kiosk.getByRole('button', { name: 'Sofía García' }).waitFor();
    await kiosk.screenshot({ path: path.join(OUT, 'kiosk-roster.png') });
    await kiosk.getByRole('button', { name: 'Sofía García' }).click();
    await kiosk.locator('#kiosk-undo').waitFor();
    await kiosk.screenshot({ path: path.join(OUT, 'kiosk-undo.png') });

    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true });
    const mobile = await phone.newPage();
    await phone.addCookies(await office.cookies());
    await mobile.goto(`${server.url}/admin/sheet`);
    await mobile.screenshot({ path: path.join(OUT, 'attendance-sheet-phone.png'), fullPage: true });
    console.log(`screenshots written to ${path.relative(ROOT, OUT)}/`);
    return 0;
  } finally {
    await browser.close();
    await server.stop();
  }
}

process.exitCode = await main();
