// What one batch of check-in writes does in the database (the group-commit writer decides which
// requests share a batch). A batch without checks is one multi-row INSERT. A batch where some request
// carries an Idempotency-Key or asks for duplicate detection runs in one transaction:
//
//   1. lock every person-at-gate that is checked for duplicates (advisory locks, in a fixed order);
//   2. claim every Idempotency-Key; a key that existed answers with its first request's entry (replay),
//      or with a 422 when the body differs, or a 409 when that entry has since been deleted;
//   3. in one statement, insert every request not answered yet, except those for which a recent entry
//      of the same person, gate and direction exists (they answer with it);
//   4. record which entry answered each claimed key.
//
// Each request gets its own outcome; a 422/409 for one request is an answer, not a failure of the batch.
// The writer never puts two requests with the same key or the same person-at-gate into one batch, and
// never runs two batches that share one at once, so the steps never have to compare rows of one batch.
import type { Database, Queryable } from '../db/database.js';
import { CheckinProblem } from './checkin-problem.js';
import {
  type CheckinEntry,
  type NewCheckin,
  claimIdempotencyKeys,
  completeIdempotencyKeys,
  findCheckins,
  findIdempotencyKeys,
  insertCheckins,
  insertCheckinsUnlessDuplicate,
  lockPeopleAtGates,
  personAtGate,
} from './checkin-repository.js';
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

/** What a batch needs of the database: statements, and a transaction when checks are asked for. */
export type WriterDatabase = Queryable & Pick<Database, 'transaction'>;

const isChecked = (request: WriteRequest) => request.checks.idempotency !== undefined || (request.checks.duplicateWindowSeconds ?? 0) > 0;

/** Commits one batch; answers in input order, each an outcome or the problem to answer that request with. */
export async function commitCheckins(db: WriterDatabase, requests: readonly WriteRequest[]): Promise<(WriteOutcome | Error)[]> {
  if (!requests.some(isChecked)) {
    const entries = await insertCheckins(
      db,
      requests.map((request) => request.checkin),
    );
    return entries.map((entry) => ({ entry, duplicate: false, replayed: false }));
  }

  return db.transaction(async (tx) => {
    const outcomes: (WriteOutcome | Error | undefined)[] = new Array(requests.length).fill(undefined);
    const indices = requests.map((_, index) => index);
    const checkedForDuplicates = indices.filter((i) => (requests[i]!.checks.duplicateWindowSeconds ?? 0) > 0);
    const personKey = (i: number) => nameKey(requests[i]!.checkin.firstname, requests[i]!.checkin.lastname);

    // 1. Person-at-gate locks first: a concurrent batch of another replica waits here, then sees our rows.
    if (checkedForDuplicates.length > 0) {
      await lockPeopleAtGates(
        tx,
        checkedForDuplicates.map((i) => personAtGate(personKey(i), requests[i]!.checkin.gate)),
      );
    }

    // 2. Idempotency keys.
    const keyed = indices.filter((i) => requests[i]!.checks.idempotency !== undefined);
    const keyOf = (i: number) => requests[i]!.checks.idempotency!;
    const claimed = keyed.length > 0 ? await claimIdempotencyKeys(tx, keyed.map(keyOf)) : new Set<string>();
    const replays = keyed.filter((i) => !claimed.has(keyOf(i).key));
    if (replays.length > 0) {
      const records = await findIdempotencyKeys(
        tx,
        replays.map((i) => keyOf(i).key),
      );
      const entries = await findCheckins(
        tx,
        [...records.values()].flatMap((record) => (record.checkinId === null ? [] : [record.checkinId])),
      );
      for (const i of replays) {
        const record = records.get(keyOf(i).key);
        if (!record || record.checkinId === null) {
          outcomes[i] = new Error('idempotency key vanished while being read');
        } else if (record.requestHash !== keyOf(i).requestHash) {
          outcomes[i] = new CheckinProblem(
            422,
            'Idempotency-Key reused',
            'This Idempotency-Key was already used with a different request body; use a new key for a new check-in.',
            [{ field: 'Idempotency-Key', message: 'already used with a different request body' }],
          );
        } else {
          const entry = entries.get(record.checkinId);
          outcomes[i] = entry
            ? { entry, duplicate: record.duplicate, replayed: true }
            : new CheckinProblem(409, 'Entry deleted', `The check-in created with this Idempotency-Key (id ${record.checkinId}) has since been deleted.`);
        }
      }
    }

    // 3. Everything not answered by a replay: new, or a duplicate of a recent entry (one statement).
    const rest = indices.filter((i) => outcomes[i] === undefined);
    if (rest.length > 0) {
      const answers = await insertCheckinsUnlessDuplicate(
        tx,
        rest.map((i) => ({ checkin: requests[i]!.checkin, windowSeconds: requests[i]!.checks.duplicateWindowSeconds ?? 0 })),
      );
      rest.forEach((i, n) => (outcomes[i] = { ...answers[n]!, replayed: false }));
    }

    // 4. Claimed keys remember their answer.
    const answered = keyed.filter((i) => claimed.has(keyOf(i).key));
    if (answered.length > 0) {
      await completeIdempotencyKeys(
        tx,
        answered.map((i) => {
          const outcome = outcomes[i] as WriteOutcome;
          return { key: keyOf(i).key, checkinId: outcome.entry.id, duplicate: outcome.duplicate };
        }),
      );
    }
    return outcomes as (WriteOutcome | Error)[];
  });
}
