// The gate kiosk (GET /kiosk): the page's script, built from src/kiosk-ui by `npm run build` and served
// as /assets/kiosk/*.js.
//
// Check-ins: each one gets an Idempotency-Key and the time it happened when the button is pressed, and
// keeps both until the server has it (outbox.ts). Offline it goes straight to the outbox; online it is
// tried once, and kept if the network fails. A check-in the server refuses for good is never dropped: it
// stays, held with the reason, until staff deliver it with a new token or download it for an admin.
//
// The roster (roster.ts, kept in IndexedDB): everyone the kiosk may scan. Offline a scanned badge is named
// from it at once and kept under that name, an unknown badge is refused on the spot, and the name search
// reads it. It is refreshed on start, every few minutes and when the network returns, and forgotten when
// the token is refused or replaced.
//
// Settings (gate, gate token, PIN) are guarded by a kiosk PIN (pin.ts). A signed-in admin may open them
// without it (the way back from a forgotten PIN). The token is checked with GET /api/v1/tokens/current
// before it is saved. A service worker (/kiosk-sw.js) keeps the page and its files so it reopens offline.
//
// Badges: a keyboard-wedge scanner types the code and Enter into whatever has the focus: a code typed into
// the Badge field, or typed at scanner speed into an empty name form, checks in by badge. "Scan with
// camera" reads the QR code (camera.ts). Someone without their badge types part of their name and taps it
// in the list. The last check-in can be undone for a short while.
import { Camera } from './camera.js';
import { Connection, newKey, type TokenInfo } from './connection.js';
import { exportFile, exportFileName } from './export-file.js';
import { searchable } from './fold.js';
import { Courier, hold, Outbox, refusal, unknownBadge, type Answer, type CheckinBody, type OutboxItem } from './outbox.js';
import { newPin, PIN_PATTERN, PinGuard, pinMatches, pinSupported, type StoredPin } from './pin.js';
import { IndexedDbRosterStore } from './roster-idb.js';
import { MemoryRosterStore, ownerOf, Roster, type RosterStore } from './roster.js';
import { readJson, writeJson } from './store.js';

const SETTINGS = 'barona.kiosk';
const NAME_MAX = 100;
const BADGE = /^[A-Za-z0-9_-]{16,64}$/;
/** A keyboard-wedge scanner types a key every few milliseconds; people do not type 16 keys this fast. */
const WEDGE_MS_PER_KEY = 60;
const SEARCH_DELAY_MS = 250;
/** The server allows an undo for 2 minutes after it recorded the check-in; the button goes a little earlier. */
const UNDO_MS = 110_000;
const ROSTER_REFRESH_MS = 5 * 60_000;
const FEEDBACK_MS = 8000;
/** What the tablet shows for a badge check-in before anyone knows whose badge it is (no roster yet). */
const UNNAMED_BADGE = 'Badge scan';

interface Settings {
  gate?: string;
  token?: string;
  tokenInfo?: Pick<TokenInfo, 'name' | 'gate' | 'scopes' | 'expiresAt'>;
  pin?: StoredPin;
}

type Screen = 'setup' | 'unlock' | 'main' | 'camera';
type FeedbackKind = 'success' | 'duplicate' | 'notice' | 'queued' | 'error' | 'pending';
type Who = Pick<CheckinBody, 'firstname' | 'lastname' | 'badge' | 'personId'>;

function element<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the kiosk page has no #${id}`);
  return found as T;
}
const input = (id: string) => element<HTMLInputElement>(id);
const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

function timeOf(entry: Answer): string {
  const match = /T(\d{2}:\d{2})/.exec(entry.occurredAt ?? entry.login ?? '');
  return match ? match[1]! : '';
}

