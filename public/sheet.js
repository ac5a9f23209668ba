// The attendance sheet: live updates over server-sent events, and filtering by gate, name and group in
// place. The server renders the live parts (/admin/sheet/live: entries, not arrived yet, day summary,
// each marked data-live-part); this script only fetches them and swaps each into its place.
// A sheet showing today follows today (its live address says follow=today): when the day part says
// today ends, the script asks again, and when the day it gets back is a new one, the heading, the day
// field, the export links and the address move to it, without a reload.
import './admin.js';

const live = document.getElementById('sheet');
const indicator = document.getElementById('live-indicator');
const form = document.getElementById('sheet-filters');
const groupSelect = document.getElementById('group');

let refreshing = false;
let again = false;
let timer;
let rollover;

/** Asks again just after today ends (the server says when), if this sheet follows today. */
function scheduleRollover() {
  clearTimeout(rollover);
  const part = document.getElementById('sheet-day');
  const rollsIn = Number(part?.dataset.rollsInMs);
  if (!new URLSearchParams(live.dataset.liveUrl.split('?')[1]).has('follow') || !Number.isFinite(rollsIn)) return;
  rollover = setTimeout(() => schedule(0), Math.min(rollsIn + 500, 2 ** 31 - 1));
}

/** The sheet now shows `day` (today moved on): the live address, the page's address, day field, title and exports follow. */
function moveToDay(day) {
  const params = new URLSearchParams(live.dataset.liveUrl.split('?')[1]);
  params.set('date', day);
  params.delete('cursor');
  live.dataset.liveUrl = `/admin/sheet/live?${params}`;
  const address = new URLSearchParams(location.search);
  if (address.has('date')) address.set('date', day);
  address.delete('cursor');
  history.replaceState(null, '', `/admin/sheet${address.size > 0 ? `?${address}` : ''}`);
  form.elements.date.value = day;
  document.title = document.title.replace(/\d{4}-\d{2}-\d{2}/, day);
  updateExportLinks(day, params.get('gate'));
}

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
    const shown = document.getElementById('sheet-day')?.dataset.day;
    for (const part of template.content.querySelectorAll('[data-live-part]')) {
      document.querySelector(`[data-live-part="${part.dataset.livePart}"]`)?.replaceWith(part);
    }
    filterNote(false);
    const day = document.getElementById('sheet-day')?.dataset.day;
    if (day && day !== shown) moveToDay(day);
    scheduleRollover();
  } catch {
    setLive(false);
    // The server did not answer: filter what is on screen, and say so.
    filterNote(filterLocally());
  } finally {
    live.setAttribute('aria-busy', 'false');
    refreshing = false;
    if (again) {
      again = false;
      schedule();
    }
  }
}

/** The sheet's name search rule (person_fold) for the rows on screen: lower case, no accents, letters and digits. */
function fold(text) {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]/gu, '');
}

/** Hides the rows on screen that the gate and name filters leave out; true when a filter is set. */
function filterLocally() {
  const gate = form.elements.gate.value;
  const words = form.elements.q.value
    .split(/[\s,]+/)
    .map(fold)
    .filter(Boolean);
  for (const row of live.querySelectorAll('#sheet-table tr[data-id]')) {
    const name = fold(row.querySelector('.person')?.textContent ?? '');
    row.hidden = (gate !== '' && row.dataset.gate !== gate) || !words.every((word) => name.includes(word));
  }
  return gate !== '' || words.length > 0;
}

/** Says (or stops saying) that the filter could only look at the entries already on screen. */
function filterNote(shown) {
  let note = document.getElementById('filter-offline');
  if (!shown) {
    note?.remove();
    return;
  }
  if (!note) {
    note = document.createElement('p');
    note.id = 'filter-offline';
    note.className = 'notice notice-info';
    note.setAttribute('role', 'status');
    note.textContent = 'Not connected: only the entries already on screen are filtered.';
    live.querySelector('[data-live-part="entries"]')?.prepend(note);
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

let reconnectDelay = 1000;
function reconnectLater(delay) {
  // Spread out: every sheet of a stopping replica is told to reconnect at the same moment.
  setTimeout(connect, delay / 2 + Math.random() * delay);
}

function connect() {
  const events = new EventSource('/admin/events');
  events.addEventListener('ready', () => {
    reconnectDelay = 1000;
    setLive(true);
    schedule(0); // catch up with anything missed while disconnected
  });
  events.addEventListener('change', () => schedule());
  events.addEventListener('signed-out', () => {
    events.close();
    window.location.reload();
  });
  // The server is stopping (a restart, a rolling update): reconnect, through the load balancer, to a
  // replica that is not.
  events.addEventListener('reconnect', () => {
    events.close();
    setLive(false);
    reconnectLater(1000);
  });
  events.addEventListener('error', () => {
    setLive(false);
    // EventSource retries by itself after a dropped stream, but gives up on an answer that is not a
    // stream (a 502 or 503 while replicas change): then try again here, backing off.
    if (events.readyState === EventSource.CLOSED) {
      reconnectLater(reconnectDelay);
      reconnectDelay = Math.min(reconnectDelay * 2, 30_000);
    }
  });
}

// Gate, name and group filter in place (no reload, back to the newest entries); a different day
// reloads the page.
function applyFilters() {
  const params = new URLSearchParams(new FormData(form)); // the group picker belongs to the form too
  for (const [key, value] of [...params]) if (value === '') params.delete(key);
  history.replaceState(null, '', `/admin/sheet?${params}`);
  // Today's sheet keeps following today.
  if (new URLSearchParams(live.dataset.liveUrl.split('?')[1]).has('follow')) params.set('follow', 'today');
  live.dataset.liveUrl = `/admin/sheet/live?${params}`;
  updateExportLinks(params.get('date'), params.get('gate'));
  schedule(0);
}

function updateExportLinks(day, gate) {
  for (const link of document.querySelectorAll('a[data-export]')) {
    const exportParams = new URLSearchParams({ from: day, to: day });
    if (gate) exportParams.set('gate', gate);
    if (link.hasAttribute('data-bom')) exportParams.set('bom', 'true');
    link.href = `/api/v1/checkins.csv?${exportParams}`;
  }
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
scheduleRollover();
