// The one door to attendance: creating, correcting, deleting and restoring check-ins, and reading them
// (one entry, a day's page, summary, gates, sheet, CSV export), whichever surface (seed API, /api/v1,
// kiosk, admin pages) asks. Every method takes the acting Actor first and checks its role
// (domain/actor.ts): 'attendance:record' records, 'attendance:read' reads a whole day (a gate token with
// the read scope too), 'attendance:correct' corrects, deletes and restores.
//
// Creations go through the group-commit writer (checkin-writer.ts) and are counted, not audited one by
// one; corrections, deletions and restores are made through domain/changes.ts: one transaction with
// their audit record, announced to live updates once committed.
//
// The rules of recording: names are trimmed and non-blank, a kiosk may date an entry a little into the
// past (CHECKIN_BACKDATE_WINDOW_HOURS), staff may enter one by hand at any past time (audited as such), a retried request (same Idempotency-Key from the same caller) never counts a person twice, and
// the same person passing the same gate in the same direction twice within the duplicate window is one
// entry.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Database, Queryable } from '../../db/database.js';
import { type Actor, authorize, can, scopeOf } from '../../domain/actor.js';
import { type AttendanceDays, attendanceDays, calendarDays, type DayBounds, isoInZone } from '../../domain/attendance-day.js';
import { DomainError } from '../../domain/domain-error.js';
import { decodePosition, fingerprint, type ListOrder, type TwoWayPage, twoWayPageOf, walkOf } from '../../domain/keyset-cursor.js';
import type { ServiceDeps } from '../../services.js';
import { type AuditEntry, listAudit } from '../audit/audit-log.js';
import { findPeopleByBadges, findPerson, isMemberOfAny, type Person } from '../people/person-repository.js';
import { commitCheckins, type WriteChecks, type WriteOutcome } from './checkin-commit.js';
import { type Backdating, type FieldFault, type FieldFaultOf, readDirection, readOccurredAt, readText } from './checkin-fields.js';
import {
  arrivedBefore,
  type CheckinEntry,
  type CheckinFilter,
  type Direction,
  daySummary,
  type DaySummaryRow,
  type ExportRange,
  findCheckin,
  findCheckinForUpdate,
  findStoredCheckin,
  gatesOfDay,
  listCheckins,
  type NewCheckin,
  recordedWithKey,
  restoreCheckin,
  softDeleteCheckin,
  type StoredCheckin,
  updateCheckin,
} from './checkin-repository.js';
import type { CheckinWriter } from './checkin-writer.js';
import { exportCsv } from './csv.js';
import { type DaySheetRead, DaySheets } from './day-sheet.js';
import { searchTerms } from './person-name.js';

export interface CheckinRules {
  /** How far in the past occurredAt may be. */
  backdateWindowHours: number;
  /** 0 turns duplicate detection off. */
  duplicateWindowSeconds: number;
}

/**
 * What a check-in request carries: who (typed names, or a person by id or badge code: then the names
 * come from the person), where, which way and when. The text fields are checked by the field rule,
 * whatever their type.
 */
export interface CreateCheckinInput {
  firstname?: unknown;
  lastname?: unknown;
  personId?: number;
  badge?: string;
  gate?: unknown;
  direction?: Direction;
  occurredAt?: string;
  /**
   * Entered by hand by staff (not passed at a gate): allowed any past time, and audited. An entry staff
   * date further back than the backdate window is entered by hand without asking.
   */
  enteredByHand?: boolean;
}

export interface CreateOptions {
  /** Makes a retry answer like the first request (see checkin-commit.ts); a key belongs to its caller, the actor. */
  idempotency?: { key: string };
  /** Answer with an earlier entry of the same person, gate and direction (default true; the seed API never did). */
  detectDuplicates?: boolean;
  now?: Date;
}

/** Fields to correct; absent ones keep their value. */
export interface CheckinCorrectionInput {
  firstname?: unknown;
  lastname?: unknown;
  gate?: unknown;
  direction?: unknown;
  /** Links the entry to a person (a walk-in who is on a roster), or unlinks it with null. */
  personId?: number | null;
  /** Moves the entry to another time (staff only; any past time, as by hand): it then counts on its new day. */
  occurredAt?: string;
}