/** The page's elements, found once. */
const view = {
  shell: document.querySelector<HTMLElement>('.kiosk-shell')!,
  screens: { setup: element('kiosk-setup'), unlock: element('kiosk-unlock'), main: element('kiosk-main'), camera: element('kiosk-camera') },
  setupForm: element<HTMLFormElement>('setup-form'),
  unlockForm: element<HTMLFormElement>('unlock-form'),
  form: element<HTMLFormElement>('checkin-form'),
  badge: input('badge'),
  firstname: input('firstname'),
  lastname: input('lastname'),
  submit: element<HTMLButtonElement>('checkin-submit'),
  feedback: element('kiosk-feedback'),
  said: element('kiosk-said'),
  refused: element('kiosk-refused'),
  held: element('kiosk-held'),
  gateLabel: element('kiosk-gate-label'),
  net: element('kiosk-net'),
  settingsButton: element<HTMLButtonElement>('kiosk-settings-open'),
  roster: element('roster'),
  rosterList: element('roster-list'),
  undoBar: element('kiosk-undo'),
  undoText: element('kiosk-undo-text'),
  video: element<HTMLVideoElement>('camera-video'),
  cameraStatus: element('camera-status'),
};

const csrf = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content;
const tokenMode = view.shell.dataset.authMode === 'token';

/** Everything the kiosk remembers while the page is open. */
class Kiosk {
  settings = readJson<Settings>(localStorage, SETTINGS, {});
  screen: Screen = 'main';
  sending = false;
  prefill: { gate?: string; token?: string } = {};
  feedbackTimer: ReturnType<typeof setTimeout> | undefined;
  /** When each name field's text was typed: first and last input event since it was empty. */
  readonly typing = new Map<string, { first: number; last: number }>();
  search = { timer: undefined as ReturnType<typeof setTimeout> | undefined, round: 0 };
  /** The check-in the Undo button takes back. */
  lastDone: { key: string; id?: number; label: string } | undefined;
  undoTimer: ReturnType<typeof setTimeout> | undefined;
  /** Keys undone while their check-in was being sent: taken back once the server has them. */
  readonly undone = new Set<string>();

  readonly outbox = new Outbox(localStorage);
  readonly connection = new Connection(localStorage, () => this.settings.token, csrf);
  readonly pins = new PinGuard(localStorage);
  readonly roster: Roster;
  readonly courier: Courier;
  readonly camera: Camera;

  constructor(rosterStore: RosterStore) {
    this.roster = new Roster(rosterStore, ownerOf(this.settings.token));
    this.courier = new Courier({
      outbox: this.outbox,
      send: (item) => this.connection.sendCheckin(item),
      online: () => navigator.onLine,
      delivered: (item, entry) => this.delivered(item, entry),
      settled: () => {
        // A refused token is a revoked one: its roster goes too.
        if (this.outbox.held().some((item) => item.held?.status === 401)) void this.forgetRoster();
        this.render();
      },
    });
    this.camera = new Camera(view.video, (code) => BADGE.test(code), {
      found: (code) => {
        if (this.screen === 'camera') this.showScreen('main');
        this.recordBadge(code);
      },
      status: (text) => (view.cameraStatus.textContent = text),
    });
  }

  configured(): boolean {
    const { gate, pin, token } = this.settings;
    return Boolean(gate && (pin || !pinSupported()) && (token || csrf || !tokenMode));
  }

  // ---- Showing things ------------------------------------------------------------------------------

  /** The result of a check-in: a status (polite) for what went through or was kept, an alert for a refusal. */
  show(kind: FeedbackKind, title: string, detail?: string): void {
    const region = kind === 'error' ? view.refused : view.said;
    const other = kind === 'error' ? view.said : view.refused;
    other.replaceChildren();
    const content: Node[] = [document.createTextNode(title)];
    if (detail) content.push(Object.assign(document.createElement('small'), { textContent: detail }));
    region.replaceChildren(...content);
    view.feedback.className = `kiosk-feedback is-${kind}`;
    clearTimeout(this.feedbackTimer);
    if (kind === 'success' || kind === 'duplicate' || kind === 'queued')
      this.feedbackTimer = setTimeout(() => this.hideFeedback(), FEEDBACK_MS);
  }

  hideFeedback(): void {
    clearTimeout(this.feedbackTimer);
    view.feedback.className = 'kiosk-feedback';
    view.said.replaceChildren();
    view.refused.replaceChildren();
  }

