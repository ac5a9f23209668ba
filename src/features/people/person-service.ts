// The rules for people, and PersonService, the only door to them: names trimmed and non-blank, an
// external reference unique when given, an e-mail that looks like one, and a badge code nobody can
// guess. Every change is made through domain/changes.ts, audited in the same transaction as the change.
//
// Who may do what (domain/actor.ts): 'people:read' reads people (a leader only the members of their
// groups; anyone else is 404 to them), 'people:write' creates, changes, removes and reissues badges,
// 'people:erase' (owners) erases. Exporting a person's data is for owners and managers: it holds the
// audit records about the person, so it needs 'audit:read' besides 'people:read'.
import { randomBytes } from 'node:crypto';
import type { Queryable } from '../../db/database.js';
import { type Actor, authorize, can, scopeOf } from '../../domain/actor.js';
import { DomainError } from '../../domain/domain-error.js';
import type { CsvOptions } from '../../domain/csv.js';
import { decodeCursor, fingerprint, pageOf } from '../../domain/keyset-cursor.js';
import type { ServiceDeps } from '../../services.js';
import { countMemberships, forgetContactDetails, listMemberships, type Membership } from './person-data-repository.js';
import { cancelPendingMailOf } from '../mail/mail-repository.js';
import { cancelPendingOfPerson } from '../webhooks/webhook-repository.js';
import { collectCsv, collectExport, eraseEverything, type Erasure, type PersonExport } from './person-privacy.js';
import {
  deletePerson as deletePersonRow,
  findPerson,
  insertPerson,
  isMemberOfAny,
  listPeople,
  listPeopleByName,
  type NameKeyset,
  setBadge,
  updatePerson,
  type Person,
  type PersonFields,
} from './person-repository.js';

const TEXT_MAX = 100;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** 144 random bits, URL-safe: 24 characters that fit a small QR code and a scanner's keyboard wedge. */
export function newBadge(): string {
  return randomBytes(18).toString('base64url');
}

/** A trimmed text field, or the reason it is not acceptable. */
export function checkText(value: string, required: boolean, max = TEXT_MAX): { value: string } | { error: string } {
  const trimmed = value.trim();
  if (trimmed.includes('\u0000')) return { error: 'must not contain NUL characters' };
  if (required && trimmed === '') return { error: 'must not be blank' };
  if ([...trimmed].length > max) return { error: `must be at most ${max} characters` };
  return { value: trimmed };
}

export function checkEmail(value: string): { value: string | null } | { error: string } {
  const trimmed = value.trim();
  if (trimmed === '') return { value: null };
  if (trimmed.length > 254 || !EMAIL.test(trimmed)) return { error: 'must be an e-mail address like name@example.org' };
  return { value: trimmed };
}

function text(field: string, value: string, required: boolean): string {
  const checked = checkText(value, required);
  if ('error' in checked) throw DomainError.invalid(field, checked.error);
  return checked.value;
}

function optionalText(field: string, value: string | null): string | null {
  if (value === null) return null;
  const cleaned = text(field, value, false);
  return cleaned === '' ? null : cleaned;
}

function email(value: string | null): string | null {
  if (value === null) return null;
  const checked = checkEmail(value);
  if ('error' in checked) throw DomainError.invalid('email', checked.error);
  return checked.value;
}

/** A unique violation on the external reference becomes a 409 naming the field. */
export async function uniqueExternalRef<T>(work: () => Promise<T>, externalRef: string | null): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const e = error as { code?: string; constraint?: string; message?: string };
    if (e.code === '23505' && (e.constraint === 'people_external_ref_key' || (e.message ?? '').includes('people_external_ref_key'))) {
      throw DomainError.conflict(
        'externalRef',
        externalRef === null
          ? 'an external reference was taken by another change meanwhile; retry'
          : `"${externalRef}" already belongs to another person`,
      );
    }
    throw error;
  }
}

