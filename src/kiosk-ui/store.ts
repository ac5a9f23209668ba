// Where the kiosk keeps what must survive a reload: a small synchronous key → text store. In the browser
// that is localStorage (which already has this shape); the unit tests use MemoryStore.

export interface TextStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** The JSON kept under `key`, or `fallback` when there is none or it cannot be read. */
export function readJson<T>(store: TextStore, key: string, fallback: T): T {
  try {
    const text = store.getItem(key);
    return text === null ? fallback : ((JSON.parse(text) as T | null) ?? fallback);
  } catch {
    return fallback;
  }
}

export function writeJson(store: TextStore, key: string, value: unknown): void {
  store.setItem(key, JSON.stringify(value));
}

/** A TextStore in memory (tests); `failWrites` makes every write throw, as a full localStorage does. */
export class MemoryStore implements TextStore {
  readonly data = new Map<string, string>();
  failWrites = false;
  getItem(key: string): string | null {
    return this.data.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    if (this.failWrites) throw new Error('QuotaExceededError');
    this.data.set(key, value);
  }
  removeItem(key: string): void {
    this.data.delete(key);
  }
}