  render(): void {
    const queued = this.outbox.waiting().length;
    const stuck = this.outbox.held();
    const parts: string[] = [];
    if (!navigator.onLine) parts.push('Offline');
    if (queued > 0) parts.push(`${plural(queued, 'check-in', 'check-ins')} waiting to be sent`);
    if (stuck.length > 0) parts.push(`${stuck.length} not deliverable`);
    view.net.textContent = parts.join(' · ');

    view.held.hidden = stuck.length === 0;
    if (stuck.length > 0) {
      const reasons = [...new Set(stuck.map((item) => item.held!.reason))].join(' ');
      view.held.replaceChildren(
        Object.assign(document.createElement('strong'), {
          textContent: `${plural(stuck.length, 'check-in cannot', 'check-ins cannot')} be delivered and ${stuck.length === 1 ? 'is' : 'are'} kept on this tablet.`,
        }),
        document.createTextNode(
          // A new token helps with a refused or expired token, not with a badge nobody has any more.
          stuck.every((item) => item.held!.badge)
            ? ` ${reasons} Staff: download them for an admin, who can record them by name.`
            : ` ${reasons} Staff: open Settings to enter a new gate token, or download them for an admin.`,
        ),
      );
    }
    view.shell.dataset.rosterSize = String(this.roster.size);
    this.renderOutboxPanel();
    this.renderRosterStatus();
  }

  renderOutboxPanel(): void {
    const items = this.outbox.items();
    element('outbox-panel').hidden = items.length === 0;
    if (items.length === 0) return;
    const stuck = items.filter((item) => item.held).length;
    element('outbox-summary').textContent =
      `${plural(items.length, 'check-in', 'check-ins')} not on the server yet` +
      (stuck > 0 ? ` (${stuck} refused by the server).` : ' (waiting for the network).');
    element('outbox-list').replaceChildren(
      ...items.map((item) => {
        const li = document.createElement('li');
        const when = new Date(item.body.occurredAt ?? item.at).toLocaleString();
        li.textContent = `${item.label} · ${item.body.direction === 'out' ? 'out' : 'in'} · ${when}`;
        if (item.held) li.append(Object.assign(document.createElement('small'), { textContent: item.held.reason }));
        return li;
      }),
    );
    element('outbox-discard').hidden = !items.some((item) => item.exported);
  }

  renderRosterStatus(): void {
    const status = element('roster-status');
    const checked = this.roster.checkedAt;
    status.textContent = this.roster.ready
      ? `This tablet knows ${plural(this.roster.size, 'person', 'people')} by badge and name, also offline${checked ? ` (list checked ${new Date(checked).toLocaleString()})` : ''}.`
      : 'This tablet has no list of people yet: offline, badges cannot be named or checked until it has one.';
  }

  showScreen(name: Screen): void {
    this.screen = name;
    // Typed secrets (a new token, PINs) do not stay in the page once their screen is left.
    if (name !== 'setup') view.setupForm.reset();
    if (name !== 'unlock') view.unlockForm.reset();
    for (const [key, screen] of Object.entries(view.screens)) screen.hidden = key !== name;
    view.settingsButton.hidden = name !== 'main';
    view.gateLabel.textContent = this.settings.gate ? `Gate ${this.settings.gate}` : '';
    this.render();
    if (name === 'main') view.firstname.focus();
    if (name !== 'camera') this.camera.close();
  }

  direction(): 'in' | 'out' {
    return (view.form.elements.namedItem('direction') as RadioNodeList).value === 'out' ? 'out' : 'in';
  }

  setDirection(direction: 'in' | 'out'): void {
    (view.form.elements.namedItem('direction') as RadioNodeList).value = direction;
    view.submit.textContent = direction === 'out' ? 'Check out' : 'Check in';
  }

  // ---- Check-ins -----------------------------------------------------------------------------------

  /** The typed name, or a message saying what is wrong with it (never cut silently). */
  nameField(field: HTMLInputElement, label: string): { value: string } | { error: string } {
    const value = field.value.trim();
    const length = [...value].length;
    if (length === 0) return { error: 'Please enter both names.' };
    if (length > NAME_MAX) return { error: `The ${label} is too long (${length} characters; at most ${NAME_MAX}). Please shorten it.` };
    return { value };
  }

  noteTyping(field: HTMLInputElement): void {
    const now = Date.now();
    const seen = this.typing.get(field.name);
    if (!seen || field.value.length <= 1) this.typing.set(field.name, { first: now, last: now });
    else seen.last = now;
  }