/** What an audit record keeps of a person: never the badge code (a credential). */
const audited = (person: Person) => ({
  firstname: person.firstname,
  lastname: person.lastname,
  externalRef: person.externalRef,
  email: person.email,
});

export interface PersonInput {
  firstname: string;
  lastname: string;
  externalRef?: string | null;
  email?: string | null;
}

export interface PeopleQuery {
  q?: string;
  limit: number;
  cursor?: string;
  /** 'id' (the API's order: as created) or 'name' (last name, first name: the People page). */
  order?: 'id' | 'name';
}

export interface PersonPage {
  items: Person[];
  nextCursor: string | null;
}

/** Whether the actor may export a person's data: owners and managers (see the module comment). */
export function mayExportPersonData(actor: Actor): boolean {
  return can(actor, 'people:read') && can(actor, 'audit:read');
}

/** The groups a leader's read is narrowed to; undefined for every group. */
function groupsOf(scope: ReturnType<typeof scopeOf>): readonly number[] | undefined {
  return scope === 'all' ? undefined : scope.groups;
}

/** A cursor of the name order: the last row's sort key, bound to the filters like every cursor. */
function encodeNameCursor(key: NameKeyset, filterPrint: string): string {
  return Buffer.from(JSON.stringify({ name: [key.lastname, key.firstname], after: key.id, f: filterPrint })).toString('base64url');
}

function decodeNameCursor(cursor: string | undefined, filterPrint: string): NameKeyset | undefined {
  if (cursor === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw DomainError.invalid('cursor', 'is not a cursor issued by this API');
  }
  const { name, after, f } = (parsed ?? {}) as { name?: unknown; after?: unknown; f?: unknown };
  if (
    !Array.isArray(name) ||
    name.length !== 2 ||
    !name.every((part) => typeof part === 'string' && part.length <= 1000) ||
    typeof after !== 'number' ||
    !Number.isSafeInteger(after) ||
    after < 0 ||
    typeof f !== 'string'
  ) {
    throw DomainError.invalid('cursor', 'is not a cursor issued by this API');
  }
  if (f !== filterPrint) throw DomainError.invalid('cursor', 'belongs to a list with other filters');
  return { lastname: name[0] as string, firstname: name[1] as string, id: after };
}

async function searchIn(db: Queryable, timezone: string, query: PeopleQuery, groups?: readonly number[]): Promise<PersonPage> {
  // Words split at spaces and commas: "Lovelace, Ada" is the words "Lovelace" and "Ada".
  const words = (query.q ?? '').split(/[\s,;]+/).filter((word) => word !== '');
  if (query.order === 'name') {
    const namePrint = fingerprint(['people', 'name', words]);
    const rows = await listPeopleByName(db, words, decodeNameCursor(query.cursor, namePrint), query.limit + 1, groups);
    const items = rows.slice(0, query.limit);
    const last = items.at(-1);
    return {
      items: items.map(({ sortKey: _key, ...person }) => person),
      nextCursor: rows.length > query.limit && last ? encodeNameCursor(last.sortKey, namePrint) : null,
    };
  }
  const filterPrint = fingerprint(['people', words]);
  const afterId = decodeCursor(query.cursor, filterPrint);
  return pageOf(await listPeople(db, words, afterId, query.limit + 1, groups, timezone), query.limit, filterPrint);
}

/** A person as an actor sees them: without the badge code unless they may change people. */
export type SeenPerson = Omit<Person, 'badge'> & { badge: string | null };

/**
 * A badge code checks its holder in: only those who may change people (and print badges) see it; a
 * viewer or a leader sees null.
 */
export function seenBy<T extends { badge: string }>(actor: Actor, person: T): Omit<T, 'badge'> & { badge: string | null } {
  return can(actor, 'people:write') ? person : { ...person, badge: null };
}

export class PersonService {
  constructor(private readonly deps: ServiceDeps) {}

  // ---- Reads ------------------------------------------------------------------------------------

