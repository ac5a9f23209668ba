// The kiosk PIN that guards the settings: a salted PBKDF2 hash (WebCrypto), never the PIN itself, and a
// growing wait after wrong PINs.
import { readJson, writeJson, type TextStore } from './store.js';

const FAILURES = 'barona.kiosk.pin-failures';
export const PIN_ITERATIONS = 210_000;
export const PIN_PATTERN = /^\d{4,12}$/;

export interface StoredPin {
  salt: string;
  iterations: number;
  hash: string;
}

/** Settings can be guarded only in a secure context (WebCrypto). */
export const pinSupported = (): boolean => Boolean(globalThis.crypto?.subtle);

const toBase64 = (bytes: ArrayBuffer | Uint8Array) => btoa(String.fromCharCode(...new Uint8Array(bytes)));
const fromBase64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

async function pinHash(pin: string, salt: Uint8Array<ArrayBuffer>, iterations: number): Promise<string> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(pin), 'PBKDF2', false, ['deriveBits']);
  return toBase64(await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, key, 256));
}

export async function newPin(pin: string): Promise<StoredPin> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  return { salt: toBase64(salt), iterations: PIN_ITERATIONS, hash: await pinHash(pin, salt, PIN_ITERATIONS) };
}

export async function pinMatches(pin: string, stored: StoredPin | undefined): Promise<boolean> {
  return Boolean(stored) && (await pinHash(pin, fromBase64(stored!.salt), stored!.iterations)) === stored!.hash;
}

interface Failures {
  count: number;
  until: number;
}

/** Wrong PINs: after 5, each further try waits longer (1 minute, doubling, at most an hour). */
export class PinGuard {
  constructor(private readonly store: TextStore) {}

  /** Milliseconds until the next try is allowed (0: now). */
  lockedFor(now = Date.now()): number {
    return Math.max(0, readJson<Failures>(this.store, FAILURES, { count: 0, until: 0 }).until - now);
  }
  failed(now = Date.now()): void {
    const count = readJson<Failures>(this.store, FAILURES, { count: 0, until: 0 }).count + 1;
    const until = count >= 5 ? now + Math.min(60_000 * 2 ** (count - 5), 3_600_000) : 0;
    writeJson(this.store, FAILURES, { count, until });
  }
  succeeded(): void {
    this.store.removeItem(FAILURES);
  }
}
