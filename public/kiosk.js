// The gate kiosk.
//
// Check-ins: each one gets an Idempotency-Key and the time it happened when the button is pressed, and
// keeps both until the server has it, so it is counted exactly once however often it is sent. When the
// tablet is offline it goes straight to the outbox (local storage); online it is tried once, and put in
// the outbox if the network fails. The outbox is retried in the background. A check-in the server
// refuses for good (token revoked, a time too far back) is never dropped: it stays in the outbox, marked
// with the reason, until staff deliver it with a new token or download it for an admin.
//
// Settings (gate, gate token, PIN) are guarded by a kiosk PIN chosen at setup, stored as a salted
// PBKDF2 hash (WebCrypto). A signed-in admin may open them without the PIN (the way back from a
// forgotten PIN). The token is checked with GET /api/v1/tokens/current before it is saved.
//
// A service worker (/kiosk-sw.js) keeps the page, this script and the style so the kiosk reopens offline.
//
// Badges: a badge's QR code holds the person's badge code. A keyboard-wedge scanner (USB or Bluetooth,
// it types the code and Enter into whatever has the focus) works with no setup: a code typed into the
// Badge field, or typed at scanner speed into an empty name form, checks in by badge. "Scan with camera"
// reads the QR code with the browser's BarcodeDetector, or with jsQR (/kiosk-jsqr.js) where there is none.
// Badge check-ins wait in the same outbox as typed ones. Someone without their badge types part of their
// name and taps it in the list (GET /api/v1/kiosk/people); that checks in by person id. The last
// check-in can be undone for a short while (POST /api/v1/kiosk/checkins/{id}/undo, or simply dropped
// from the outbox when it was not sent yet).
const STORE = 'barona.kiosk';
const OUTBOX = 'barona.kiosk.outbox';
const PIN_FAILURES = 'barona.kiosk.pin-failures';
const CLOCK = 'barona.kiosk.clock-offset';
const NAME_MAX = 100;
const SEND_TIMEOUT_MS = 4000;
const RETRY_MIN_MS = 2000;
const RETRY_MAX_MS = 60_000;
const PIN_ITERATIONS = 210_000;
const PIN_PATTERN = /^\d{4,12}$/;
const BADGE = /^[A-Za-z0-9_-]{16,64}$/;
/** A keyboard-wedge scanner types a key every few milliseconds; people do not type 16 keys this fast. */
const WEDGE_MS_PER_KEY = 60;
const SEARCH_DELAY_MS = 250;
/** The server allows an undo for 2 minutes after it recorded the check-in; the button goes a little earlier. */
const UNDO_MS = 110_000;
const SCAN_INTERVAL_MS = 150;

const $ = (id) => document.getElementById(id);
const shell = document.querySelector('.kiosk-shell');
const screens = { setup: $('kiosk-setup'), unlock: $('kiosk-unlock'), main: $('kiosk-main'), camera: $('kiosk-camera') };
const setupForm = $('setup-form');
const unlockForm = $('unlock-form');
const form = $('checkin-form');
const submit = $('checkin-submit');
const feedback = $('kiosk-feedback');
const held = $('kiosk-held');
const gateLabel = $('kiosk-gate-label');
const net = $('kiosk-net');
const settingsButton = $('kiosk-settings-open');
const roster = $('roster');
const undoBar = $('kiosk-undo');
const video = $('camera-video');
const csrf = document.querySelector('meta[name="csrf-token"]')?.content;
const tokenMode = shell.dataset.authMode === 'token';
const pinSupported = Boolean(globalThis.crypto?.subtle);

function load(key, fallback) {
  try {
    return JSON.parse(localStorage.getItem(key)) ?? fallback;
  } catch {
    return fallback;
  }
}
const save = (key, value) => localStorage.setItem(key, JSON.stringify(value));

let settings = load(STORE, {});
let screen = 'main';
let sending = false;

// ---- Time ------------------------------------------------------------------------------------------

/** How far the server's clock is ahead of this tablet's (only when it matters: more than 30 s). */
let clockOffset = load(CLOCK, 0);
function learnClock(response) {
  const server = Date.parse(response.headers.get('date') ?? '');
  if (Number.isNaN(server)) return;
  const offset = server - Date.now();
  clockOffset = Math.abs(offset) > 30_000 ? offset : 0;
  save(CLOCK, clockOffset);
}
const serverNow = () => new Date(Date.now() + clockOffset);

