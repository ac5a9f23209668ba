// The kiosk's roster in IndexedDB (database barona-kiosk, store roster, one record "current"): it may
// hold thousands of people, more than localStorage should carry, and survives a reload offline.
import type { RosterSnapshot, RosterStore } from './roster.js';

const DATABASE = 'barona-kiosk';
const STORE = 'roster';
const KEY = 'current';

function promised<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
  });
}

export class IndexedDbRosterStore implements RosterStore {
  private database: Promise<IDBDatabase> | undefined;

  private open(): Promise<IDBDatabase> {
    this.database ??= new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open(DATABASE, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error ?? new Error('IndexedDB cannot be opened'));
      request.onblocked = () => reject(new Error('IndexedDB is blocked by another tab'));
    }).catch((error: unknown) => {
      this.database = undefined;
      throw error;
    });
    return this.database;
  }

  private async transaction<T>(mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
    const database = await this.open();
    const transaction = database.transaction(STORE, mode);
    const result = promised(work(transaction.objectStore(STORE)));
    await new Promise<void>((resolve, reject) => {
      transaction.oncomplete = () => resolve();
      transaction.onabort = transaction.onerror = () => reject(transaction.error ?? new Error('IndexedDB transaction failed'));
    });
    return result;
  }

  async load(): Promise<RosterSnapshot | undefined> {
    return (await this.transaction('readonly', (store) => store.get(KEY) as IDBRequest<RosterSnapshot | undefined>)) ?? undefined;
  }
  async save(snapshot: RosterSnapshot): Promise<void> {
    await this.transaction('readwrite', (store) => store.put(snapshot, KEY));
  }
  async clear(): Promise<void> {
    await this.transaction('readwrite', (store) => store.delete(KEY));
  }
}