  /** One page of the people the actor may see, in id or name order (a leader: the members of their groups). */
  async search(actor: Actor, query: PeopleQuery): Promise<{ items: SeenPerson[]; nextCursor: string | null }> {
    const page = await searchIn(this.deps.db, this.deps.config.timezone, query, groupsOf(scopeOf(actor, 'people:read')));
    return { ...page, items: page.items.map((person) => seenBy(actor, person)) };
  }

  /** The person, or undefined when there is none or the actor may not see them. */
  async find(actor: Actor, id: number): Promise<SeenPerson | undefined> {
    const groups = groupsOf(scopeOf(actor, 'people:read'));
    const person = await findPerson(this.deps.db, id, false, this.deps.config.timezone);
    if (person === undefined) return undefined;
    if (groups !== undefined && !(await isMemberOfAny(this.deps.db, id, groups))) return undefined;
    return seenBy(actor, person);
  }

  /** The person; 404 when there is none or the actor may not see them (their existence is private). */
  async get(actor: Actor, id: number): Promise<SeenPerson> {
    const person = await this.find(actor, id);
    if (!person) throw DomainError.notFoundOf('person', id);
    return person;
  }

  /** The person's groups (a leader sees only their own among them); 404 as get. */
  async memberships(actor: Actor, personId: number): Promise<Membership[]> {
    await this.get(actor, personId);
    return listMemberships(this.deps.db, personId, this.deps.config.timezone, groupsOf(scopeOf(actor, 'people:read')));
  }

  /** How many groups each of `ids` belongs to (for a leader: of their groups); people without one are left out. */
  async membershipCounts(actor: Actor, ids: readonly number[]): Promise<Map<number, number>> {
    return countMemberships(this.deps.db, ids, groupsOf(scopeOf(actor, 'people:read')));
  }

  // ---- Changes ----------------------------------------------------------------------------------

  async create(actor: Actor, input: PersonInput): Promise<Person> {
    authorize(actor, 'people:write');
    const fields: PersonFields = {
      firstname: text('firstname', input.firstname, true),
      lastname: text('lastname', input.lastname, true),
      externalRef: optionalText('externalRef', input.externalRef ?? null),
      email: email(input.email ?? null),
    };
    return uniqueExternalRef(
      () =>
        this.deps.changes.run(actor, async (change) => {
          const person = await insertPerson(change.tx, fields, newBadge(), this.deps.config.timezone);
          await change.audit({ action: 'create', entity: 'person', entityId: person.id, after: audited(person) });
          return person;
        }),
      fields.externalRef,
    );
  }

  /** Fields left out keep their value; null removes the external reference or e-mail. */
  async change(actor: Actor, id: number, changes: Partial<PersonInput>): Promise<Person> {
    authorize(actor, 'people:write');
    const cleaned = {
      firstname: changes.firstname === undefined ? undefined : text('firstname', changes.firstname, true),
      lastname: changes.lastname === undefined ? undefined : text('lastname', changes.lastname, true),
      externalRef: changes.externalRef === undefined ? undefined : optionalText('externalRef', changes.externalRef),
      email: changes.email === undefined ? undefined : email(changes.email),
    };
    return uniqueExternalRef(
      () =>
        this.deps.changes.run(actor, async (change) => {
          const current = await findPerson(change.tx, id, true, this.deps.config.timezone);
          if (!current) throw DomainError.notFoundOf('person', id);
          const updated = await updatePerson(
            change.tx,
            id,
            {
              firstname: cleaned.firstname ?? current.firstname,
              lastname: cleaned.lastname ?? current.lastname,
              externalRef: cleaned.externalRef === undefined ? current.externalRef : cleaned.externalRef,
              email: cleaned.email === undefined ? current.email : cleaned.email,
            },
            this.deps.config.timezone,
          );
          if (!updated) throw DomainError.notFoundOf('person', id);
          await change.audit({ action: 'update', entity: 'person', entityId: id, before: audited(current), after: audited(updated) });
          return updated;
        }),
      cleaned.externalRef ?? null,
    );
  }