function timeOf(entry) {
  const match = /T(\d{2}:\d{2})/.exec(entry?.occurredAt ?? entry?.login ?? '');
  return match ? match[1] : '';
}

// ---- Talking to the server ---------------------------------------------------------------------------

/** A random UUID (v4); crypto.randomUUID needs a secure context, getRandomValues does not. */
function newKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function credentials(token = settings.token) {
  if (token) return { authorization: `Bearer ${token}` };
  return csrf ? { 'x-csrf-token': csrf } : {};
}

/** One delivery attempt: { kind: 'done' | 'refused' | 'invalid' | 'gone' | 'retry', status, body }. */
async function send(item, timeoutMs = SEND_TIMEOUT_MS) {
  try {
    const response = await fetch('/api/v1/checkins', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'idempotency-key': item.key, ...credentials() },
      body: JSON.stringify(item.body),
      credentials: 'same-origin',
      signal: AbortSignal.timeout(timeoutMs),
    });
    learnClock(response);
    const body = await response.json().catch(() => ({}));
    if (response.ok) return { kind: 'done', status: response.status, body };
    if (response.status === 401 || response.status === 403) return { kind: 'refused', status: response.status, body };
    // 409: it was delivered before and an admin has deleted the entry since; nothing left to send.
    if (response.status === 409) return { kind: 'gone', status: response.status, body };
    if (response.status === 408 || response.status === 429 || response.status >= 500)
      return { kind: 'retry', status: response.status, body };
    return { kind: 'invalid', status: response.status, body };
  } catch {
    return { kind: 'retry', status: 0, body: {} };
  }
}

/** A 404 naming the badge: nobody has this code (never issued, or reissued since). */
const unknownBadge = (result) => result.status === 404 && (result.body?.errors ?? []).some((error) => error.field === 'badge');

/** Why the server will not take a check-in, in words for gate staff. */
function refusal(result) {
  if (result.status === 401) return "The server no longer accepts this kiosk's gate token (revoked, expired or unknown).";
  if (unknownBadge(result)) return 'Badge not recognised (never issued, or replaced by a newer badge).';
  return result.body?.detail ?? `The server answered ${result.status}.`;
}

// ---- The outbox ----------------------------------------------------------------------------------------

const outbox = () => load(OUTBOX, []);
const waiting = () => outbox().filter((item) => !item.held);
const heldItems = () => outbox().filter((item) => item.held);

function keep(item) {
  save(OUTBOX, [...outbox().filter((other) => other.key !== item.key), item]);
}
function change(key, update) {
  save(
    OUTBOX,
    outbox().map((item) => (item.key === key ? update(item) : item)),
  );
}
function remove(key) {
  save(
    OUTBOX,
    outbox().filter((item) => item.key !== key),
  );
}
const hold = (item, result) => ({
  ...item,
  held: { status: result.status, reason: refusal(result), since: new Date().toISOString(), badge: unknownBadge(result) },
});

let flushing = false;
let retryTimer;
let retryDelay = RETRY_MIN_MS;

/** Sends what waits in the outbox (and, when asked, what was held back), oldest first. */
async function flushOutbox({ includeHeld = false } = {}) {
  if (flushing) return;
  flushing = true;
  clearTimeout(retryTimer);
  let networkDown = false;
  try {
    const items = outbox().filter((item) => includeHeld || !item.held);
    for (const item of items) {
      // Undone while this round ran: not sent.
      if (!outbox().some((other) => other.key === item.key)) continue;
      if (!navigator.onLine) {
        networkDown = true;
        break;
      }
      const result = await send(item);
      if (result.kind === 'retry') {
        networkDown = true;
        break;
      }
      if (result.kind === 'done') delivered(item, result.body);
      if (result.kind === 'done' || result.kind === 'gone') remove(item.key);
      else change(item.key, (current) => hold(current, result));
    }
  } finally {
    flushing = false;
    if (!networkDown) retryDelay = RETRY_MIN_MS;
    // Still waiting: the network is down (back off), or check-ins were queued while this round ran.
    if (waiting().length > 0) {
      retryTimer = setTimeout(flushOutbox, retryDelay);
      if (networkDown) retryDelay = Math.min(retryDelay * 2, RETRY_MAX_MS);
    }
    render();
  }
}

// ---- Screens -------------------------------------------------------------------------------------------

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
  if (kind === 'success' || kind === 'duplicate' || kind === 'queued') show.timer = setTimeout(() => (feedback.hidden = true), 8000);
}

const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

