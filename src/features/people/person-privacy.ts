// A person's data on request: the export of everything stored about them (JSON, and their check-ins as
// CSV), and their erasure. Both are audited in the same transaction as what they do. An erasure deletes
// for good (it is not the soft delete of a correction): the person, memberships, excuses and check-ins
// go, the audit records about them keep who did what and when but lose the person's names, e-mail,
// external reference and excuse reasons (the retention's tombstone), and one record of the erasure
// remains that holds nothing but counts. The attendance sheet's viewers are told once it is committed.
import { recordAudit, type AuditEntry } from '../audit/audit-log.js';
import type { AttendanceObservers } from '../checkins/checkin-service.js';
import { CHECKIN_CSV_COLUMNS } from '../checkins/checkin-repository.js';
import type { Database, Queryable } from '../../db/database.js';
import {
  eraseTheirData,
  findMatchKey,
  listAuditAbout,
  listMemberships,
  listTheirCheckins,
  listTheirExcuses,
  theirCheckinsCsv,
  THEIR_CHECKINS_CSV_COLUMNS,
  type ErasedCounts,
  type Membership,
  type PersonCheckin,
  type PersonExcuse,
} from './person-data-repository.js';
import { findPerson, type Person } from './person-repository.js';
import { DomainError } from '../../domain/domain-error.js';

export interface PersonExport {
  exportedAt: string;
  person: Person;
  memberships: Membership[];
  excuses: PersonExcuse[];
  checkins: PersonCheckin[];
  audit: AuditEntry[];
}

/** The header line of a person's check-ins as CSV: the check-in export's columns, then deleted_at and matched_by. */
export const PERSON_CSV_HEADER = `${CHECKIN_CSV_COLUMNS},${THEIR_CHECKINS_CSV_COLUMNS}\r\n`;

/** The person's match_key, in a transaction that audits the export; 404 when there is no such person. */
async function matchKeyOf(tx: Queryable, id: number, lock = false): Promise<string> {
  const key = await findMatchKey(tx, id, lock);
  if (key === undefined) throw DomainError.notFoundOf('person', id);
  return key;
}

/** Everything stored about a person, read in one transaction with the audit record of the export. */
export async function exportPerson(db: Database, actor: string, id: number): Promise<PersonExport> {
  return db.transaction(async (tx) => {
    const key = await matchKeyOf(tx, id);
    const person = (await findPerson(tx, id))!;
    const checkins = await listTheirCheckins(tx, id, key);
    const data: PersonExport = {
      exportedAt: new Date().toISOString(),
      person,
      memberships: await listMemberships(tx, id),
      excuses: await listTheirExcuses(tx, id),
      checkins,
      audit: await listAuditAbout(
        tx,
        id,
        key,
        checkins.map((c) => c.id),
      ),
    };
    await recordAudit(tx, { actor, action: 'export', entity: 'person', entityId: id, after: { format: 'json' } });
    return data;
  });
}

/** The person's check-ins as RFC 4180 CSV with a header line (formula-safe, like the check-in export). */
export async function exportPersonCsv(db: Database, actor: string, id: number): Promise<string> {
  return db.transaction(async (tx) => {
    const csv = await theirCheckinsCsv(tx, id, await matchKeyOf(tx, id));
    await recordAudit(tx, { actor, action: 'export', entity: 'person', entityId: id, after: { format: 'csv' } });
    return PERSON_CSV_HEADER + csv;
  });
}

/** What an erasure removed (the answer of the API, and the only content of its audit record). */
export type Erasure = ErasedCounts;

/** Erases a person and everything stored about them, in one transaction; see the module comment. */
export async function erasePerson(
  db: Database,
  observers: Pick<AttendanceObservers, 'events'>,
  actor: string,
  id: number,
): Promise<Erasure> {
  const erased = await db.transaction(async (tx) => {
    const counts = await eraseTheirData(tx, id, await matchKeyOf(tx, id, true));
    await recordAudit(tx, { actor, action: 'erase', entity: 'person', entityId: id, after: counts });
    return counts;
  });
  if (erased.checkins > 0) observers.events.changed();
  return erased;
}