  /** A badge code a scanner typed into a name field (the other one empty), or undefined. */
  scannedInto(field: HTMLInputElement, other: HTMLInputElement): string | undefined {
    const value = field.value.trim();
    const seen = this.typing.get(field.name);
    if (other.value.trim() !== '' || !BADGE.test(value) || !seen) return undefined;
    return (seen.last - seen.first) / Math.max(1, value.length - 1) <= WEDGE_MS_PER_KEY ? value : undefined;
  }

  clearForm(): void {
    view.form.reset();
    this.typing.clear();
    this.hideMatches();
    // The next person is most likely arriving: a check-out never carries over to them.
    this.setDirection('in');
    this.render();
    if (this.screen === 'main') view.firstname.focus();
  }

  checkIn(event: Event): void {
    event.preventDefault();
    if (this.sending) return;
    const badge = view.badge.value.trim();
    if (badge) {
      if (!BADGE.test(badge)) {
        this.show('error', 'That is not a badge code.', 'Scan the badge again, type the code under its QR code, or type your name.');
        view.badge.select();
        return;
      }
      this.recordBadge(badge);
      return;
    }
    const scanned = this.scannedInto(view.firstname, view.lastname) ?? this.scannedInto(view.lastname, view.firstname);
    if (scanned) {
      this.recordBadge(scanned);
      return;
    }
    const first = this.nameField(view.firstname, 'first name');
    const last = this.nameField(view.lastname, 'last name');
    for (const [field, result] of [
      [view.firstname, first],
      [view.lastname, last],
    ] as const) {
      field.setAttribute('aria-invalid', String('error' in result));
      if ('error' in result) {
        this.show('error', result.error);
        field.focus();
        return;
      }
    }
    if ('value' in first && 'value' in last)
      void this.record({ firstname: first.value, lastname: last.value }, `${first.value} ${last.value}`);
  }

  /** A scanned badge: named from the roster when it is there. */
  recordBadge(code: string): void {
    const person = this.roster.byBadge(code);
    if (!person && this.roster.ready && !navigator.onLine) {
      this.refuseUnknownBadge();
      return;
    }
    void this.record({ badge: code }, person ? `${person.firstname} ${person.lastname}` : UNNAMED_BADGE);
  }

  refuseUnknownBadge(): void {
    this.show('error', 'Badge not recognised — ask at the desk', 'This badge is not on the list of people this kiosk may check in.');
    this.clearForm();
  }

  /** Keeps `item` in the outbox and says so; a store that cannot take it is said too (nothing is lost silently). */
  keep(item: OutboxItem, why: string): void {
    try {
      this.outbox.keep(item);
    } catch {
      this.show('error', `${item.label}: not saved`, 'This tablet has no room left to keep check-ins. Ask staff for help.');
      return;
    }
    this.show('queued', `${item.label}: saved on this tablet`, why);
    this.offerUndo(item);
    this.clearForm();
  }

