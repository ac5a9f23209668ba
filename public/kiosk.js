// The gate kiosk. Each check-in gets an Idempotency-Key when the button is pressed and keeps it through
// every retry, so a flaky network can never count a person twice. A check-in that cannot be delivered
// waits in this tablet's outbox (local storage) with the time it happened and is sent when the network
// is back.
const STORE = 'barona.kiosk';
const OUTBOX = 'barona.kiosk.outbox';
const RETRY_DELAYS_MS = [400, 1000, 2000, 4000];

const shell = document.querySelector('.kiosk-shell');
const setup = document.getElementById('kiosk-setup');
const setupForm = document.getElementById('setup-form');
const main = document.getElementById('kiosk-main');
const form = document.getElementById('checkin-form');
const submit = document.getElementById('checkin-submit');
const feedback = document.getElementById('kiosk-feedback');
const gateLabel = document.getElementById('kiosk-gate-label');
const net = document.getElementById('kiosk-net');
const settingsButton = document.getElementById('kiosk-settings-open');
const csrf = document.querySelector('meta[name="csrf-token"]')?.content;
const tokenMode = shell.dataset.authMode === 'token';

function load(key, fallback) {
  try {
    return JSON.parse(localStorage.getItem(key)) ?? fallback;
  } catch {
    return fallback;
  }
}
const save = (key, value) => localStorage.setItem(key, JSON.stringify(value));

let settings = load(STORE, {});

// A link from the admin's token page carries the token in the fragment (never sent to the server).
if (location.hash.length > 1) {
  const fromLink = new URLSearchParams(location.hash.slice(1));
  if (fromLink.get('token')) settings = { ...settings, token: fromLink.get('token') };
  if (fromLink.get('gate')) settings = { ...settings, gate: fromLink.get('gate') };
  save(STORE, settings);
  history.replaceState(null, '', location.pathname);
}

