// The one list of what the kiosk needs offline: the page, its modules (built from src/kiosk-ui into
// dist/kiosk-ui, served as /assets/kiosk/*.js), the style, the icon and the QR decoder. The service worker
// is given this list by the server (page-routes.ts writes it into /kiosk-sw.js), so the worker, the
// routes and the cache version never disagree about it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PUBLIC_DIR } from '../../http/public-files.js';

/** dist/kiosk-ui of the package: the same folder from src/ (tsx) and from dist/ (built). */
export const KIOSK_UI_DIR = fileURLToPath(new URL('../../../dist/kiosk-ui/', import.meta.url));
/** Where the kiosk's modules are served. */
export const KIOSK_MODULES_PATH = '/assets/kiosk/';
/** The module the page loads (it imports the others). */
export const KIOSK_ENTRY = 'main.js';

/** The built modules by file name, read once: a missing build is said at start, not as a broken page. */
export function kioskModules(): Map<string, Buffer> {
  if (!existsSync(path.join(KIOSK_UI_DIR, KIOSK_ENTRY))) {
    throw new Error(`the kiosk's script is not built (${path.join(KIOSK_UI_DIR, KIOSK_ENTRY)} is missing): run npm run build`);
  }
  const names = readdirSync(KIOSK_UI_DIR)
    .filter((name) => name.endsWith('.js'))
    .sort();
  return new Map(names.map((name) => [name, readFileSync(path.join(KIOSK_UI_DIR, name))]));
}

/** An offline file: its URL, and where its content comes from (undefined: made by the server). */
export interface OfflineFile {
  url: string;
  file?: string;
}

export function offlineFiles(modules: ReadonlyMap<string, unknown>): OfflineFile[] {
  return [
    { url: '/kiosk' },
    ...[...modules.keys()].map((name) => ({ url: `${KIOSK_MODULES_PATH}${name}`, file: path.join(KIOSK_UI_DIR, name) })),
    { url: '/assets/app.css', file: path.join(PUBLIC_DIR, 'app.css') },
    { url: '/assets/favicon.svg', file: path.join(PUBLIC_DIR, 'favicon.svg') },
    { url: '/kiosk-jsqr.js' },
  ];
}