  /** Records one check-in of `who`; `label` names it until the server answers with the person's names. */
  async record(who: Who, label: string): Promise<void> {
    if (this.sending) return;
    const direction = this.direction();
    const gate = this.settings.gate ?? '';
    const item: OutboxItem = {
      key: newKey(),
      at: new Date().toISOString(),
      label,
      // The time is part of the request from the start: every attempt sends exactly the same body.
      body: { ...who, gate, direction, occurredAt: this.connection.serverNow().toISOString() },
    };

    if (!navigator.onLine) {
      this.keep(item, 'Offline: it will be sent automatically as soon as the network is back.');
      return;
    }

    this.sending = true;
    view.submit.disabled = true;
    this.show('pending', 'Sending…');
    const result = await this.connection.sendCheckin(item);
    this.sending = false;
    view.submit.disabled = false;

    if (result.kind === 'done') {
      const entry = result.body;
      const name = `${entry.firstname} ${entry.lastname}`;
      const at = timeOf(entry) ? ` at ${timeOf(entry)}` : '';
      if (entry.duplicate) this.show('duplicate', `${name} is already checked ${direction}`, `Recorded${at}; not counted twice.`);
      else if (direction === 'out' && entry.arrivalMissing)
        this.show(
          'notice',
          `Goodbye, ${entry.firstname}!`,
          `${name}: checked out at gate ${gate}${at}. Note: no arrival of ${name} was recorded today.`,
        );
      else
        this.show(
          'success',
          direction === 'out' ? `Goodbye, ${entry.firstname}!` : `Welcome, ${entry.firstname}!`,
          `${name}: checked ${direction} at gate ${gate}${at}.`,
        );
      if (!entry.duplicate) this.offerUndo(item, entry);
      this.clearForm();
    } else if (result.kind === 'refused') {
      try {
        this.outbox.keep(hold(item, result));
      } catch {
        // Shown below: nothing more can be done on this tablet.
      }
      if (result.status === 401) void this.forgetRoster();
      this.show(
        'error',
        'This kiosk may not check people in.',
        `${label} is not recorded yet but kept on this tablet. ${refusal(result)} Ask an admin for a new gate token.`,
      );
      this.clearForm();
    } else if (unknownBadge(result)) {
      this.refuseUnknownBadge();
    } else if (result.kind === 'invalid' || result.kind === 'gone') {
      // The person is still at the gate: the form keeps what was typed so it can be corrected.
      this.show('error', 'That did not work.', result.body.detail ?? `The server answered ${result.status}.`);
    } else if (who.badge && label === UNNAMED_BADGE && this.roster.ready) {
      // No answer, and the roster does not know this badge: refused now rather than kept and refused later.
      this.refuseUnknownBadge();
    } else {
      this.keep(item, 'The network is not answering; it will be sent automatically as soon as it is back.');
      this.courier.schedule();
    }
  }

  // ---- Finding a name: someone without their badge picks it -------------------------------------------

  hideMatches(): void {
    clearTimeout(this.search.timer);
    this.search.round += 1;
    view.roster.hidden = true;
    view.rosterList.replaceChildren();
  }

  scheduleSearch(): void {
    clearTimeout(this.search.timer);
    const round = ++this.search.round;
    const q = `${view.firstname.value} ${view.lastname.value}`.trim();
    // A scanner typing a badge code is not someone looking for their name. The list shown stays while typing.
    if (!searchable(q) || BADGE.test(q)) return this.hideMatches();
    if (!navigator.onLine && !this.roster.ready) return this.hideMatches();
    this.search.timer = setTimeout(() => void this.findNames(q, round), navigator.onLine ? SEARCH_DELAY_MS : 0);
  }

  /** Online the server answers (it knows people added since the roster was read); offline the roster. */
  async findNames(q: string, round: number): Promise<void> {
    const found = navigator.onLine ? ((await this.connection.searchPeople(q)) ?? this.roster.search(q)) : this.roster.search(q);
    if (round !== this.search.round) return;
    if (found.length === 0) return this.hideMatches();
    view.rosterList.replaceChildren(
      ...found.map((person) => {
        const li = document.createElement('li');
        const button = Object.assign(document.createElement('button'), {
          type: 'button',
          className: 'button kiosk-person',
          textContent: `${person.firstname} ${person.lastname}`,
        });
        button.addEventListener('click', () => void this.record({ personId: person.id }, `${person.firstname} ${person.lastname}`));
        li.append(button);
        return li;
      }),
    );
    view.roster.hidden = false;
  }

  // ---- The roster ------------------------------------------------------------------------------------

  async refreshRoster(): Promise<void> {
    if (!navigator.onLine || !this.configured()) return;
    await this.roster.refresh((etag) => this.connection.fetchRoster(etag));
    this.render();
  }

  async forgetRoster(): Promise<void> {
    if (!this.roster.ready) return;
    await this.roster.forget();
    this.render();
  }

  // ---- Undo the last check-in ------------------------------------------------------------------------

  offerUndo(item: OutboxItem, entry?: Answer): void {
    const label = entry?.firstname !== undefined ? `${entry.firstname} ${entry.lastname}` : item.label;
    this.lastDone = { key: item.key, id: entry?.id, label };
    view.undoText.textContent = `${item.body.direction === 'out' ? 'Checked out' : 'Checked in'}: ${label}`;
    view.undoBar.hidden = false;
    clearTimeout(this.undoTimer);
    this.undoTimer = setTimeout(() => this.hideUndo(), UNDO_MS);
  }

  hideUndo(): void {
    this.lastDone = undefined;
    view.undoBar.hidden = true;
    clearTimeout(this.undoTimer);
  }