function render() {
  const queued = waiting().length;
  const stuck = heldItems();
  const parts = [];
  if (!navigator.onLine) parts.push('Offline');
  if (queued > 0) parts.push(`${plural(queued, 'check-in', 'check-ins')} waiting to be sent`);
  if (stuck.length > 0) parts.push(`${stuck.length} not deliverable`);
  net.textContent = parts.join(' · ');

  held.hidden = stuck.length === 0;
  if (stuck.length > 0) {
    const reasons = [...new Set(stuck.map((item) => item.held.reason))].join(' ');
    held.replaceChildren(
      Object.assign(document.createElement('strong'), {
        textContent: `${plural(stuck.length, 'check-in cannot', 'check-ins cannot')} be delivered and ${stuck.length === 1 ? 'is' : 'are'} kept on this tablet.`,
      }),
      document.createTextNode(
        // A new token helps with a refused or expired token, not with a badge nobody has any more.
        stuck.every((item) => item.held.badge)
          ? ` ${reasons} Staff: download them for an admin, who can record them by name.`
          : ` ${reasons} Staff: open Settings to enter a new gate token, or download them for an admin.`,
      ),
    );
  }
  renderOutboxPanel();
}

function renderOutboxPanel() {
  const items = outbox();
  $('outbox-panel').hidden = items.length === 0;
  if (items.length === 0) return;
  const stuck = items.filter((item) => item.held).length;
  $('outbox-summary').textContent =
    `${plural(items.length, 'check-in', 'check-ins')} not on the server yet` +
    (stuck > 0 ? ` (${stuck} refused by the server).` : ' (waiting for the network).');
  $('outbox-list').replaceChildren(
    ...items.map((item) => {
      const li = document.createElement('li');
      const when = new Date(item.body.occurredAt ?? item.at).toLocaleString();
      li.textContent = `${labelOf(item)} · ${item.body.direction === 'out' ? 'out' : 'in'} · ${when}`;
      if (item.held) li.append(Object.assign(document.createElement('small'), { textContent: item.held.reason }));
      return li;
    }),
  );
  $('outbox-discard').hidden = !items.some((item) => item.exported);
}

/** Who a kept check-in is, in words (a badge code is never shown). */
function labelOf(item) {
  return item.label ?? `${item.body.firstname} ${item.body.lastname}`;
}

function configured() {
  return Boolean(settings.gate && (settings.pin || !pinSupported) && (settings.token || csrf || !tokenMode));
}

function showScreen(name) {
  screen = name;
  // Typed secrets (a new token, PINs) do not stay in the page once their screen is left.
  if (name !== 'setup') setupForm.reset();
  if (name !== 'unlock') unlockForm.reset();
  for (const [key, element] of Object.entries(screens)) element.hidden = key !== name;
  settingsButton.hidden = name !== 'main';
  gateLabel.textContent = settings.gate ? `Gate ${settings.gate}` : '';
  render();
  if (name === 'main') form.elements.firstname.focus();
  if (name !== 'camera') closeCamera();
}

function setDirection(direction) {
  form.elements.direction.value = direction;
  submit.textContent = direction === 'out' ? 'Check out' : 'Check in';
}

// ---- Check-ins -----------------------------------------------------------------------------------------

/** The typed name, or a message saying what is wrong with it (never cut silently). */
function nameField(field, label) {
  const value = form.elements[field].value.trim();
  const length = [...value].length;
  if (length === 0) return { error: 'Please enter both names.' };
  if (length > NAME_MAX) return { error: `The ${label} is too long (${length} characters; at most ${NAME_MAX}). Please shorten it.` };
  return { value };
}

/** When each name field's text was typed: { first, last } times of its input events since it was empty. */
const typing = new Map();
function noteTyping(field) {
  const now = Date.now();
  const seen = typing.get(field.name);
  if (!seen || field.value.length <= 1) typing.set(field.name, { first: now, last: now });
  else seen.last = now;
}

/** A badge code a scanner typed into a name field (the other one empty), or undefined. */
function scannedInto(field, other) {
  const value = form.elements[field].value.trim();
  const seen = typing.get(field);
  if (form.elements[other].value.trim() !== '' || !BADGE.test(value) || !seen) return undefined;
  return (seen.last - seen.first) / Math.max(1, value.length - 1) <= WEDGE_MS_PER_KEY ? value : undefined;
}

function clearForm() {
  form.reset();
  typing.clear();
  hideRoster();
  // The next person is most likely arriving: a check-out never carries over to them.
  setDirection('in');
  render();
  if (screen === 'main') form.elements.firstname.focus();
}

