import { startServer } from '../test/support/server.js';
import { launchChromium } from '../test/support/chromium.js';
const server = await startServer({ env: { AUTH_MODE: 'token', ADMIN_PASSWORD: 'smoke password 123', APP_TIMEZONE: 'UTC' }, timeoutMs: 120000 });
const browser = await launchChromium();
try {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
  const page = await ctx.newPage();
  await page.goto(`${server.url}/admin/groups`);
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill('smoke password 123');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/admin\/groups/);
  await page.locator('#new-name').fill('Evening class');
  await page.locator('#new-from').fill('2026-11-01');
  await page.locator('#new-to').fill('2026-11-30');
  await page.locator('#new-group-form input[name="weekdays"][value="3"]').check();
  await page.locator('#new-start').fill('09:00');
  await page.getByRole('button', { name: 'Create group' }).click();
  await page.waitForURL(/groups\/\d/);
  const g = new URL(page.url()).pathname;
  for (const url of [g, g + '/register', '/admin/groups']) {
    await page.goto(server.url + url);
    const wide = await page.evaluate(`[...document.querySelectorAll('*')].filter(e => e.getBoundingClientRect().right > 391).slice(0, 8).map(e => e.tagName + '.' + e.className + '#' + e.id + ' ' + Math.round(e.getBoundingClientRect().right))`);
    console.log(url, await page.evaluate('document.documentElement.scrollWidth'), wide);
  }
} finally {
  await browser.close();
  await server.stop();
}