  /** A new badge code; the old one stops working at once. */
  async reissueBadge(actor: Actor, id: number): Promise<Person> {
    authorize(actor, 'people:write');
    return this.deps.changes.run(actor, async (change) => {
      const person = await setBadge(change.tx, id, newBadge(), this.deps.config.timezone);
      if (!person) throw DomainError.notFoundOf('person', id);
      // The codes themselves are not audited: a badge is a credential.
      await change.audit({ action: 'reissue-badge', entity: 'person', entityId: id });
      return person;
    });
  }

  /**
   * Deletes a person, their memberships and excuses; their check-ins stay, no longer linked to them.
   * Once the person is gone nobody can erase them, so the audit log keeps only what says who was removed
   * (their names): their e-mail, external reference and excuse reasons are tombstoned in every record.
   * Mail still waiting for or about them is cancelled.
   */
  async remove(actor: Actor, id: number): Promise<void> {
    authorize(actor, 'people:write');
    await this.deps.changes.run(actor, async (change) => {
      const current = await findPerson(change.tx, id, true, this.deps.config.timezone);
      if (!current) throw DomainError.notFoundOf('person', id);
      await cancelPendingMailOf(change.tx, id); // before the row goes with the log rows about them
      if (!(await deletePersonRow(change.tx, id))) throw DomainError.notFoundOf('person', id);
      await forgetContactDetails(change.tx, id);
      await change.audit({
        action: 'delete',
        entity: 'person',
        entityId: id,
        before: { firstname: current.firstname, lastname: current.lastname },
      });
      // Their memberships went with them: registers and the sheet's "not arrived yet" list change.
      change.announce('attendance');
    });
  }

  // ---- A person's data: export and erasure ------------------------------------------------------

  /** Everything stored about a person, read in one transaction with the audit record of the export. */
  async export(actor: Actor, id: number): Promise<PersonExport> {
    authorizeExport(actor);
    return this.deps.changes.run(actor, async (change) => {
      const data = await collectExport(change.tx, id, this.deps.config.timezone);
      await change.audit({ action: 'export', entity: 'person', entityId: id, after: { format: 'json' } });
      return data;
    });
  }

  /** The person's check-ins as RFC 4180 CSV with a header line, audited like the JSON export. */
  async exportCsv(actor: Actor, id: number, options: CsvOptions = {}): Promise<string> {
    authorizeExport(actor);
    return this.deps.changes.run(actor, async (change) => {
      const csv = await collectCsv(change.tx, id, this.deps.config.timezone, options);
      await change.audit({ action: 'export', entity: 'person', entityId: id, after: { format: 'csv' } });
      return csv;
    });
  }

  /** Erases a person and everything stored about them (person-privacy.ts), in one transaction. */
  async erase(actor: Actor, id: number): Promise<Erasure> {
    authorize(actor, 'people:erase');
    return this.deps.changes.run(actor, async (change) => {
      // Their mail still waiting (badges to them, absence alerts to their contacts) is not sent: cancelled
      // before their row goes, which takes the message log's rows about them along.
      await cancelPendingMailOf(change.tx, id);
      const counts = await eraseEverything(change.tx, id);
      await change.audit({ action: 'erase', entity: 'person', entityId: id, after: counts });
      // Other systems are told which person to forget: the id only, never a name; their check-in events
      // still waiting are not sent after that.
      await cancelPendingOfPerson(change.tx, id);
      await change.emit('person.erased', { id });
      // Their check-ins, memberships and excuses leave the sheets and registers.
      change.announce('attendance');
      return counts;
    });
  }
}

function authorizeExport(actor: Actor): void {
  authorize(actor, 'people:read');
  if (!mayExportPersonData(actor)) throw DomainError.forbidden("Only owners and managers may export a person's data.");
}