function checkIn(event) {
  event.preventDefault();
  if (sending) return;
  const badge = form.elements.badge.value.trim();
  if (badge) {
    if (!BADGE.test(badge)) {
      show('error', 'That is not a badge code.', 'Scan the badge again, type the code under its QR code, or type your name.');
      form.elements.badge.select();
      return;
    }
    void record({ badge }, 'Badge scan');
    return;
  }
  const scanned = scannedInto('firstname', 'lastname') ?? scannedInto('lastname', 'firstname');
  if (scanned) {
    void record({ badge: scanned }, 'Badge scan');
    return;
  }
  const first = nameField('firstname', 'first name');
  const last = nameField('lastname', 'last name');
  for (const [field, result] of [
    ['firstname', first],
    ['lastname', last],
  ]) {
    form.elements[field].setAttribute('aria-invalid', String(Boolean(result.error)));
    if (result.error) {
      show('error', result.error);
      form.elements[field].focus();
      return;
    }
  }
  void record({ firstname: first.value, lastname: last.value }, `${first.value} ${last.value}`);
}

/**
 * Records one check-in of `who` ({firstname, lastname}, {badge} or {personId}); `label` names it until
 * the server answers with the person's names.
 */
async function record(who, label) {
  if (sending) return;
  const direction = form.elements.direction.value;
  const item = {
    key: newKey(),
    at: new Date().toISOString(),
    label,
    // The time is part of the request from the start: every attempt sends exactly the same body.
    body: { ...who, gate: settings.gate, direction, occurredAt: serverNow().toISOString() },
  };

  if (!navigator.onLine) {
    keep(item);
    show('queued', `${label}: saved on this tablet`, 'Offline: it will be sent automatically as soon as the network is back.');
    offerUndo(item);
    clearForm();
    return;
  }

  sending = true;
  submit.disabled = true;
  show('pending', 'Sending…');
  const result = await send(item);
  sending = false;
  submit.disabled = false;

  if (result.kind === 'done') {
    const entry = result.body;
    const name = `${entry.firstname} ${entry.lastname}`;
    const at = timeOf(entry) ? ` at ${timeOf(entry)}` : '';
    if (entry.duplicate) show('duplicate', `${name} is already checked ${direction}`, `Recorded${at}; not counted twice.`);
    else if (direction === 'out' && entry.arrivalMissing)
      show(
        'notice',
        `Goodbye, ${entry.firstname}!`,
        `${name}: checked out at gate ${settings.gate}${at}. Note: no arrival of ${name} was recorded today.`,
      );
    else
      show(
        'success',
        direction === 'out' ? `Goodbye, ${entry.firstname}!` : `Welcome, ${entry.firstname}!`,
        `${name}: checked ${direction} at gate ${settings.gate}${at}.`,
      );
    if (!entry.duplicate) offerUndo(item, entry);
    clearForm();
  } else if (result.kind === 'refused') {
    keep(hold(item, result));
    show(
      'error',
      'This kiosk may not check people in.',
      `${label} is not recorded yet but kept on this tablet. ${refusal(result)} Ask an admin for a new gate token.`,
    );
    clearForm();
  } else if (unknownBadge(result)) {
    show('error', 'Badge not recognised — ask at the desk', 'This badge is unknown or has been replaced by a newer one.');
    clearForm();
  } else if (result.kind === 'invalid' || result.kind === 'gone') {
    // The person is still at the gate: the form keeps what was typed so it can be corrected.
    show('error', 'That did not work.', result.body?.detail ?? `The server answered ${result.status}.`);
  } else {
    keep(item);
    show('queued', `${label}: saved on this tablet`, 'The network is not answering; it will be sent automatically as soon as it is back.');
    offerUndo(item);
    clearForm();
    if (!flushing) {
      clearTimeout(retryTimer);
      retryTimer = setTimeout(flushOutbox, retryDelay);
    }
  }
}

// ---- Roster search: someone without their badge picks their name --------------------------------------

let searchTimer;
let searchRound = 0;

function hideRoster() {
  clearTimeout(searchTimer);
  searchRound += 1;
  roster.hidden = true;
  $('roster-list').replaceChildren();
}

