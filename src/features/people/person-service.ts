// The rules for people: names trimmed and non-blank, an external reference unique when given, an
// e-mail that looks like one, and a badge code nobody can guess. Every change is audited in the same
// transaction as the change itself.
import { randomBytes } from 'node:crypto';
import { recordAudit } from '../audit/audit-log.js';
import type { Database, Queryable } from '../../db/database.js';
import { decodeCursor, fingerprint, pageOf } from '../../domain/keyset-cursor.js';
import {
  deletePerson as deletePersonRow,
  findPerson,
  insertPerson,
  listPeople,
  setBadge,
  updatePerson,
  type Person,
  type PersonFields,
} from './person-repository.js';
import { DomainError } from '../../domain/domain-error.js';

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

export async function createPerson(db: Database, actor: string, input: PersonInput): Promise<Person> {
  const fields: PersonFields = {
    firstname: text('firstname', input.firstname, true),
    lastname: text('lastname', input.lastname, true),
    externalRef: optionalText('externalRef', input.externalRef ?? null),
    email: email(input.email ?? null),
  };
  return uniqueExternalRef(
    () =>
      db.transaction(async (tx) => {
        const person = await insertPerson(tx, fields, newBadge());
        await recordAudit(tx, { actor, action: 'create', entity: 'person', entityId: person.id, after: audited(person) });
        return person;
      }),
    fields.externalRef,
  );
}

export async function getPerson(db: Queryable, id: number): Promise<Person> {
  const person = await findPerson(db, id);
  if (!person) throw DomainError.notFoundOf('person', id);
  return person;
}

export async function changePerson(db: Database, actor: string, id: number, changes: Partial<PersonInput>): Promise<Person> {
  const cleaned = {
    firstname: changes.firstname === undefined ? undefined : text('firstname', changes.firstname, true),
    lastname: changes.lastname === undefined ? undefined : text('lastname', changes.lastname, true),
    externalRef: changes.externalRef === undefined ? undefined : optionalText('externalRef', changes.externalRef),
    email: changes.email === undefined ? undefined : email(changes.email),
  };
  return uniqueExternalRef(
    () =>
      db.transaction(async (tx) => {
        const current = await findPerson(tx, id, true);
        if (!current) throw DomainError.notFoundOf('person', id);
        const updated = await updatePerson(tx, id, {
          firstname: cleaned.firstname ?? current.firstname,
          lastname: cleaned.lastname ?? current.lastname,
          externalRef: cleaned.externalRef === undefined ? current.externalRef : cleaned.externalRef,
          email: cleaned.email === undefined ? current.email : cleaned.email,
        });
        if (!updated) throw DomainError.notFoundOf('person', id);
        await recordAudit(tx, {
          actor,
          action: 'update',
          entity: 'person',
          entityId: id,
          before: audited(current),
          after: audited(updated),
        });
        return updated;
      }),
    cleaned.externalRef ?? null,
  );
}

/** A new badge code; the old one stops working at once. */
export async function reissueBadge(db: Database, actor: string, id: number): Promise<Person> {
  return db.transaction(async (tx) => {
    const person = await setBadge(tx, id, newBadge());
    if (!person) throw DomainError.notFoundOf('person', id);
    // The codes themselves are not audited: a badge is a credential.
    await recordAudit(tx, { actor, action: 'reissue-badge', entity: 'person', entityId: id });
    return person;
  });
}

/** Deletes a person, their memberships and excuses; their check-ins stay, no longer linked to them. */
export async function removePerson(db: Database, actor: string, id: number): Promise<void> {
  await db.transaction(async (tx) => {
    const current = await findPerson(tx, id, true);
    if (!current || !(await deletePersonRow(tx, id))) throw DomainError.notFoundOf('person', id);
    await recordAudit(tx, { actor, action: 'delete', entity: 'person', entityId: id, before: audited(current) });
  });
}

export async function searchPeople(
  db: Queryable,
  query: { q?: string; limit: number; cursor?: string },
): Promise<{ items: Person[]; nextCursor: string | null }> {
  // Words split at spaces and commas: "Lovelace, Ada" is the words "Lovelace" and "Ada".
  const words = (query.q ?? '').split(/[\s,;]+/).filter((word) => word !== '');
  const filterPrint = fingerprint(['people', words]);
  const afterId = decodeCursor(query.cursor, filterPrint);
  return pageOf(await listPeople(db, words, afterId, query.limit + 1), query.limit, filterPrint);
}