  /** A queued check-in reached the server: the undo (if still offered) now needs its id. */
  delivered(item: OutboxItem, entry: Answer): void {
    if (this.lastDone?.key === item.key) this.lastDone.id = entry.id;
    if (this.undone.delete(item.key) && entry.id !== undefined) void this.connection.undo(entry.id, item.body.gate);
  }

  async undo(): Promise<void> {
    const target = this.lastDone;
    this.hideUndo();
    if (!target) return;
    if (this.outbox.has(target.key)) {
      // Not on the server yet: it simply is not sent (and taken back if it is being sent right now).
      this.undone.add(target.key);
      this.outbox.remove(target.key);
      this.render();
      this.show('notice', `Undone: ${target.label}`, 'It had not been sent yet and will not be.');
    } else if (target.id === undefined) {
      this.show('error', 'There is nothing to undo.');
    } else {
      const result = await this.connection.undo(target.id, this.settings.gate ?? '');
      if (result.ok) this.show('notice', `Undone: ${target.label}`, 'The check-in was deleted.');
      else this.show('error', 'The check-in could not be undone.', `${result.detail} An admin can delete it.`);
    }
    view.firstname.focus();
  }

  // ---- Camera ------------------------------------------------------------------------------------------

  openCamera(): void {
    if (!Camera.available()) {
      this.show('error', 'The camera cannot be used here.', 'Use a badge scanner, type the code under the QR code, or type your name.');
      return;
    }
    this.showScreen('camera');
    void this.camera.start();
  }

  closeCamera(): void {
    this.camera.close();
    if (this.screen === 'camera') this.showScreen('main');
  }

  // ---- PIN and settings ------------------------------------------------------------------------------

  openSettings(values: { gate?: string; token?: string } = {}): void {
    this.prefill = values;
    if (!this.settings.pin || csrf) {
      this.openSetup();
      return;
    }
    view.unlockForm.reset();
    fieldError(element('unlock-error'), '');
    this.showScreen('unlock');
    input('unlock-pin').focus();
  }

  async unlock(event: Event): Promise<void> {
    event.preventDefault();
    const error = element('unlock-error');
    const wait = this.pins.lockedFor();
    if (wait > 0) {
      fieldError(error, `Too many wrong PINs. Try again in ${Math.ceil(wait / 1000)} seconds.`);
      return;
    }
    if (await pinMatches(input('unlock-pin').value, this.settings.pin)) {
      this.pins.succeeded();
      this.openSetup();
    } else {
      this.pins.failed();
      fieldError(error, 'That is not the kiosk PIN.');
      input('unlock-pin').select();
    }
  }

  openSetup(): void {
    const first = !this.configured();
    const { settings, prefill } = this;
    view.setupForm.reset();
    fieldError(element('setup-error'), '');
    input('setup-gate').value = prefill.gate ?? settings.gate ?? '';
    input('setup-token').value = prefill.token ?? '';
    const kept = element('setup-token-kept');
    kept.hidden = !settings.token;
    if (settings.token) {
      const info = settings.tokenInfo;
      const about = info
        ? ` (“${info.name}”${info.gate ? `, gate ${info.gate}` : ''}${info.expiresAt ? `, valid until ${new Date(info.expiresAt).toLocaleString()}` : ''})`
        : '';
      kept.textContent = `This kiosk keeps its token ${settings.token.slice(0, 10)}…${about}. Leave the field empty to keep it; paste a new token to replace it.`;
    }
    element('setup-pin-hint').textContent = !pinSupported()
      ? '(needs HTTPS: this page is not in a secure context, so the settings cannot be protected)'
      : settings.pin
        ? '(leave empty to keep the current PIN)'
        : '(4 to 12 digits; needed to change these settings later)';
    for (const id of ['setup-pin', 'setup-pin-again']) input(id).disabled = !pinSupported();
    element('setup-title').textContent = first ? 'Set up this kiosk' : 'Kiosk settings';
    element('setup-save').textContent = first ? 'Start the kiosk' : 'Save';
    element('setup-cancel').hidden = first;
    this.showScreen('setup');
    const missing = !input('setup-gate').value
      ? input('setup-gate')
      : tokenMode && !csrf && !settings.token && !input('setup-token').value
        ? input('setup-token')
        : input('setup-pin');
    missing.focus();
  }