function scheduleSearch() {
  clearTimeout(searchTimer);
  const round = ++searchRound;
  const q = `${form.elements.firstname.value} ${form.elements.lastname.value}`.trim();
  const letters = q.replace(/[\s\p{P}\p{S}]/gu, '').length;
  // A scanner typing a badge code is not someone looking for their name. The list shown stays while typing.
  if (!navigator.onLine || letters < 2 || BADGE.test(q)) return hideRoster();
  searchTimer = setTimeout(() => void search(q, round), SEARCH_DELAY_MS);
}

async function search(q, round) {
  try {
    const response = await fetch(`/api/v1/kiosk/people?q=${encodeURIComponent(q)}`, {
      headers: { accept: 'application/json', ...credentials() },
      credentials: 'same-origin',
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    });
    const body = response.ok ? await response.json() : { items: [] };
    if (round !== searchRound) return;
    if (body.items.length === 0) return hideRoster();
    $('roster-list').replaceChildren(
      ...body.items.map((person) => {
        const li = document.createElement('li');
        const button = Object.assign(document.createElement('button'), {
          type: 'button',
          className: 'button kiosk-person',
          textContent: `${person.firstname} ${person.lastname}`,
        });
        button.addEventListener('click', () => void record({ personId: person.id }, `${person.firstname} ${person.lastname}`));
        li.append(button);
        return li;
      }),
    );
    roster.hidden = false;
  } catch {
    // No list without the network: typing the name still works.
  }
}

// ---- Undo the last check-in ----------------------------------------------------------------------------

let lastDone;
let undoTimer;
/** Keys undone while their check-in was being sent: taken back once the server has them. */
const undone = new Set();

function offerUndo(item, entry) {
  lastDone = { key: item.key, id: entry?.id, label: entry ? `${entry.firstname} ${entry.lastname}` : item.label };
  $('kiosk-undo-text').textContent = `${item.body.direction === 'out' ? 'Checked out' : 'Checked in'}: ${lastDone.label}`;
  undoBar.hidden = false;
  clearTimeout(undoTimer);
  undoTimer = setTimeout(hideUndo, UNDO_MS);
}

function hideUndo() {
  lastDone = undefined;
  undoBar.hidden = true;
  clearTimeout(undoTimer);
}

/** A queued check-in reached the server: the undo (if still offered) now needs its id. */
function delivered(item, entry) {
  if (lastDone?.key === item.key) lastDone.id = entry.id;
  if (undone.delete(item.key)) void undoOnServer(entry.id);
}

