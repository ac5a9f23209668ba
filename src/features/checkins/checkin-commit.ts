// What one batch of check-in writes does in the database (the group-commit writer decides which
// requests share a batch). A batch without checks is one multi-row INSERT. A batch where some request
// carries an Idempotency-Key or asks for duplicate detection is one call of the record_checkins
// function (migrations/0020_record_checkins_function.sql), one statement and one transaction:
//
//   1. lock every person-at-gate that is checked for duplicates (advisory locks, in a fixed order), so a
//      concurrent writer of another replica either committed before us (and we see its row) or waits;
//   2. claim every Idempotency-Key; a key that existed answers with its first request's entry (replay),
//      or with a 422 when the body differs, or a 409 when that entry has since been deleted;
//   3. insert every other request unless a recent entry of the same person, gate and direction exists
//      (it answers with that entry), and record which entry answered each claimed key.
//
// Each request gets its own outcome; a 422/409 for one request is an answer, not a failure of the batch.
// The writer never puts two requests with the same key or the same person-at-gate into one batch, and
// never runs two batches that share one at once, so the steps never have to compare rows of one batch.
import type { Queryable } from '../../db/database.js';
import { DomainError } from '../../domain/domain-error.js';
import { type CheckinEntry, type NewCheckin, insertCheckins, personAtGate, recordCheckins } from './checkin-repository.js';
import { nameKey } from './person-name.js';

/** The checks a write asks for. */
export interface WriteChecks {
  /** Answer with an existing entry of the same person, gate and direction this close in time; 0 or absent = off. */
  duplicateWindowSeconds?: number;
  /** Idempotency-Key and the hash of the cleaned request it was sent with. */
  idempotency?: { key: string; requestHash: string };
}

export interface WriteRequest {
  checkin: NewCheckin;
  checks: WriteChecks;
}

export interface WriteOutcome {
  entry: CheckinEntry;
  /** The person was already recorded within the duplicate window: `entry` is that earlier entry. */
  duplicate: boolean;
  /** The Idempotency-Key was seen before: this is the first request's answer again. */
  replayed: boolean;
}

/** The names the writer uses to keep requests that must not share a batch apart. */
export function conflictKeys(request: WriteRequest): string[] {
  const keys: string[] = [];
  if (request.checks.idempotency) keys.push(`key:${request.checks.idempotency.key}`);
  if ((request.checks.duplicateWindowSeconds ?? 0) > 0) {
    keys.push(`person:${personAtGate(nameKey(request.checkin.firstname, request.checkin.lastname), request.checkin.gate)}`);
  }
  return keys;
}

const isChecked = (request: WriteRequest) => request.checks.idempotency !== undefined || (request.checks.duplicateWindowSeconds ?? 0) > 0;

/** Commits one batch; answers in input order, each an outcome or the problem to answer that request with. */
export async function commitCheckins(db: Queryable, requests: readonly WriteRequest[]): Promise<(WriteOutcome | Error)[]> {
  if (!requests.some(isChecked)) {
    const entries = await insertCheckins(
      db,
      requests.map((request) => request.checkin),
    );
    return entries.map((entry) => ({ entry, duplicate: false, replayed: false }));
  }
  const answers = await recordCheckins(
    db,
    requests.map(({ checkin, checks }) => ({
      checkin,
      windowSeconds: checks.duplicateWindowSeconds ?? 0,
      idempotency: checks.idempotency,
    })),
  );
  return answers.map(({ outcome, entry }): WriteOutcome | Error => {
    switch (outcome) {
      case 'new':
        return { entry, duplicate: false, replayed: false };
      case 'duplicate':
        return { entry, duplicate: true, replayed: false };
      case 'replay':
      case 'replay-duplicate':
        return { entry, duplicate: outcome === 'replay-duplicate', replayed: true };
      case 'mismatch':
        return new DomainError(
          422,
          'Idempotency-Key reused',
          'This Idempotency-Key was already used with a different request body; use a new key for a new check-in.',
          [{ field: 'Idempotency-Key', message: 'already used with a different request body' }],
        );
      case 'deleted':
        return new DomainError(
          409,
          'Entry deleted',
          `The check-in created with this Idempotency-Key (id ${entry.id}) has since been deleted.`,
        );
    }
  });
}
