// `npm run build && node --import tsx scripts/screenshots-groups.ts`: starts the real service (embedded
// database, AUTH_MODE=token), makes a class with a weekday schedule through the admin pages, imports its
// members from a CSV file (preview first), checks them in over the past weeks through the API, and
// photographs the group pages and the register in headless Chromium into docs/screenshots/groups-*.png.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { localDate } from '../src/domain/calendar.js';
import { addDays, monthAround } from '../src/features/groups/schedule-views.js';
import { startServer, ROOT } from '../test/support/server.js';
import { chromiumMissing, launchChromium } from '../test/support/chromium.js';

const PASSWORD = 'screenshot password';
const OUT = path.join(ROOT, 'docs', 'screenshots');
const TIMEZONE = 'Europe/Berlin';

const CLASS = [
  ['Amara', 'Okafor'],
  ['Lukas', 'Schneider'],
  ['Sofía', 'García'],
  ['Kenji', 'Watanabe'],
  ['Chloé', 'Dubois'],
  ['Mateus', 'Silva'],
  ['Ingrid', 'Johansson'],
  ['Priya', 'Raman'],
  ['Noah', 'Müller'],
  ['Zoë', 'Van Dijk'],
  ['Omar', 'Haddad'],
  ['Elena', 'Rossi'],
] as const;

/** The offset of TIMEZONE at noon of a day, e.g. '+01:00'. */
function offsetOf(day: string): string {
  const name = new Intl.DateTimeFormat('en-US', { timeZone: TIMEZONE, timeZoneName: 'longOffset' })
    .formatToParts(new Date(`${day}T12:00:00Z`))
    .find((part) => part.type === 'timeZoneName')!.value;
  return name === 'GMT' ? '+00:00' : name.slice(3);
}

async function main(): Promise<number> {
  const missing = chromiumMissing();
  if (missing) {
    console.error(missing);
    return 1;
  }
  mkdirSync(OUT, { recursive: true });
  const server = await startServer({
    env: { AUTH_MODE: 'token', ADMIN_PASSWORD: PASSWORD, APP_TIMEZONE: TIMEZONE, CHECKIN_BACKDATE_WINDOW_HOURS: String(24 * 31) },
    timeoutMs: 120_000,
  });
  const browser = await launchChromium();
  try {
    const office = await browser.newContext({ viewport: { width: 1280, height: 860 }, deviceScaleFactor: 1 });
    const page = await office.newPage();
    await page.goto(`${server.url}/admin/groups`);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/admin\/groups/);

    const today = localDate(TIMEZONE);
    const month = monthAround(today);
    await page.locator('#new-name').fill('Class 4b');
    await page.locator('#new-from').fill(month.from);
    await page.locator('#new-to').fill(month.to);
    for (const day of [1, 2, 3, 4, 5]) await page.locator(`#new-group-form input[name="weekdays"][value="${day}"]`).check();
    await page.locator('#new-start').fill('08:15');
    await page.locator('#new-grace').fill('5');
    await page.getByRole('button', { name: 'Create group' }).click();
    await page.getByText('Group created.').waitFor();
    const groupPath = new URL(page.url()).pathname;

    const file = path.join(os.tmpdir(), 'class-4b.csv');
    writeFileSync(file, ['firstname,lastname,externalRef,email', ...CLASS.map(([f, l], i) => `${f},${l},S-${1001 + i},`)].join('\n'));
    await page.locator('#import-file').setInputFiles(file);
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.locator('#import-preview').waitFor();
    await page.screenshot({ path: path.join(OUT, 'groups-import-preview.png'), fullPage: true });
    await page.locator('#import-confirm').click();
    await page.getByText('Imported:').waitFor();

    // Arrivals on the past school days: most on time, some late, a few absent.
    const csrf = (await page.locator('meta[name="csrf-token"]').getAttribute('content'))!;
    for (let day = month.from; day <= today; day = addDays(day, 1)) {
      const weekday = new Date(`${day}T00:00:00Z`).getUTCDay();
      if (weekday === 0 || weekday === 6) continue;
      const n = Number(day.slice(8));
      for (const [i, [firstname, lastname]] of CLASS.entries()) {
        if ((i + n) % 9 === 0) continue;
        const time = (i * 3 + n) % 7 === 0 ? '08:27' : `08:0${(i + n) % 10}`;
        const occurredAt = `${day}T${time}:00${offsetOf(day)}`;
        if (Date.parse(occurredAt) > Date.now()) continue;
        const response = await office.request.post(`${server.url}/api/v1/checkins`, {
          headers: { 'x-csrf-token': csrf },
          data: { firstname, lastname, gate: 'Main', occurredAt },
        });
        if (!response.ok()) throw new Error(`seeding failed: ${response.status()} ${await response.text()}`);
      }
    }

    await page.goto(`${server.url}/admin/groups`);
    await page.screenshot({ path: path.join(OUT, 'groups.png'), fullPage: true });
    await page.goto(`${server.url}${groupPath}?q=ok`);
    await page.screenshot({ path: path.join(OUT, 'groups-group.png'), fullPage: true });

    await page.goto(`${server.url}${groupPath}/register`);
    await page.locator('#excuse-person').selectOption({ label: 'Haddad, Omar' });
    await page.locator('#excuse-reason').fill('Dentist');
    const firstDay = await page.locator('#register-table thead time').first().getAttribute('datetime');
    await page.locator('#excuse-date').fill(firstDay!);
    await page.getByRole('button', { name: 'Excuse', exact: true }).click();
    await page.getByText('Excuse saved.').waitFor();
    await page.goto(`${server.url}${groupPath}/register`);
    await page.screenshot({ path: path.join(OUT, 'groups-register.png') });
    // A4 landscape at 96 dpi, as the print stylesheet lays it out.
    await page.setViewportSize({ width: 1123, height: 794 });
    await page.emulateMedia({ media: 'print' });
    await page.screenshot({ path: path.join(OUT, 'groups-register-print.png'), fullPage: true });

    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true });
    await phone.addCookies(await office.cookies());
    const mobile = await phone.newPage();
    await mobile.goto(`${server.url}${groupPath}/register`);
    await mobile.screenshot({ path: path.join(OUT, 'groups-register-phone.png') });
    console.log(`screenshots written to ${path.relative(ROOT, OUT)}/groups-*.png`);
    return 0;
  } finally {
    await browser.close();
    await server.stop();
  }
}

process.exitCode = await main();
