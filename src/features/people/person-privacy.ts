// A person's data on request: the export of everything stored about them (JSON, and their check-ins as
// CSV), and their erasure. PersonService runs each inside a change, with its audit record. An erasure
// deletes for good (it is not the soft delete of a correction): the person, memberships, excuses and
// check-ins go, the audit records about them keep who did what and when but lose the person's names,
// e-mail, external reference and excuse reasons (the retention's tombstone), and one record of the
// erasure remains that holds nothing but counts.
import type { AuditEntry } from '../audit/audit-log.js';
import { CHECKIN_CSV_COLUMNS } from '../checkins/checkin-repository.js';
import type { Queryable } from '../../db/database.js';
import {
  eraseTheirData,
  findNameKeys,
  listAuditAbout,
  listMemberships,
  listTheirCheckins,
  listTheirExcuses,
  theirCheckinsCsv,
  THEIR_CHECKINS_CSV_COLUMNS,
  type ErasedCounts,
  type Membership,
  type NameKeys,
  type PersonCheckin,
  type PersonExcuse,
} from './person-data-repository.js';
import { findPerson, type Person } from './person-repository.js';
import { DomainError } from '../../domain/domain-error.js';
import { isoInZone } from '../../domain/attendance-day.js';
import { csvHeader, type CsvOptions } from '../../domain/csv.js';

export interface PersonExport {
  exportedAt: string;
  person: Person;
  memberships: Membership[];
  excuses: PersonExcuse[];
  checkins: PersonCheckin[];
  audit: AuditEntry[];
}

/** The columns of a person's check-ins as CSV: the check-in export's columns, then deleted_at and matched_by. */
const PERSON_CSV_COLUMNS = `${CHECKIN_CSV_COLUMNS},${THEIR_CHECKINS_CSV_COLUMNS}`;

/** What an erasure removed (the answer of the API, and the only content of its audit record). */
export type Erasure = ErasedCounts;

/** The person's name keys; 404 when there is no such person. */
async function nameKeysOf(tx: Queryable, id: number, lock = false): Promise<NameKeys> {
  const names = await findNameKeys(tx, id, lock);
  if (names === undefined) throw DomainError.notFoundOf('person', id);
  return names;
}

/** Everything stored about a person, read in the transaction `tx` (the one that audits the export). */
export async function collectExport(tx: Queryable, id: number, timezone: string): Promise<PersonExport> {
  const names = await nameKeysOf(tx, id);
  const person = (await findPerson(tx, id, false, timezone))!;
  const checkins = await listTheirCheckins(tx, id, names, timezone);
  return {
    exportedAt: isoInZone(new Date().toISOString(), timezone),
    person,
    memberships: await listMemberships(tx, id, timezone),
    excuses: await listTheirExcuses(tx, id, timezone),
    checkins,
    audit: await listAuditAbout(
      tx,
      id,
      names,
      checkins.map((c) => c.id),
      timezone,
    ),
  };
}

/** The person's check-ins as CSV with a header line, in the one CSV format of domain/csv.ts (like the check-in export). */
export async function collectCsv(tx: Queryable, id: number, timezone: string, options: CsvOptions = {}): Promise<string> {
  return csvHeader(PERSON_CSV_COLUMNS, options) + (await theirCheckinsCsv(tx, id, await nameKeysOf(tx, id), timezone));
}

/** Erases a person and everything stored about them in the transaction `tx`; see the module comment. */
export async function eraseEverything(tx: Queryable, id: number): Promise<Erasure> {
  return eraseTheirData(tx, id, await nameKeysOf(tx, id, true));
}