/** POST /api/v1/kiosk/checkins/{id}/undo: { ok, detail }. */
async function undoOnServer(id) {
  try {
    const response = await fetch(`/api/v1/kiosk/checkins/${id}/undo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...credentials() },
      body: JSON.stringify({ gate: settings.gate }),
      credentials: 'same-origin',
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    });
    const body = await response.json().catch(() => ({}));
    return { ok: response.ok, detail: body.detail ?? `The server answered ${response.status}.` };
  } catch {
    return { ok: false, detail: 'The server is not reachable.' };
  }
}

async function undo() {
  const target = lastDone;
  hideUndo();
  if (!target) return;
  if (outbox().some((item) => item.key === target.key)) {
    // Not on the server yet: it simply is not sent (and taken back if it is being sent right now).
    undone.add(target.key);
    remove(target.key);
    render();
    show('notice', `Undone: ${target.label}`, 'It had not been sent yet and will not be.');
  } else if (target.id === undefined) {
    show('error', 'There is nothing to undo.');
  } else {
    const result = await undoOnServer(target.id);
    if (result.ok) show('notice', `Undone: ${target.label}`, 'The check-in was deleted.');
    else show('error', 'The check-in could not be undone.', `${result.detail} An admin can delete it.`);
  }
  form.elements.firstname.focus();
}

// ---- Camera scanning -----------------------------------------------------------------------------------

let camera;

/** A function that finds a QR code's text in a video frame: the browser's BarcodeDetector, else jsQR. */
async function qrDecoder() {
  if (typeof globalThis.BarcodeDetector === 'function') {
    try {
      if ((await globalThis.BarcodeDetector.getSupportedFormats()).includes('qr_code')) {
        const detector = new globalThis.BarcodeDetector({ formats: ['qr_code'] });
        return async (source) => (await detector.detect(source))[0]?.rawValue;
      }
    } catch {
      // Fall back to jsQR.
    }
  }
  const { default: jsQR } = await import('/kiosk-jsqr.js');
  const canvas = document.createElement('canvas');
  const context = canvas.getContext('2d', { willReadFrequently: true });
  return async (source) => {
    const scale = Math.min(1, 800 / Math.max(source.videoWidth, source.videoHeight, 1));
    const width = Math.round(source.videoWidth * scale);
    const height = Math.round(source.videoHeight * scale);
    if (width === 0 || height === 0) return undefined;
    canvas.width = width;
    canvas.height = height;
    context.drawImage(source, 0, 0, width, height);
    return jsQR(context.getImageData(0, 0, width, height).data, width, height, { inversionAttempts: 'attemptBoth' })?.data;
  };
}

const cameraStatus = (text) => ($('camera-status').textContent = text);

async function openCamera() {
  if (!navigator.mediaDevices?.getUserMedia) {
    show('error', 'The camera cannot be used here.', 'Use a badge scanner, type the code under the QR code, or type your name.');
    return;
  }
  const session = {};
  camera = session;
  showScreen('camera');
  cameraStatus('Starting the camera…');
  try {
    session.stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
    if (camera !== session) return session.stream.getTracks().forEach((track) => track.stop());
    video.srcObject = session.stream;
    await video.play();
    const decode = await qrDecoder();
    if (camera !== session) return;
    cameraStatus('Looking for a QR code…');
    const look = async () => {
      if (camera !== session) return;
      const code = (await decode(video).catch(() => undefined))?.trim();
      if (camera !== session) return;
      if (code && BADGE.test(code)) {
        closeCamera();
        void record({ badge: code }, 'Badge scan');
        return;
      }
      if (code) cameraStatus('That QR code is not a badge. Hold up the QR code of your badge.');
      session.timer = setTimeout(look, SCAN_INTERVAL_MS);
    };
    void look();
  } catch (error) {
    if (camera !== session) return;
    cameraStatus(
      error?.name === 'NotAllowedError'
        ? 'This page may not use the camera: allow it in the browser, or use a scanner.'
        : 'The camera could not be started. Use a scanner, type the code, or type your name.',
    );
  }
}

function closeCamera() {
  const session = camera;
  camera = undefined;
  if (!session) return;
  clearTimeout(session.timer);
  session.stream?.getTracks().forEach((track) => track.stop());
  video.srcObject = null;
  if (screen === 'camera') showScreen('main');
}

// ---- PIN -------------------------------------------------------------------------------------------------

const toBase64 = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)));
const fromBase64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

async function pinHash(pin, salt, iterations) {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(pin), 'PBKDF2', false, ['deriveBits']);
  return toBase64(await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, key, 256));
}

async function newPin(pin) {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  return { salt: toBase64(salt), iterations: PIN_ITERATIONS, hash: await pinHash(pin, salt, PIN_ITERATIONS) };
}

async function pinMatches(pin) {
  const stored = settings.pin;
  return Boolean(stored) && (await pinHash(pin, fromBase64(stored.salt), stored.iterations)) === stored.hash;
}

/** Wrong PINs: after 5, each further try waits longer (1 minute, doubling, at most an hour). */
function pinLockedFor() {
  const failures = load(PIN_FAILURES, { count: 0, until: 0 });
  return Math.max(0, failures.until - Date.now());
}
function pinFailed() {
  const failures = load(PIN_FAILURES, { count: 0, until: 0 });
  const count = failures.count + 1;
  const until = count >= 5 ? Date.now() + Math.min(60_000 * 2 ** (count - 5), 3_600_000) : 0;
  save(PIN_FAILURES, { count, until });
}

let prefill = {};

function openSettings(values = {}) {
  prefill = values;
  if (!settings.pin || csrf) {
    openSetup();
    return;
  }
  unlockForm.reset();
  $('unlock-error').hidden = true;
  showScreen('unlock');
  $('unlock-pin').focus();
}

function fieldError(element, message) {
  element.textContent = message;
  element.hidden = !message;
}

unlockForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const error = $('unlock-error');
  const wait = pinLockedFor();
  if (wait > 0) {
    fieldError(error, `Too many wrong PINs. Try again in ${Math.ceil(wait / 1000)} seconds.`);
    return;
  }
  if (await pinMatches($('unlock-pin').value)) {
    localStorage.removeItem(PIN_FAILURES);
    openSetup();
  } else {
    pinFailed();
    fieldError(error, 'That is not the kiosk PIN.');
    $('unlock-pin').select();
  }
});
$('unlock-cancel').addEventListener('click', () => showScreen('main'));

// ---- Setup -----------------------------------------------------------------------------------------------

function openSetup() {
  const first = !configured();
  setupForm.reset();
  fieldError($('setup-error'), '');
  setupForm.elements.gate.value = prefill.gate ?? settings.gate ?? '';
  setupForm.elements.token.value = prefill.token ?? '';
  const kept = $('setup-token-kept');
  kept.hidden = !settings.token;
  if (settings.token) {
    const info = settings.tokenInfo;
    const about = info
      ? ` (“${info.name}”${info.gate ? `, gate ${info.gate}` : ''}${info.expiresAt ? `, valid until ${new Date(info.expiresAt).toLocaleString()}` : ''})`
      : '';
    kept.textContent = `This kiosk keeps its token ${settings.token.slice(0, 10)}…${about}. Leave the field empty to keep it; paste a new token to replace it.`;
  }
  $('setup-pin-hint').textContent = !pinSupported
    ? '(needs HTTPS: this page is not in a secure context, so the settings cannot be protected)'
    : settings.pin
      ? '(leave empty to keep the current PIN)'
      : '(4 to 12 digits; needed to change these settings later)';
  for (const id of ['setup-pin', 'setup-pin-again']) $(id).disabled = !pinSupported;
  $('setup-title').textContent = first ? 'Set up this kiosk' : 'Kiosk settings';
  $('setup-save').textContent = first ? 'Start the kiosk' : 'Save';
  $('setup-cancel').hidden = first;
  showScreen('setup');
  const missing = !setupForm.elements.gate.value
    ? setupForm.elements.gate
    : tokenMode && !csrf && !settings.token && !setupForm.elements.token.value
      ? setupForm.elements.token
      : $('setup-pin');
  missing.focus();
}

/** GET /api/v1/tokens/current with these credentials: { ok, info } or { ok: false, message, offline }. */
async function checkCredentials(token) {
  try {
    const response = await fetch('/api/v1/tokens/current', {
      headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      credentials: 'same-origin',
      signal: AbortSignal.timeout(8000),
    });
    learnClock(response);
    const body = await response.json().catch(() => ({}));
    if (response.ok) return { ok: true, info: body };
    if (response.status === 401)
      return {
        ok: false,
        message: token
          ? 'This gate token is not valid: it was revoked, has expired or was mistyped.'
          : 'Paste the gate token an admin created for this gate.',
      };
    return { ok: false, message: body.detail ?? `The server answered ${response.status}.` };
  } catch {
    return {
      ok: false,
      offline: true,
      message: 'The token cannot be checked: the server is not reachable. Connect to the network and try again.',
    };
  }
}

setupForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const error = $('setup-error');
  const fail = (message, field) => {
    fieldError(error, message);
    field?.focus();
  };
  const gate = setupForm.elements.gate.value.trim();
  const typedToken = setupForm.elements.token.value.trim();
  const pin = $('setup-pin').value;
  const pinAgain = $('setup-pin-again').value;
  if (!gate) return fail('Enter the gate this tablet stands at.', setupForm.elements.gate);
  if ([...gate].length > NAME_MAX) return fail(`The gate name is too long (at most ${NAME_MAX} characters).`, setupForm.elements.gate);
  const token = typedToken || settings.token;
  if (tokenMode && !token && !csrf) return fail('Paste the gate token an admin created for this gate.', setupForm.elements.token);
  if (pinSupported && (pin || !settings.pin)) {
    if (!PIN_PATTERN.test(pin)) return fail('Choose a kiosk PIN of 4 to 12 digits.', $('setup-pin'));
    if (pin !== pinAgain) return fail('The two PINs differ; type the same PIN twice.', $('setup-pin-again'));
  }

  const save_ = $('setup-save');
  save_.disabled = true;
  fieldError(error, '');
  try {
    let tokenInfo = settings.tokenInfo;
    const newToken = Boolean(typedToken) && typedToken !== settings.token;
    // Checked on every save: a token revoked since the last one is caught here, not at the next check-in.
    if (token || csrf) {
      const checked = await checkCredentials(token);
      // Offline, the kept token stays (it was checked when it was saved); a new one must be checked.
      if (!checked.ok && !(checked.offline && !newToken)) return fail(checked.message, newToken ? setupForm.elements.token : undefined);
      if (checked.ok) {
        const info = checked.info;
        tokenInfo =
          info.kind === 'token' ? { name: info.name, gate: info.gate, scopes: info.scopes, expiresAt: info.expiresAt } : undefined;
      }
    }
    if (token && tokenInfo?.gate && tokenInfo.gate !== gate) {
      return fail(`This token may only check people in at gate "${tokenInfo.gate}".`, setupForm.elements.gate);
    }
    settings = {
      gate,
      ...(token ? { token, tokenInfo } : {}),
      ...(pinSupported ? { pin: pin ? await newPin(pin) : settings.pin } : {}),
    };
    save(STORE, settings);
    prefill = {};
    feedback.hidden = true;
    showScreen('main');
    // A new token (or a new gate) may deliver what was refused before.
    if (newToken || heldItems().length > 0) {
      for (const item of heldItems()) {
        if (item.held.status === 401 || item.held.status === 403) change(item.key, ({ held: _held, ...rest }) => rest);
      }
      void flushOutbox();
    }
  } finally {
    save_.disabled = false;
  }
});

$('setup-cancel').addEventListener('click', () => {
  prefill = {};
  showScreen('main');
});

// ---- Handing over the outbox -------------------------------------------------------------------------------

$('outbox-retry').addEventListener('click', () => void flushOutbox({ includeHeld: true }));

$('outbox-export').addEventListener('click', () => {
  const items = outbox();
  const exportFile = {
    exportedAt: new Date().toISOString(),
    gate: settings.gate,
    note: 'Check-ins a Barona kiosk could not deliver. POST each body to /api/v1/checkins with its Idempotency-Key header: none is counted twice.',
    checkins: items.map((item) => ({ idempotencyKey: item.key, ...item.body, problem: item.held?.reason ?? null })),
  };
  const blob = new Blob([JSON.stringify(exportFile, null, 2)], { type: 'application/json' });
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = `barona-kiosk-${(settings.gate ?? 'gate').replace(/[^\w-]+/g, '_')}-${exportFile.exportedAt.slice(0, 16).replace(/[:T]/g, '')}.json`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
  const exported = new Set(items.map((item) => item.key));
  save(
    OUTBOX,
    outbox().map((item) => (exported.has(item.key) ? { ...item, exported: true } : item)),
  );
  render();
});

$('outbox-discard').addEventListener('click', () => {
  const downloaded = outbox().filter((item) => item.exported);
  if (
    !confirm(`Remove ${plural(downloaded.length, 'check-in', 'check-ins')} from this tablet? Only do this once the file is with an admin.`)
  )
    return;
  save(
    OUTBOX,
    outbox().filter((item) => !item.exported),
  );
  render();
});

// ---- Wiring ----------------------------------------------------------------------------------------------

form.addEventListener('submit', checkIn);
form.addEventListener('input', (event) => {
  if (event.target.name !== 'firstname' && event.target.name !== 'lastname') return;
  noteTyping(event.target);
  scheduleSearch();
});
$('kiosk-undo-button').addEventListener('click', () => void undo());
$('camera-open').addEventListener('click', () => void openCamera());
$('camera-close').addEventListener('click', closeCamera);
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && screen === 'camera') closeCamera();
});
form.addEventListener('change', (event) => {
  if (event.target.name === 'direction') setDirection(event.target.value);
});
settingsButton.addEventListener('click', () => openSettings());
window.addEventListener('online', () => {
  retryDelay = RETRY_MIN_MS;
  void flushOutbox();
});
window.addEventListener('offline', render);

/** A new release took over: reload when nobody is typing, so the tablet runs the new version. */
function reloadWhenIdle() {
  const idle =
    screen === 'main' && !sending && !form.elements.badge.value && !form.elements.firstname.value && !form.elements.lastname.value;
  if (idle) location.reload();
  else setTimeout(reloadWhenIdle, 5000);
}

if ('serviceWorker' in navigator && window.isSecureContext) {
  let controlled = Boolean(navigator.serviceWorker.controller);
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (controlled) reloadWhenIdle();
    controlled = true;
  });
  navigator.serviceWorker.register('/kiosk-sw.js', { scope: '/kiosk' }).catch(() => {
    // Without it the kiosk still works; it only cannot be reopened offline.
  });
}

// A link from the admin's token page carries the token in the fragment (never sent to the server). It
// only fills in the setup form: the PIN holder decides.
if (location.hash.length > 1) {
  const fromLink = new URLSearchParams(location.hash.slice(1));
  prefill = { token: fromLink.get('token') ?? undefined, gate: fromLink.get('gate') ?? undefined };
  history.replaceState(null, '', location.pathname);
}

setDirection('in');
if (!configured()) openSetup();
else if (prefill.token || prefill.gate) openSettings(prefill);
else showScreen('main');
void flushOutbox();
