// The attendance sheet: live updates over server-sent events, and filtering by gate, name and group in
// place. The server renders the live parts (/admin/sheet/live: entries, not arrived yet, day summary,
// each marked data-live-part); this script only fetches them and swaps each into its place.
import './admin.js';

const live = document.getElementById('sheet');
const indicator = document.getElementById('live-indicator');
const form = document.getElementById('sheet-filters');
const groupSelect = document.getElementById('group');

let refreshing = false;
let again = false;
let timer;

function rowIds(root) {
  return new Set([...root.querySelectorAll('#sheet-table tr[data-id]')].map((row) => row.dataset.id));
}

async function refresh() {
  if (refreshing) {
    again = true;
    return;
  }
  refreshing = true;
  live.setAttribute('aria-busy', 'true');
  try {
    const response = await fetch(live.dataset.liveUrl, { headers: { accept: 'text/html' }, credentials: 'same-origin' });
    if (response.status === 401 || response.redirected) {
      window.location.reload(); // the session ended: the page itself sends us to sign in
      return;
    }
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const before = rowIds(live);
    const template = document.createElement('template');
    template.innerHTML = await response.text();
    for (const row of template.content.querySelectorAll('#sheet-table tr[data-id]')) {
      if (before.size > 0 && !before.has(row.dataset.id)) row.classList.add('row-new');
    }
    for (const part of template.content.querySelectorAll('[data-live-part]')) {
      live.querySelector(`[data-live-part="${part.dataset.livePart}"]`)?.replaceWith(part);
    }
  } catch {
    setLive(false);
  } finally {
    live.setAttribute('aria-busy', 'false');
    refreshing = false;
    if (again) {
      again = false;
      schedule();
    }
  }
}

function schedule(delay = 200) {
  clearTimeout(timer);
  timer = setTimeout(refresh, delay);
}

function setLive(connected) {
  indicator.hidden = false;
  indicator.classList.toggle('offline', !connected);
  indicator.querySelector('.live-text').textContent = connected ? 'Live' : 'Reconnecting…';
}

function connect() {
  const events = new EventSource('/admin/events');
  events.addEventListener('ready', () => {
    setLive(true);
    schedule(0); // catch up with anything missed while disconnected
  });
  events.addEventListener('change', () => schedule());
  events.addEventListener('signed-out', () => {
    events.close();
    window.location.reload();
  });
  events.addEventListener('error', () => setLive(false));
}

// Gate, name and group filter in place (no reload, back to the newest entries); a different day
// reloads the page.
function applyFilters() {
  const params = new URLSearchParams(new FormData(form)); // the group picker belongs to the form too
  for (const [key, value] of [...params]) if (value === '') params.delete(key);
  history.replaceState(null, '', `/admin/sheet?${params}`);
  live.dataset.liveUrl = `/admin/sheet/live?${params}`;
  for (const link of document.querySelectorAll('a[data-export]')) {
    const exportParams = new URLSearchParams({ from: params.get('date'), to: params.get('date') });
    if (params.get('gate')) exportParams.set('gate', params.get('gate'));
    if (link.hasAttribute('data-bom')) exportParams.set('bom', 'true');
    link.href = `/api/v1/checkins.csv?${exportParams}`;
  }
  schedule(0);
}

let typing;
form.addEventListener('input', (event) => {
  if (event.target.name === 'q') {
    clearTimeout(typing);
    typing = setTimeout(applyFilters, 300);
  }
});
form.addEventListener('change', (event) => {
  if (event.target.name === 'gate') applyFilters();
  if (event.target.name === 'date' && event.target.value) form.requestSubmit();
});
groupSelect.addEventListener('change', applyFilters);
form.addEventListener('submit', (event) => {
  if (form.elements.date.value === new URLSearchParams(location.search).get('date')) {
    event.preventDefault();
    applyFilters();
  }
});

connect();