export interface Correction {
  entry: CheckinEntry;
  /** False when every field already had the value asked for: nothing was written nor audited. */
  changed: boolean;
}

/** Who is told about changes once they are committed. */
export interface AttendanceObservers {
  /** Live updates of the attendance sheet (plugins/live-updates.ts). */
  events: { changed(): void };
  /** "Check-ins by gate" (metrics.ts). */
  metrics: { countCheckin(gate: string): void };
}

const EDITABLE = ['firstname', 'lastname', 'gate', 'direction', 'personId'] as const;
const editable = (entry: CheckinEntry) => ({
  firstname: entry.firstname,
  lastname: entry.lastname,
  gate: entry.gate,
  direction: entry.direction,
  personId: entry.personId,
});
/** What a correction's audit record holds of the entry: its editable fields, and its time when that moved. */
const audited = (entry: CheckinEntry, moved: boolean) => (moved ? { ...editable(entry), occurredAt: entry.occurredAt } : editable(entry));

/** Whether the actor may enter or move check-ins by hand: a signed-in staff account (or the operator's command), never a gate token or anonymous caller. */
const entersByHand = (actor: Actor) => actor.kind === 'staff' || actor.kind === 'system';

const notByHand = (actor: Actor) =>
  DomainError.forbidden(
    `${actor.kind === 'token' ? 'A gate token' : 'An anonymous caller'} may not enter check-ins by hand or change their time; only signed-in staff may.`,
  );

/** A person id no person has (a check-in for them, or a link to them, cannot be made). */
const unknownPerson = (id: number) =>
  new DomainError(422, 'Unknown person', `personId: no person has id ${id}.`, [{ field: 'personId', message: `no person has id ${id}` }]);

/** Applies the field rule to each field present in `fields`; throws one 400 naming every faulty field. */
function readFields<K extends string>(
  fields: Partial<Record<K, unknown>>,
  rules: Record<K, (value: unknown) => { value: string } | { fault: FieldFault }>,
): Partial<Record<K, string>> {
  const values: Partial<Record<K, string>> = {};
  const faults: FieldFaultOf[] = [];
  for (const field of Object.keys(rules) as K[]) {
    if (!(field in fields)) continue;
    const read = rules[field](fields[field]);
    if ('fault' in read) faults.push({ field, fault: read.fault });
    else values[field] = read.value;
  }
  if (faults.length > 0) throw DomainError.invalidFields(faults);
  return values;
}

const name = (value: unknown) => readText(value, true);
const gate = (value: unknown) => readText(value, false);

function checkOccurredAt(value: string, backdating: Backdating, now: Date): string {
  const read = readOccurredAt(value, backdating, now);
  if ('message' in read) throw DomainError.invalid('occurredAt', read.message);
  return read.value;
}

/**
 * When a new entry happened and whether it is entered by hand: staff asking for it (enteredByHand), or
 * staff dating it further back than the backdate window, which holds for gate tokens (the kiosk) and
 * anonymous callers.
 */
function timeOf(actor: Actor, input: CreateCheckinInput, rules: CheckinRules, now: Date): { occurredAt?: string; byHand: boolean } {
  const mayByHand = entersByHand(actor);
  if (input.enteredByHand === true && !mayByHand) throw notByHand(actor);
  const byHand = input.enteredByHand === true;
  if (input.occurredAt === undefined) return { byHand };
  const inWindow = readOccurredAt(input.occurredAt, { windowHours: rules.backdateWindowHours }, now);
  if ('value' in inWindow) return { occurredAt: inWindow.value, byHand };
  if (!mayByHand) throw DomainError.invalid('occurredAt', inWindow.message);
  return { occurredAt: checkOccurredAt(input.occurredAt, 'by-hand', now), byHand: true };
}

