// The roster the kiosk keeps (GET /api/v1/kiosk/roster): everyone it may scan, with id, names and badge
// code, so that without the network a scanned badge is named at once (and queued under that name), an
// unknown badge is refused on the spot, and the name search still finds people.
//
// It is kept in a RosterStore (IndexedDB in the browser, roster-idb.ts) together with its ETag and the
// owner it was read for (a fingerprint of the gate token), refreshed while online (a 304 keeps it), and
// forgotten when the server no longer accepts the token (401) or the kiosk is set up with another one.
import { fold, searchWords } from './fold.js';

export interface RosterPerson {
  id: number;
  firstname: string;
  lastname: string;
  badge: string;
}

export interface RosterSnapshot {
  /** Whose roster it is: ownerOf(token) when it was read. */
  owner: string;
  etag: string;
  people: RosterPerson[];
  /** When the server last confirmed it (ISO 8601). */
  checkedAt: string;
}

export interface RosterStore {
  load(): Promise<RosterSnapshot | undefined>;
  save(snapshot: RosterSnapshot): Promise<void>;
  clear(): Promise<void>;
}

/** The answer to GET /api/v1/kiosk/roster: status 0 when no answer came. */
export interface RosterAnswer {
  status: number;
  etag?: string;
  people?: RosterPerson[];
}

export type RosterRefresh = 'updated' | 'unchanged' | 'forgotten' | 'failed';

/** How many people a name search lists at most (as the server's). */
export const SEARCH_MATCHES = 10;

/**
 * A fingerprint of the credentials a roster was read with (FNV-1a, 64 bits, in hex): enough to notice
 * another token, without keeping the token a second time. No token (a staff session, open mode): 'session'.
 */
export function ownerOf(token: string | undefined): string {
  if (!token) return 'session';
  let hash = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(token)) hash = BigInt.asUintN(64, (hash ^ BigInt(byte)) * 0x100000001b3n);
  return `token:${hash.toString(16).padStart(16, '0')}`;
}

const byName = new Intl.Collator(undefined, { sensitivity: 'base' });

export class Roster {
  private snapshot: RosterSnapshot | undefined;
  private badges = new Map<string, RosterPerson>();
  private names: { person: RosterPerson; key: string }[] = [];

  constructor(
    private readonly store: RosterStore,
    private owner: string,
  ) {}

  /** Reads the kept roster; one kept for other credentials is forgotten. A store that fails is no roster. */
  async open(): Promise<void> {
    const kept = await this.store.load().catch(() => undefined);
    if (kept && kept.owner === this.owner && Array.isArray(kept.people)) this.use(kept);
    else if (kept) await this.forget();
  }

  /** True once a roster is held: only then is an unknown badge refused without the server. */
  get ready(): boolean {
    return this.snapshot !== undefined;
  }
  get size(): number {
    return this.snapshot?.people.length ?? 0;
  }
  get etag(): string | undefined {
    return this.snapshot?.etag;
  }
  get checkedAt(): string | undefined {
    return this.snapshot?.checkedAt;
  }

  byBadge(code: string): RosterPerson | undefined {
    return this.badges.get(code);
  }

  /** At most `limit` people whose folded names hold every word of `query`, by last and first name. */
  search(query: string, limit = SEARCH_MATCHES): RosterPerson[] {
    const words = searchWords(query);
    if (words.length === 0) return [];
    return this.names
      .filter(({ key }) => words.every((word) => key.includes(word)))
      .map(({ person }) => person)
      .sort((a, b) => byName.compare(a.lastname, b.lastname) || byName.compare(a.firstname, b.firstname) || a.id - b.id)
      .slice(0, limit);
  }

  /** The kiosk now works with other credentials: a roster read with the old ones is forgotten. */
  async changeOwner(owner: string): Promise<void> {
    if (owner === this.owner) return;
    this.owner = owner;
    await this.forget();
  }

  async forget(): Promise<void> {
    this.snapshot = undefined;
    this.badges = new Map();
    this.names = [];
    await this.store.clear().catch(() => undefined);
  }

  /**
   * Asks the server (with the ETag held): a new roster replaces the old, a 304 keeps it, a 401 forgets it
   * (the token is revoked or expired); anything else (no network, 403, 5xx) keeps what is held.
   */
  async refresh(fetchRoster: (etag: string | undefined) => Promise<RosterAnswer>, now = new Date()): Promise<RosterRefresh> {
    const owner = this.owner;
    const answer = await fetchRoster(this.snapshot?.etag);
    // Set up with other credentials while this was asked: the answer is not theirs.
    if (owner !== this.owner) return 'failed';
    if (answer.status === 401) {
      await this.forget();
      return 'forgotten';
    }
    if (answer.status === 304 && this.snapshot) {
      this.snapshot = { ...this.snapshot, checkedAt: now.toISOString() };
      await this.store.save(this.snapshot).catch(() => undefined);
      return 'unchanged';
    }
    if (answer.status === 200 && answer.people && answer.etag) {
      this.use({ owner, etag: answer.etag, people: answer.people, checkedAt: now.toISOString() });
      await this.store.save(this.snapshot!).catch(() => undefined);
      return 'updated';
    }
    return 'failed';
  }

  private use(snapshot: RosterSnapshot): void {
    this.snapshot = snapshot;
    this.badges = new Map(snapshot.people.map((person) => [person.badge, person]));
    this.names = snapshot.people.map((person) => ({ person, key: fold(`${person.firstname} ${person.lastname}`) }));
  }
}

/** A RosterStore in memory (tests, and where IndexedDB cannot be opened). */
export class MemoryRosterStore implements RosterStore {
  snapshot: RosterSnapshot | undefined;
  async load(): Promise<RosterSnapshot | undefined> {
    return this.snapshot && structuredClone(this.snapshot);
  }
  async save(snapshot: RosterSnapshot): Promise<void> {
    this.snapshot = structuredClone(snapshot);
  }
  async clear(): Promise<void> {
    this.snapshot = undefined;
  }
}