  async saveSetup(event: Event): Promise<void> {
    event.preventDefault();
    const error = element('setup-error');
    const fail = (message: string, field?: HTMLElement) => {
      fieldError(error, message);
      field?.focus();
    };
    const gateField = input('setup-gate');
    const tokenField = input('setup-token');
    const gate = gateField.value.trim();
    const typedToken = tokenField.value.trim();
    const pin = input('setup-pin').value;
    const pinAgain = input('setup-pin-again').value;
    if (!gate) return fail('Enter the gate this tablet stands at.', gateField);
    if ([...gate].length > NAME_MAX) return fail(`The gate name is too long (at most ${NAME_MAX} characters).`, gateField);
    const token = typedToken || this.settings.token;
    if (tokenMode && !token && !csrf) return fail('Paste the gate token an admin created for this gate.', tokenField);
    if (pinSupported() && (pin || !this.settings.pin)) {
      if (!PIN_PATTERN.test(pin)) return fail('Choose a kiosk PIN of 4 to 12 digits.', input('setup-pin'));
      if (pin !== pinAgain) return fail('The two PINs differ; type the same PIN twice.', input('setup-pin-again'));
    }

    const save = element<HTMLButtonElement>('setup-save');
    save.disabled = true;
    fieldError(error, '');
    try {
      let tokenInfo = this.settings.tokenInfo;
      const newToken = Boolean(typedToken) && typedToken !== this.settings.token;
      // Checked on every save: a token revoked since the last one is caught here, not at the next check-in.
      if (token || csrf) {
        const checked = await this.connection.checkCredentials(token);
        // Offline, the kept token stays (it was checked when it was saved); a new one must be checked.
        if (!checked.ok && !(checked.offline && !newToken)) return fail(checked.message, newToken ? tokenField : undefined);
        if (checked.ok) {
          const info = checked.info;
          tokenInfo =
            info.kind === 'token' ? { name: info.name, gate: info.gate, scopes: info.scopes, expiresAt: info.expiresAt } : undefined;
        }
      }
      if (token && tokenInfo?.gate && tokenInfo.gate !== gate) {
        return fail(`This token may only check people in at gate "${tokenInfo.gate}".`, gateField);
      }
      this.settings = {
        gate,
        ...(token ? { token, tokenInfo } : {}),
        ...(pinSupported() ? { pin: pin ? await newPin(pin) : this.settings.pin } : {}),
      };
      writeJson(localStorage, SETTINGS, this.settings);
      this.prefill = {};
      this.hideFeedback();
      this.showScreen('main');
      // Another token: the roster read with the old one is forgotten, and read again with the new one.
      await this.roster.changeOwner(ownerOf(token));
      void this.refreshRoster();
      // A new token (or a new gate) may deliver what was refused before.
      if (newToken || this.outbox.held().length > 0) {
        this.outbox.releaseRefused();
        void this.courier.flush();
      }
    } finally {
      save.disabled = false;
    }
  }

  // ---- Handing over the outbox ---------------------------------------------------------------------

  download(): void {
    const items = this.outbox.items();
    const now = new Date();
    const blob = new Blob([JSON.stringify(exportFile(items, this.settings.gate, now), null, 2)], { type: 'application/json' });
    const link = document.createElement('a');
    link.href = URL.createObjectURL(blob);
    link.download = exportFileName(this.settings.gate, now);
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
    this.outbox.markExported(new Set(items.map((item) => item.key)));
    this.render();
  }

  discardDownloaded(): void {
    const downloaded = this.outbox.items().filter((item) => item.exported);
    if (
      !confirm(
        `Remove ${plural(downloaded.length, 'check-in', 'check-ins')} from this tablet? Only do this once the file is with an admin.`,
      )
    )
      return;
    this.outbox.removeExported();
    this.render();
  }

  /** A new release took over: reload when nobody is typing, so the tablet runs the new version. */
  reloadWhenIdle(): void {
    const idle = this.screen === 'main' && !this.sending && !view.badge.value && !view.firstname.value && !view.lastname.value;
    if (idle) location.reload();
    else setTimeout(() => this.reloadWhenIdle(), 5000);
  }
}