/**
 * Badge codes looked up together: every code asked for in one turn of the event loop goes to the
 * database in one query, so a rush of badge scans costs a lookup per turn, not one per request (at 10
 * connections that was half the rate of check-ins by name). Nothing is remembered between turns: a
 * reissued badge stops working at once, on every replica.
 */
class BadgeLookup {
  private waiting = new Map<string, ((person: Person | undefined) => void)[]>();
  private failing: ((error: unknown) => void)[] = [];
  private scheduled = false;

  constructor(private readonly db: Database) {}

  find(badge: string): Promise<Person | undefined> {
    return new Promise((resolve, reject) => {
      const waiters = this.waiting.get(badge) ?? [];
      waiters.push(resolve);
      this.waiting.set(badge, waiters);
      this.failing.push(reject);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    const waiting = this.waiting;
    const failing = this.failing;
    this.waiting = new Map();
    this.failing = [];
    this.scheduled = false;
    try {
      const people = new Map((await findPeopleByBadges(this.db, [...waiting.keys()])).map((person) => [person.badge, person]));
      for (const [badge, waiters] of waiting) for (const resolve of waiters) resolve(people.get(badge));
    } catch (error) {
      for (const reject of failing) reject(error);
    }
  }
}

/**
 * Decides, inside a deletion's transaction and with the entry locked, whether an actor without
 * 'attendance:correct' may delete it (the kiosk taking back the check-in it just made); throws to refuse.
 */
export type DeletionGrant = (entry: CheckinEntry, tx: Queryable) => Promise<void>;

/** The longest range one CSV export may cover. */
export const EXPORT_MAX_DAYS = 366;

export interface ListQuery {
  /** The attendance day 'YYYY-MM-DD' (DAY_STARTS_AT). */
  day: string;
  gate?: string;
  q?: string;
  limit: number;
  cursor?: string;
  /** Id order (the default, oldest first) or `desc` (newest first, the attendance sheet's). */
  order?: ListOrder;
}

export type CheckinPage = TwoWayPage<CheckinEntry>;

export interface DaySummary extends DaySummaryRow {
  date: string;
  timezone: string;
  /** DAY_STARTS_AT, and the [start, end) instants of the attendance day. */
  dayStartsAt: string;
  startsAt: string;
  endsAt: string;
  /** The gate the totals are of; null for every gate. */
  gate: string | null;
}

/**
 * Whose Idempotency-Keys an actor's key is among: its gate token, its staff member, or every anonymous
 * caller. Stored keys start with it (storedKeyPrefix), which is how the kiosk proves it made an entry.
 */
function idempotencyCaller(actor: Actor): string {
  switch (actor.kind) {
    case 'token':
      return `token:${actor.id}`;
    case 'staff':
      return `admin:${actor.id}`;
    case 'system':
      return `system:${actor.name}`;
    case 'anonymous':
      return 'anonymous';
  }
}

/**
 * The start of every key an actor's requests store: '§', the caller, '|'. '§' cannot start a raw key
 * (visible ASCII only), which keeps these apart from keys stored by earlier releases; '|' ends the
 * caller, so token:1 is not a prefix of token:12's keys.
 */
const storedKeyPrefix = (actor: Actor) => `§${idempotencyCaller(actor)}|`;

function daysBetween(from: string, to: string): number {
  return (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000;
}

type ReadScope = 'all' | { groups: readonly number[] };

/**
 * Who reads which check-ins: whoever may read attendance reads every entry; a leader, who reads the
 * people of their groups, reads those people's entries (linked to them by badge or person id) one by
 * one or in a day's list, never a whole day's sheet, summary or export.
 */
function readScope(actor: Actor): ReadScope {
  if (can(actor, 'attendance:read')) return 'all';
  const scope = can(actor, 'people:read') ? scopeOf(actor, 'people:read') : 'all';
  if (scope === 'all') authorize(actor, 'attendance:read');
  return scope as ReadScope;
}

export class CheckinService {
  private readonly badges: BadgeLookup;
  /** The seed's day sheets this process keeps (day-sheet.ts). */
  private readonly sheets: DaySheets;

  constructor(
    private readonly deps: ServiceDeps,
    private readonly writer: CheckinWriter,
    private readonly rules: CheckinRules,
    private readonly observers: AttendanceObservers,
  ) {
    this.badges = new BadgeLookup(deps.db);
    this.sheets = new DaySheets(deps.db, calendarDays(deps.config.timezone));
  }

  /** Attendance days (DAY_STARTS_AT in APP_TIMEZONE): what "a day" is for lists, summaries and the sheet. */
  get days(): AttendanceDays {
    return attendanceDays(this.deps.config);
  }

  /** The attendance day containing now. */
  today(): string {
    return this.days.today();
  }

  /** An entry the batch writer answered (in the session's time zone), with its times in APP_TIMEZONE. */
  private zoned<T extends { entry: CheckinEntry }>(outcome: T): T {
    const { timezone } = this.deps.config;
    const { entry } = outcome;
    return {
      ...outcome,
      entry: { ...entry, occurredAt: isoInZone(entry.occurredAt, timezone), recordedAt: isoInZone(entry.recordedAt, timezone) },
    };
  }

  private get db(): Database {
    return this.deps.db;
  }

  /**
   * Records one passage of a gate; see the module comment for the rules. The write itself goes through
   * the group-commit writer, which applies the Idempotency-Key and duplicate checks (checkin-commit.ts).
   */
  async create(actor: Actor, input: CreateCheckinInput, options: CreateOptions = {}): Promise<WriteOutcome> {
    authorize(actor, 'attendance:record');
    const person = await this.personOf(input);
    const fields = readFields(
      {
        firstname: person ? person.firstname : input.firstname,
        lastname: person ? person.lastname : input.lastname,
        gate: input.gate ?? '',
        direction: input.direction ?? 'in',
      },
      { firstname: name, lastname: name, gate, direction: readDirection },
    );
    const checkin = {
      firstname: fields.firstname!,
      lastname: fields.lastname!,
      gate: fields.gate!,
      direction: fields.direction as Direction,
      personId: person?.id,
    };
    const { occurredAt, byHand } = timeOf(actor, input, this.rules, options.now ?? new Date());
    // What "the same request" means for an Idempotency-Key: the same cleaned fields.
    // A key belongs to its caller: stored as the caller and a hash of (caller, key), so the same key
    // sent by another token, staff member or anonymous client is another key, the raw key is not kept,
    // and the kiosk's undo can tell which entries its own token recorded.
    const idempotency =
      options.idempotency === undefined
        ? undefined
        : {
            key: `${storedKeyPrefix(actor)}${createHash('sha256')
              .update(`${idempotencyCaller(actor)}\n${options.idempotency.key}`)
              .digest('base64url')}`,
            requestHash: createHash('sha256')
              .update(
                JSON.stringify([
                  // A person is the same request whatever their names are by the time of a retry.
                  ...(person ? [{ person: person.id }] : [checkin.firstname, checkin.lastname]),
                  checkin.gate,
                  checkin.direction,
                  occurredAt ?? null,
                  ...(byHand ? ['by-hand'] : []),
                ]),
              )
              .digest('hex'),
          };
    const detect = options.detectDuplicates ?? true;
    if (byHand)
      return this.recordByHand(
        actor,
        { ...checkin, occurredAt },
        { duplicateWindowSeconds: detect ? this.rules.duplicateWindowSeconds : 0, idempotency },
      );
    // The seed API's plain insert is the writer's unchecked path: exactly what the seed stored.
    const outcome = this.zoned(
      detect
        ? await this.writer.write({ ...checkin, occurredAt }, { duplicateWindowSeconds: this.rules.duplicateWindowSeconds, idempotency })
        : await this.writer.write({ firstname: checkin.firstname, lastname: checkin.lastname, gate: checkin.gate }),
    );
    if (!outcome.duplicate && !outcome.replayed) {
      this.observers.metrics.countCheckin(outcome.entry.gate);
      this.observers.events.changed();
    }
    return outcome;
  }

  /**
   * An entry staff entered by hand: written in a change of its own (not by the group-commit writer), with
   * the same Idempotency-Key and duplicate checks, and an audit record `record-by-hand` in the same
   * transaction, so who typed it in and when stays known (the entry's page shows it).
   */
  private async recordByHand(actor: Actor, checkin: NewCheckin, checks: WriteChecks): Promise<WriteOutcome> {
    const outcome = await this.deps.changes.run(actor, async (change) => {
      const [answer] = await commitCheckins(change.tx, [{ checkin, checks }]);
      if (answer instanceof Error) throw answer;
      if (!answer!.duplicate && !answer!.replayed) {
        await change.audit({ action: 'record-by-hand', entity: 'checkin', entityId: answer!.entry.id, after: answer!.entry });
        change.announce('attendance');
      }
      return answer!;
    });
    if (!outcome.duplicate && !outcome.replayed) this.observers.metrics.countCheckin(outcome.entry.gate);
    return outcome;
  }

  /**
   * For a check-out just recorded: true when the person has no check-in earlier on the same day (at any
   * gate). Such a check-out is still recorded (the arrival may have gone through another door); the kiosk
   * says so. Told to whoever may record, as part of the answer to a recording.
   */
  async isCheckoutWithoutArrival(actor: Actor, entry: CheckinEntry): Promise<boolean> {
    authorize(actor, 'attendance:record');
    return entry.direction === 'out' && !(await arrivedBefore(this.db, this.days, entry));
  }

  /**
   * The person a check-in request names by badge code or id, if any. A request names its person one way
   * only: typed names, a person id or a badge. An unknown badge (never issued, or reissued since) is a
   * 404 naming it; an unknown person id a 422.
   */
  private async personOf(input: CreateCheckinInput): Promise<Person | undefined> {
    const ways = [
      input.firstname !== undefined || input.lastname !== undefined ? 'firstname/lastname' : undefined,
      input.personId !== undefined ? 'personId' : undefined,
      input.badge !== undefined ? 'badge' : undefined,
    ].filter((way) => way !== undefined);
    if (ways.length > 1) {
      throw DomainError.invalid(ways.at(-1)!, `name the person one way only: ${ways.join(', ')} were all given`);
    }
    if (input.badge !== undefined) {
      const person = await this.badges.find(input.badge);
      if (!person) {
        throw new DomainError(
          404,
          'Unknown badge',
          `badge: no person has the badge code "${input.badge}" (never issued, or reissued since).`,
          [{ field: 'badge', message: `unknown badge code "${input.badge}"` }],
        );
      }
      return person;
    }
    if (input.personId !== undefined) return (await findPerson(this.db, input.personId)) ?? Promise.reject(unknownPerson(input.personId));
    return undefined;
  }

  /**
   * Corrects names, gate or direction of a live entry, or links it to a person (a walk-in who is on a
   * roster) or unlinks it, with its audit record in the same transaction.
   */
  async correct(actor: Actor, id: number, changes: CheckinCorrectionInput, now = new Date()): Promise<Correction> {
    authorize(actor, 'attendance:correct');
    const { personId, occurredAt: newTime, ...texts } = changes;
    if (newTime !== undefined && !entersByHand(actor)) throw notByHand(actor);
    const occurredAt = newTime === undefined ? undefined : checkOccurredAt(newTime, 'by-hand', now);
    const present = Object.fromEntries(Object.entries(texts).filter(([, value]) => value !== undefined));
    const cleaned: Partial<ReturnType<typeof editable>> = readFields(present, {
      firstname: name,
      lastname: name,
      gate,
      direction: readDirection,
    }) as Partial<ReturnType<typeof editable>>;
    if (personId !== undefined) cleaned.personId = personId;
    return this.deps.changes.run(actor, async (change) => {
      const before = await findCheckinForUpdate(change.tx, this.days, id);
      if (!before) throw DomainError.notFound(id);
      // The person is locked too, so it cannot be deleted between this check and the commit.
      if (personId !== undefined && personId !== null && !(await findPerson(change.tx, personId, true))) throw unknownPerson(personId);
      const values = { ...editable(before), ...cleaned } as ReturnType<typeof editable>;
      const moved = occurredAt !== undefined && Date.parse(occurredAt) !== Date.parse(before.occurredAt);
      if (!moved && EDITABLE.every((key) => before[key] === values[key])) return { entry: before, changed: false };
      const after = await updateCheckin(change.tx, this.days, id, { ...values, occurredAt: moved ? occurredAt : undefined });
      if (!after) throw DomainError.notFound(id);
      await change.audit({
        action: 'correct',
        entity: 'checkin',
        entityId: id,
        before: audited(before, moved),
        after: audited(after, moved),
      });
      await change.emit('checkin.corrected', { ...after });
      change.announce('attendance');
      return { entry: after, changed: true };
    });
  }

  /**
   * Soft-deletes a live entry (it leaves every list, sheet, summary and export), audited in the same
   * transaction; answers the entry as it was. Needs 'attendance:correct', unless `grant` (which then
   * decides alone, with the entry in hand) lets the actor take back an entry of its own.
   */
  async delete(actor: Actor, id: number, grant?: DeletionGrant): Promise<CheckinEntry> {
    if (grant === undefined) authorize(actor, 'attendance:correct');
    return this.deps.changes.run(actor, async (change) => {
      const entry = await findCheckinForUpdate(change.tx, this.days, id);
      if (!entry) throw DomainError.notFound(id);
      if (grant !== undefined) await grant(entry, change.tx);
      if (!(await softDeleteCheckin(change.tx, id))) throw DomainError.notFound(id);
      await change.audit({ action: 'delete', entity: 'checkin', entityId: id, before: entry });
      await change.emit('checkin.deleted', { ...entry });
      change.announce('attendance');
      return entry;
    });
  }

  /** Brings a deleted entry back, audited in the same transaction. */
  async restore(actor: Actor, id: number): Promise<CheckinEntry> {
    authorize(actor, 'attendance:correct');
    return this.deps.changes.run(actor, async (change) => {
      const restored = await restoreCheckin(change.tx, this.days, id);
      if (!restored) throw new DomainError(404, 'Not found', `There is no deleted check-in with id ${id}.`);
      await change.audit({ action: 'restore', entity: 'checkin', entityId: id, after: restored });
      await change.emit('checkin.restored', { ...restored });
      change.announce('attendance');
      return restored;
    });
  }

  /**
   * Whether `actor` recorded the live entry `id` itself (with an Idempotency-Key, as the kiosk always
   * sends one), and not merely got it back as a duplicate. Asked inside a change's transaction.
   */
  async recordedBy(tx: Queryable, actor: Actor, id: number): Promise<boolean> {
    return recordedWithKey(tx, id, storedKeyPrefix(actor));
  }

  // ---- Reads ---------------------------------------------------------------------------------------

  /** One live entry. */
  async get(actor: Actor, id: number): Promise<CheckinEntry> {
    const scope = readScope(actor);
    const entry = await findCheckin(this.db, this.days, id);
    if (!entry || !(await this.reaches(scope, entry))) throw DomainError.notFound(id);
    return entry;
  }

  /** One entry whether deleted or not (the entry page shows deleted ones so they can be restored). */
  async findStored(actor: Actor, id: number): Promise<StoredCheckin | undefined> {
    const scope = readScope(actor);
    const entry = await findStoredCheckin(this.db, this.days, id);
    return entry && (await this.reaches(scope, entry)) ? entry : undefined;
  }

  /** The changes of one entry, newest first, for whoever may read the entry (404 otherwise). */
  async history(actor: Actor, id: number): Promise<AuditEntry[]> {
    const scope = readScope(actor);
    const entry = await findStoredCheckin(this.db, this.days, id);
    if (!entry || !(await this.reaches(scope, entry))) throw DomainError.notFound(id);
    return listAudit(this.db, this.days.timezone, { entity: 'checkin', entityId: String(id), limit: 50 });
  }

  /** Whether an entry is within the reader's scope: a leader's are those of the people in their groups. */
  private async reaches(scope: ReadScope, entry: { personId: number | null }): Promise<boolean> {
    if (scope === 'all') return true;
    return entry.personId !== null && isMemberOfAny(this.db, entry.personId, scope.groups);
  }

  /**
   * One page of a day's entries in id order (`asc`, oldest first) or newest first (`desc`), filtered by
   * gate and name words (searchTerms: the person_fold rule, either name order); nextCursor pages on,
   * prevCursor back. Paging back to the start answers the first page itself, so a newest-first list that
   * is paged back to the top shows the newest entries again, not just the few before the page it left.
   */
  async listDay(actor: Actor, query: ListQuery): Promise<CheckinPage> {
    const scope = readScope(actor);
    return this.pageOfDay(query, scope === 'all' ? undefined : scope.groups);
  }

  private async pageOfDay(query: ListQuery, ofGroups?: readonly number[]): Promise<CheckinPage> {
    const order = query.order ?? 'asc';
    const nameTerms = searchTerms(query.q);
    if (nameTerms === null) return { items: [], nextCursor: null, prevCursor: null };
    const filter: CheckinFilter = { day: this.days.bounds(query.day), gate: query.gate, nameTerms, ofGroups };
    // A cursor is bound to the filters (and the order) it was issued for, so it cannot silently page another list.
    const print = fingerprint([query.day, filter.gate ?? null, filter.nameTerms ?? [], ...(order === 'asc' ? [] : [order])]);
    const position = decodePosition(query.cursor, print, order === 'asc' ? 'filters (date, gate, q)' : 'filters (date, gate, q, order)');
    // One row more than asked tells whether another page exists without a count.
    const walk = walkOf(order, position);
    const rows = await listCheckins(this.db, this.days, filter, position, walk, query.limit + 1);
    const page = twoWayPageOf(rows, query.limit, print, order, position);
    if (position !== undefined && walk !== order && page.prevCursor === null)
      return this.pageOfDay({ ...query, cursor: undefined }, ofGroups);
    return page;
  }

  /** Totals of an attendance day (of one gate), per gate and per hour in APP_TIMEZONE, and who is inside. */
  async summarizeDay(actor: Actor, day: string, gate?: string): Promise<DaySummary> {
    authorize(actor, 'attendance:read');
    const { timezone, dayStartsAt } = this.deps.config;
    const bounds: DayBounds = this.days.bounds(day);
    return {
      date: day,
      timezone,
      dayStartsAt,
      startsAt: isoInZone(bounds.start, timezone),
      endsAt: isoInZone(bounds.end, timezone),
      gate: gate ?? null,
      ...(await daySummary(this.db, this.days, bounds, gate)),
    };
  }

  /** The gates a day's entries can be filtered by (the day's own and the managed list). */
  async gatesToFilter(actor: Actor, day: string): Promise<string[]> {
    authorize(actor, 'attendance:read');
    return gatesOfDay(this.db, this.days.bounds(day));
  }

  /**
   * The seed's attendance sheet of a calendar day (day-sheet.ts: the seed keeps calendar days, whatever
   * DAY_STARTS_AT says); answers 'not_modified' when `ifNoneMatch`
   * names its current ETag.
   */
  async daySheet(actor: Actor, day: string, ifNoneMatch?: string): Promise<DaySheetRead> {
    authorize(actor, 'attendance:read');
    return this.sheets.read(day, ifNoneMatch);
  }

  /**
   * The CSV export of the days from `range.from` to `range.to` (at most EXPORT_MAX_DAYS), streamed from
   * the database (csv.ts). Days are checked calendar dates (YYYY-MM-DD).
   */
  exportCsv(actor: Actor, range: ExportRange, options: { bom?: boolean } = {}): Readable {
    authorize(actor, 'attendance:read');
    if (range.to < range.from) throw DomainError.invalid('to', `must not be before from (${range.from})`);
    if (daysBetween(range.from, range.to) + 1 > EXPORT_MAX_DAYS) {
      throw DomainError.invalid('to', `the range may cover at most ${EXPORT_MAX_DAYS} days; split the export`);
    }
    return exportCsv(this.db, this.days, range, options);
  }
}
