// Talking to the server: the kiosk's credentials (its gate token, or a signed-in admin's session and CSRF
// token), the server's clock, and one function per call the kiosk makes.
import { deliveryKind, type Answer, type Delivery, type OutboxItem } from './outbox.js';
import type { RosterAnswer, RosterPerson } from './roster.js';
import { readJson, writeJson, type TextStore } from './store.js';

const CLOCK = 'barona.kiosk.clock-offset';
export const SEND_TIMEOUT_MS = 4000;

export interface TokenInfo {
  kind?: string;
  name: string;
  gate: string;
  scopes: string[];
  expiresAt: string | null;
}

export type CredentialCheck = { ok: true; info: TokenInfo } | { ok: false; message: string; offline?: boolean };

export interface PersonName {
  id: number;
  firstname: string;
  lastname: string;
}

async function bodyOf<T>(response: Response): Promise<T> {
  return (await response.json().catch(() => ({}))) as T;
}

export class Connection {
  /** How far the server's clock is ahead of this tablet's (only when it matters: more than 30 s). */
  private clockOffset: number;

  constructor(
    private readonly store: TextStore,
    /** The gate token now (read on every call: setup may change it). */
    private readonly token: () => string | undefined,
    private readonly csrf: string | undefined,
  ) {
    this.clockOffset = readJson(store, CLOCK, 0);
  }

  serverNow(): Date {
    return new Date(Date.now() + this.clockOffset);
  }

  private learnClock(response: Response): void {
    const server = Date.parse(response.headers.get('date') ?? '');
    if (Number.isNaN(server)) return;
    const offset = server - Date.now();
    this.clockOffset = Math.abs(offset) > 30_000 ? offset : 0;
    writeJson(this.store, CLOCK, this.clockOffset);
  }

  private credentials(token = this.token()): Record<string, string> {
    if (token) return { authorization: `Bearer ${token}` };
    return this.csrf ? { 'x-csrf-token': this.csrf } : {};
  }

  /** One delivery attempt of a kept check-in. */
  async sendCheckin(item: OutboxItem, timeoutMs = SEND_TIMEOUT_MS): Promise<Delivery> {
    try {
      const response = await fetch('/api/v1/checkins', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', 'idempotency-key': item.key, ...this.credentials() },
        body: JSON.stringify(item.body),
        credentials: 'same-origin',
        signal: AbortSignal.timeout(timeoutMs),
      });
      this.learnClock(response);
      const body = await bodyOf<Answer>(response);
      return { kind: deliveryKind(response.status), status: response.status, body };
    } catch {
      return { kind: 'retry', status: 0, body: {} };
    }
  }

  /** GET /api/v1/kiosk/roster, conditional on the ETag held. */
  async fetchRoster(etag: string | undefined): Promise<RosterAnswer> {
    try {
      const response = await fetch('/api/v1/kiosk/roster', {
        headers: { accept: 'application/json', ...(etag ? { 'if-none-match': etag } : {}), ...this.credentials() },
        credentials: 'same-origin',
        cache: 'no-store',
        signal: AbortSignal.timeout(30_000),
      });
      if (response.status !== 200) return { status: response.status };
      const body = await bodyOf<{ items?: RosterPerson[] }>(response);
      return { status: 200, etag: response.headers.get('etag') ?? undefined, people: body.items };
    } catch {
      return { status: 0 };
    }
  }

  /** GET /api/v1/kiosk/people: names matching `q` (none when the server is not reachable). */
  async searchPeople(q: string): Promise<PersonName[] | undefined> {
    try {
      const response = await fetch(`/api/v1/kiosk/people?q=${encodeURIComponent(q)}`, {
        headers: { accept: 'application/json', ...this.credentials() },
        credentials: 'same-origin',
        signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
      });
      if (!response.ok) return [];
      return (await bodyOf<{ items?: PersonName[] }>(response)).items ?? [];
    } catch {
      return undefined;
    }
  }

  /** POST /api/v1/kiosk/checkins/{id}/undo. */
  async undo(id: number, gate: string): Promise<{ ok: boolean; detail: string }> {
    try {
      const response = await fetch(`/api/v1/kiosk/checkins/${id}/undo`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...this.credentials() },
        body: JSON.stringify({ gate }),
        credentials: 'same-origin',
        signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
      });
      const body = await bodyOf<{ detail?: string }>(response);
      return { ok: response.ok, detail: body.detail ?? `The server answered ${response.status}.` };
    } catch {
      return { ok: false, detail: 'The server is not reachable.' };
    }
  }

  /** GET /api/v1/tokens/current with `token` (or the session). */
  async checkCredentials(token: string | undefined): Promise<CredentialCheck> {
    try {
      const response = await fetch('/api/v1/tokens/current', {
        headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        credentials: 'same-origin',
        signal: AbortSignal.timeout(8000),
      });
      this.learnClock(response);
      const body = await bodyOf<TokenInfo & { detail?: string }>(response);
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
}

/** A random UUID (v4); crypto.randomUUID needs a secure context, getRandomValues does not. */
export function newKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
