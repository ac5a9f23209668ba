// Nothing under public/ is served that no page uses: every file there is reached from a page (its HTML
// links and scripts), from another file a page loads (an ES module's imports, a stylesheet's url(), a
// path it names), or from the kiosk's service worker list. A stray file (a merge's app.css.orig, an old
// script) fails here, naming it.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { build, signIn, type AdminSession, type TestApp } from '../support/app.js';
import { ROOT } from '../support/server.js';

const PUBLIC = path.join(ROOT, 'public');

/** Every file under public/, as the path it is served at (/assets/…). */
function publicFiles(dir = PUBLIC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? publicFiles(full) : [`/assets/${path.relative(PUBLIC, full).split(path.sep).join('/')}`];
  });
}

/** The same-origin paths a page or file refers to: attributes, imports, url(), and quoted absolute paths. */
function references(text: string, base: string): string[] {
  const found = new Set<string>();
  const patterns = [
    /(?:src|href)="([^"#?]+)/g, // HTML
    /(?:import|from)\s*\(?\s*['"]([^'"]+)['"]/g, // ES modules (static and dynamic imports)
    /url\(\s*['"]?([^'")]+)/g, // CSS
    /['"`](\/[A-Za-z0-9_./-]+\.(?:js|css|svg|png|json|webmanifest))['"`]/g, // a path named in a script (the service worker's list, register())
  ];
  for (const pattern of patterns) {
    for (const match of text.matchAll(pattern)) {
      const ref = match[1]!;
      if (/^(?:[a-z]+:)?\/\//i.test(ref) || ref.startsWith('data:')) continue;
      found.add(new URL(ref, `http://x${base}`).pathname);
    }
  }
  return [...found];
}

describe('public/ holds only what the pages use', () => {
  let t: TestApp;
  let admin: AdminSession;

  before(async () => {
    t = await build({ AUTH_MODE: 'token' });
    admin = await signIn(t.app);
  });
  after(async () => t?.close());

  test('every file under public/ is reached from a page, another served file, or the service worker', async () => {
    const person = (
      await admin.inject({ method: 'POST', url: '/api/v1/people', payload: { firstname: 'Ada', lastname: 'Lovelace' } })
    ).json();
    const group = (await admin.inject({ method: 'POST', url: '/api/v1/groups', payload: { name: 'Choir' } })).json();
    const entry = (await admin.inject({ method: 'POST', url: '/api/v1/checkins', payload: { personId: person.id, gate: 'North' } })).json();
    const pages = [
      '/admin/sheet',
      `/admin/entries/${entry.id}`,
      '/admin/people',
      `/admin/people/${person.id}`,
      '/admin/groups',
      `/admin/groups/${group.id}`,
      `/admin/groups/${group.id}/register`,
      '/admin/badges',
      '/admin/gates',
      '/admin/tokens',
      '/admin/users',
      '/admin/audit',
      '/screen',
      '/kiosk',
      '/api/docs',
    ];
    const used = new Set<string>();
    const queue: string[] = [];
    const signInPage = await t.app.inject({ url: '/admin' });
    assert.equal(signInPage.statusCode, 200);
    queue.push(...references(signInPage.body, '/admin'));
    for (const url of pages) {
      const response = await admin.inject({ url });
      assert.equal(response.statusCode, 200, `${url} is a page`);
      queue.push(...references(response.body, url));
    }
    // Follow what the pages load, and what that loads in turn.
    // A file served at the top level from public/ by a route of its own (the kiosk's service worker, which
    // must sit there for its scope) counts as the file.
    const files = new Set(publicFiles());
    while (queue.length > 0) {
      const url = queue.shift()!;
      const file = url.startsWith('/assets/') ? url : files.has(`/assets${url}`) ? `/assets${url}` : undefined;
      if (file === undefined || used.has(file)) continue;
      used.add(file);
      const response = await admin.inject({ url });
      assert.equal(response.statusCode, 200, `${url}, which a page uses, is served`);
      if (/\.(js|css)$/.test(url)) queue.push(...references(response.body, url));
    }

    const unused = publicFiles().filter((file) => !used.has(file));
    assert.deepEqual(unused, [], 'files under public/ that no page uses (remove them, or use them)');
    assert.equal((await admin.inject({ url: '/assets/app.css.orig' })).statusCode, 404);
  });
});
