// The gate kiosk's service worker (served as /kiosk-sw.js, scope /kiosk): the kiosk page, its modules,
// style, icon and QR decoder (the list comes from src/features/kiosk/offline-files.ts) are kept in a cache
// named after the release and a hash of those files, so the kiosk reopens without a network. Always network first (a fresh page when the server answers within a few
// seconds), the cache otherwise. A new release is a new service worker: it caches the new files
// completely before it takes over (a failed download leaves the old one in charge), then deletes the old
// cache. API calls are never touched: check-ins wait in the page's own outbox, not here.
const VERSION = 'dev'; // replaced by the server with the release and a content hash
const CACHE = `barona-kiosk-${VERSION}`;
const SHELL = []; // replaced by the server with the offline files of offline-files.ts
const NETWORK_TIMEOUT_MS = 4000;

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      // cache: 'reload' skips the HTTP cache, so the new release's files are what gets stored.
      await cache.addAll(SHELL.map((url) => new Request(url, { cache: 'reload', credentials: 'same-origin' })));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith('barona-kiosk-') && name !== CACHE) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const key = url.pathname === '/kiosk' && request.mode === 'navigate' ? '/kiosk' : SHELL.includes(url.pathname) ? url.pathname : undefined;
  if (key === undefined) return;
  event.respondWith(networkFirst(request, key));
});

async function networkFirst(request, key) {
  const cache = await caches.open(CACHE);
  try {
    // A navigation request cannot be copied with new options (no AbortSignal): race it against a timer.
    const response = await Promise.race([fetch(request), slowNetwork()]);
    if (response.ok && response.type === 'basic') await cache.put(key, response.clone());
    return response;
  } catch (error) {
    const cached = await cache.match(key);
    if (cached) return cached;
    throw error;
  }
}

function slowNetwork() {
  return new Promise((_resolve, reject) => setTimeout(() => reject(new Error('the network is too slow')), NETWORK_TIMEOUT_MS));
}