/** A random UUID (v4); crypto.randomUUID needs a secure context, getRandomValues does not. */
function newKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function headers(key) {
  const result = { 'content-type': 'application/json', accept: 'application/json', 'idempotency-key': key };
  if (settings.token) result.authorization = `Bearer ${settings.token}`;
  else if (csrf) result['x-csrf-token'] = csrf;
  return result;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const retryable = (status) => status === 408 || status === 429 || status >= 500;

/** One delivery attempt: { kind: 'done' | 'refused' | 'invalid' | 'retry', status, body }. */
async function send(item) {
  try {
    const response = await fetch('/api/v1/checkins', {
      method: 'POST',
      headers: headers(item.key),
      body: JSON.stringify(item.body),
      credentials: 'same-origin',
      signal: AbortSignal.timeout(8000),
    });
    const body = await response.json().catch(() => ({}));
    if (response.ok) return { kind: 'done', status: response.status, body, duplicate: isDuplicate(response, body) };
    if (response.status === 401 || response.status === 403) return { kind: 'refused', status: response.status, body };
    if (retryable(response.status)) return { kind: 'retry', status: response.status, body };
    return { kind: 'invalid', status: response.status, body };
  } catch {
    return { kind: 'retry', status: 0, body: {} };
  }
}

function isDuplicate(response, body) {
  return body?.duplicate === true || response.headers.get('x-duplicate') === 'true';
}

function show(kind, title, detail) {
  feedback.hidden = false;
  feedback.className = `kiosk-feedback is-${kind}`;
  feedback.replaceChildren(document.createTextNode(title));
  if (detail) {
    const small = document.createElement('small');
    small.textContent = detail;
    feedback.append(small);
  }
  clearTimeout(show.timer);
  if (kind === 'success' || kind === 'duplicate') show.timer = setTimeout(() => (feedback.hidden = true), 8000);
}

function timeOf(entry) {
  const iso = entry?.occurredAt ?? entry?.login ?? '';
  const match = /T(\d{2}:\d{2})/.exec(iso);
  return match ? match[1] : '';
}

function updateNet() {
  const waiting = load(OUTBOX, []).length;
  net.textContent = waiting > 0 ? `${waiting} check-in${waiting > 1 ? 's' : ''} waiting to be sent` : navigator.onLine ? '' : 'Offline';
}

async function checkIn(event) {
  event.preventDefault();
  const firstname = form.elements.firstname.value.trim();
  const lastname = form.elements.lastname.value.trim();
  if (!firstname || !lastname) {
    show('error', 'Please enter both names.');
    (firstname ? form.elements.lastname : form.elements.firstname).focus();
    return;
  }
  const direction = form.elements.direction.value;
  const item = { key: newKey(), body: { firstname, lastname, gate: settings.gate, direction }, at: new Date().toISOString() };
  submit.disabled = true;
  show('pending', 'Sending…');
  let result = await send(item);
  for (let attempt = 0; result.kind === 'retry' && attempt < RETRY_DELAYS_MS.length; attempt++) {
    show('pending', 'Sending…', `The network is slow; trying again (${attempt + 1}).`);
    await sleep(RETRY_DELAYS_MS[attempt]);
    result = await send(item);
  }
  submit.disabled = false;
  const name = `${firstname} ${lastname}`;
  if (result.kind === 'done') {
    form.reset();
    form.elements.direction.value = direction;
    if (result.duplicate)
      show(
        'duplicate',
        `${name} is already checked ${direction}`,
        timeOf(result.body) ? `Recorded at ${timeOf(result.body)}; not counted twice.` : 'Not counted twice.',
      );
    else
      show(
        'success',
        direction === 'out' ? `Goodbye, ${firstname}!` : `Welcome, ${firstname}!`,
        `Checked ${direction} at gate ${settings.gate}${timeOf(result.body) ? ` at ${timeOf(result.body)}` : ''}.`,
      );
  } else if (result.kind === 'refused') {
    show(
      'error',
      'This kiosk may not check people in.',
      result.body?.detail ?? 'Its gate token was revoked or is not valid. Ask an admin for a new one.',
    );
    settingsButton.hidden = false;
  } else if (result.kind === 'invalid') {
    show('error', 'That did not work.', result.body?.detail ?? `The server answered ${result.status}.`);
  } else {
    // Still failing: keep it (with the time it happened) and deliver it later with the same key.
    const outbox = load(OUTBOX, []);
    outbox.push({ ...item, body: { ...item.body, occurredAt: item.at } });
    save(OUTBOX, outbox);
    form.reset();
    form.elements.direction.value = direction;
    show('duplicate', `${name}: saved on this tablet`, 'The network is down; it will be sent automatically as soon as it is back.');
  }
  updateNet();
  form.elements.firstname.focus();
}

let flushing = false;
async function flushOutbox() {
  if (flushing) return;
  flushing = true;
  try {
    for (const item of load(OUTBOX, [])) {
      const result = await send(item);
      if (result.kind === 'retry') break;
      // Delivered, a duplicate, or refused for good: either way it leaves the outbox.
      save(
        OUTBOX,
        load(OUTBOX, []).filter((other) => other.key !== item.key),
      );
    }
  } finally {
    flushing = false;
    updateNet();
  }
}

function start() {
  const ready = settings.gate && (settings.token || csrf || !tokenMode);
  setup.hidden = Boolean(ready);
  main.hidden = !ready;
  settingsButton.hidden = !ready;
  gateLabel.textContent = settings.gate ? `Gate ${settings.gate}` : '';
  submit.textContent = form.elements.direction.value === 'out' ? 'Check out' : 'Check in';
  if (ready) form.elements.firstname.focus();
  else {
    setupForm.elements.gate.value = settings.gate ?? '';
    setupForm.elements.gate.focus();
  }
  updateNet();
}

setupForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const gate = setupForm.elements.gate.value.trim();
  const token = setupForm.elements.token?.value.trim();
  settings = { gate, ...(token ? { token } : {}) };
  save(STORE, settings);
  feedback.hidden = true;
  start();
});
settingsButton.addEventListener('click', () => {
  main.hidden = true;
  setup.hidden = false;
  settingsButton.hidden = true;
  setupForm.elements.gate.value = settings.gate ?? '';
  setupForm.elements.gate.focus();
});
form.addEventListener('submit', checkIn);
form.addEventListener('change', (event) => {
  if (event.target.name === 'direction') submit.textContent = event.target.value === 'out' ? 'Check out' : 'Check in';
});
window.addEventListener('online', flushOutbox);
window.addEventListener('offline', updateNet);
setInterval(flushOutbox, 15_000);

start();
void flushOutbox();