function fieldError(target: HTMLElement, message: string): void {
  target.textContent = message;
  target.hidden = !message;
}

/** IndexedDB where it can be opened (not in every private window): else the roster lives as long as the page. */
async function rosterStore(): Promise<RosterStore> {
  const store = new IndexedDbRosterStore();
  try {
    await store.load();
    return store;
  } catch {
    return new MemoryRosterStore();
  }
}

async function start(): Promise<void> {
  const kiosk = new Kiosk(await rosterStore());
  await kiosk.roster.open();

  view.form.addEventListener('submit', (event) => kiosk.checkIn(event));
  view.form.addEventListener('input', (event) => {
    const target = event.target as HTMLInputElement;
    if (target !== view.firstname && target !== view.lastname) return;
    kiosk.noteTyping(target);
    kiosk.scheduleSearch();
  });
  view.form.addEventListener('change', (event) => {
    const target = event.target as HTMLInputElement;
    if (target.name === 'direction') kiosk.setDirection(target.value === 'out' ? 'out' : 'in');
  });
  element('kiosk-undo-button').addEventListener('click', () => void kiosk.undo());
  element('camera-open').addEventListener('click', () => kiosk.openCamera());
  element('camera-close').addEventListener('click', () => kiosk.closeCamera());
  view.settingsButton.addEventListener('click', () => kiosk.openSettings());
  view.unlockForm.addEventListener('submit', (event) => void kiosk.unlock(event));
  element('unlock-cancel').addEventListener('click', () => kiosk.showScreen('main'));
  view.setupForm.addEventListener('submit', (event) => void kiosk.saveSetup(event));
  element('setup-cancel').addEventListener('click', () => {
    kiosk.prefill = {};
    kiosk.showScreen('main');
  });
  element('outbox-retry').addEventListener('click', () => void kiosk.courier.flush({ includeHeld: true }));
  element('outbox-export').addEventListener('click', () => kiosk.download());
  element('outbox-discard').addEventListener('click', () => kiosk.discardDownloaded());
  document.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape') return;
    if (kiosk.screen === 'camera') kiosk.closeCamera();
    // Escape closes the PIN prompt as Cancel does.
    else if (kiosk.screen === 'unlock') kiosk.showScreen('main');
  });
  window.addEventListener('online', () => {
    kiosk.courier.resetBackoff();
    void kiosk.courier.flush();
    void kiosk.refreshRoster();
  });
  window.addEventListener('offline', () => kiosk.render());
  setInterval(() => void kiosk.refreshRoster(), ROSTER_REFRESH_MS);

  if ('serviceWorker' in navigator && window.isSecureContext) {
    let controlled = Boolean(navigator.serviceWorker.controller);
    navigator.serviceWorker.addEventListener('controllerchange', () => {
      if (controlled) kiosk.reloadWhenIdle();
      controlled = true;
    });
    navigator.serviceWorker.register('/kiosk-sw.js', { scope: '/kiosk' }).catch(() => {
      // Without it the kiosk still works; it only cannot be reopened offline.
    });
  }

  // A link from the admin's token page carries the token in the fragment (never sent to the server). It
  // only fills in the setup form: the PIN holder decides. Opened while the kiosk is open, the same page
  // only sees its fragment change.
  const fromLink = (): boolean => {
    if (location.hash.length <= 1) return false;
    const values = new URLSearchParams(location.hash.slice(1));
    kiosk.prefill = { token: values.get('token') ?? undefined, gate: values.get('gate') ?? undefined };
    history.replaceState(null, '', location.pathname);
    return Boolean(kiosk.prefill.token || kiosk.prefill.gate);
  };
  window.addEventListener('hashchange', () => {
    if (!fromLink()) return;
    if (kiosk.configured()) kiosk.openSettings(kiosk.prefill);
    else kiosk.openSetup();
  });
  fromLink();

  kiosk.setDirection('in');
  if (!kiosk.configured()) kiosk.openSetup();
  else if (kiosk.prefill.token || kiosk.prefill.gate) kiosk.openSettings(kiosk.prefill);
  else kiosk.showScreen('main');
  void kiosk.courier.flush();
  void kiosk.refreshRoster();
}

void start();
