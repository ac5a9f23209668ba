// The rules of recording attendance: names are trimmed and non-blank, a kiosk may date an entry a
// little into the past, a retried request (same Idempotency-Key) never counts a person twice, and the
// same person passing the same gate in the same direction twice within the duplicate window is one entry.
// Each mutation is one exported function (create, correct, delete) so authorisation and auditing can
// wrap exactly it.
import { createHash } from 'node:crypto';
import type { Principal } from '../plugins/access-control.js';
import type { Database } from '../db/database.js';
import type { CheckinWriter } from './checkin-writer.js';
import { CheckinProblem } from './checkin-problem.js';
import type { WriteOutcome } from './checkin-commit.js';
import {
  arrivedBefore,
  type CheckinEntry,
  type CheckinFilter,
  type Direction,
  daySummary,
  findCheckin,
  findCheckinForUpdate,
  listCheckins,
  softDeleteCheckin,
  updateCheckin,
  type DaySummaryRow,
} from './checkin-repository.js';
import { foldText } from './person-name.js';

export interface CheckinRules {
  /** How far in the past occurredAt may be. */
  backdateWindowHours: number;
  /** 0 turns duplicate detection off. */
  duplicateWindowSeconds: number;
}

/** A kiosk clock running slightly ahead of the server's is not "the future". */
export const CLOCK_SKEW_SECONDS = 60;
const TEXT_MAX = 100;

export interface CreateCheckinInput {
  firstname: string;
  lastname: string;
  gate?: string;
  direction?: Direction;
  occurredAt?: string;
}

export type CreateCheckinResult = WriteOutcome;

function cleanText(field: string, value: string, required: boolean): string {
  const trimmed = value.trim();
  if (trimmed.includes('\u0000')) throw CheckinProblem.invalid(field, 'must not contain NUL characters');
  if (required && trimmed === '') throw CheckinProblem.invalid(field, 'must not be blank');
  if ([...trimmed].length > TEXT_MAX) throw CheckinProblem.invalid(field, `must be at most ${TEXT_MAX} characters`);
  return trimmed;
}

function checkOccurredAt(value: string, rules: CheckinRules, now: Date): string {
  const at = Date.parse(value);
  if (Number.isNaN(at)) throw CheckinProblem.invalid('occurredAt', 'must be an ISO 8601 date-time with a time zone');
  if (at > now.getTime() + CLOCK_SKEW_SECONDS * 1000) {
    throw CheckinProblem.invalid('occurredAt', 'must not be in the future');
  }
  if (at < now.getTime() - rules.backdateWindowHours * 3_600_000) {
    throw CheckinProblem.invalid('occurredAt', `must be within the last ${rules.backdateWindowHours} hours`);
  }
  return new Date(at).toISOString();
}

/**
 * Records one passage of a gate; see the module comment for the rules. The write itself goes through
 * the group-commit writer, which applies the Idempotency-Key and duplicate checks (checkin-commit.ts).
 */
export async function createCheckin(
  writer: CheckinWriter,
  rules: CheckinRules,
  input: CreateCheckinInput,
  idempotency?: { key: string; caller: string },
  now: Date = new Date(),
): Promise<CreateCheckinResult> {
  const firstname = cleanText('firstname', input.firstname, true);
  const lastname = cleanText('lastname', input.lastname, true);
  const gate = cleanText('gate', input.gate ?? '', false);
  const direction = input.direction ?? 'in';
  const occurredAt = input.occurredAt === undefined ? undefined : checkOccurredAt(input.occurredAt, rules, now);
  // What "the same request" means for an Idempotency-Key: the same cleaned fields.
  // A key belongs to its caller: stored as a hash of (caller, key), so the same key sent by another
  // token, admin or anonymous client is another key, and the raw key is not kept. '§' cannot start a
  // raw key (visible ASCII only), which keeps these apart from keys stored by earlier releases.
  const claim =
    idempotency === undefined
      ? undefined
      : {
          key: `§${createHash('sha256').update(`${idempotency.caller}\n${idempotency.key}`).digest('base64url')}`,
          requestHash: createHash('sha256')
            .update(JSON.stringify([firstname, lastname, gate, direction, occurredAt ?? null]))
            .digest('hex'),
        };
  return writer.write(
    { firstname, lastname, gate, direction, occurredAt },
    { duplicateWindowSeconds: rules.duplicateWindowSeconds, idempotency: claim },
  );
}

/**
 * For a check-out: true when the person has no check-in earlier on the same day (at any gate). Such a
 * check-out is still recorded (the arrival may have gone through another door); the kiosk says so.
 */
export async function isCheckoutWithoutArrival(db: Database, entry: CheckinEntry): Promise<boolean> {
  return entry.direction === 'out' && !(await arrivedBefore(db, entry));
}

/** Whose Idempotency-Keys a request's key is among: its gate token, its admin, or every anonymous caller. */
export function idempotencyCaller(principal: Principal | null | undefined): string {
  if (principal?.kind === 'token') return `token:${principal.token.id}`;
  if (principal?.kind === 'session') return `admin:${principal.session.userId}`;
  return 'anonymous';
}

export interface CheckinCorrectionInput {
  firstname?: string;
  lastname?: string;
  gate?: string;
  direction?: Direction;
}

/** Corrects names, gate or direction of an entry (admin). */
export async function correctCheckin(db: Database, id: number, changes: CheckinCorrectionInput): Promise<CheckinEntry> {
  const cleaned = {
    firstname: changes.firstname === undefined ? undefined : cleanText('firstname', changes.firstname, true),
    lastname: changes.lastname === undefined ? undefined : cleanText('lastname', changes.lastname, true),
    gate: changes.gate === undefined ? undefined : cleanText('gate', changes.gate, false),
    direction: changes.direction,
  };
  return db.transaction(async (tx) => {
    const current = await findCheckinForUpdate(tx, id);
    if (!current) throw CheckinProblem.notFound(id);
    const updated = await updateCheckin(tx, id, {
      firstname: cleaned.firstname ?? current.firstname,
      lastname: cleaned.lastname ?? current.lastname,
      gate: cleaned.gate ?? current.gate,
      direction: cleaned.direction ?? current.direction,
    });
    if (!updated) throw CheckinProblem.notFound(id);
    return updated;
  });
}

/** Soft-deletes an entry (admin): it disappears from every list, sheet, summary and export. */
export async function deleteCheckin(db: Database, id: number): Promise<void> {
  if (!(await softDeleteCheckin(db, id))) throw CheckinProblem.notFound(id);
}

export async function getCheckin(db: Database, id: number): Promise<CheckinEntry> {
  const entry = await findCheckin(db, id);
  if (!entry) throw CheckinProblem.notFound(id);
  return entry;
}

// ---- Listing a day -------------------------------------------------------------------------------

export interface ListQuery {
  day: string;
  gate?: string;
  q?: string;
  limit: number;
  cursor?: string;
}

export interface CheckinPage {
  items: CheckinEntry[];
  nextCursor: string | null;
}

/** A cursor is bound to the filters it was issued for, so it cannot silently page another list. */
function filterFingerprint(filter: CheckinFilter): string {
  return createHash('sha256')
    .update(JSON.stringify([filter.day, filter.gate ?? null, filter.nameTerms ?? []]))
    .digest('base64url')
    .slice(0, 12);
}

function encodeCursor(afterId: number, fingerprint: string): string {
  return Buffer.from(JSON.stringify({ after: afterId, f: fingerprint })).toString('base64url');
}

function decodeCursor(cursor: string, fingerprint: string): number {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw CheckinProblem.invalid('cursor', 'is not a cursor issued by this API');
  }
  const { after, f } = (parsed ?? {}) as { after?: unknown; f?: unknown };
  if (typeof after !== 'number' || !Number.isSafeInteger(after) || after < 0 || typeof f !== 'string') {
    throw CheckinProblem.invalid('cursor', 'is not a cursor issued by this API');
  }
  if (f !== fingerprint) throw CheckinProblem.invalid('cursor', 'belongs to a list with other filters (date, gate, q)');
  return after;
}

/** One page of a day's entries in id order; follow nextCursor until it is null. */
export async function listDay(db: Database, query: ListQuery): Promise<CheckinPage> {
  const terms =
    query.q === undefined
      ? []
      : foldText(query.q)
          .split(' ')
          .filter((term) => term !== '');
  const filter: CheckinFilter = { day: query.day, gate: query.gate, nameTerms: terms };
  const fingerprint = filterFingerprint(filter);
  const afterId = query.cursor === undefined ? 0 : decodeCursor(query.cursor, fingerprint);
  // One row more than asked tells whether another page exists without a count.
  const rows = await listCheckins(db, filter, afterId, query.limit + 1);
  const items = rows.slice(0, query.limit);
  const more = rows.length > query.limit;
  return { items, nextCursor: more ? encodeCursor(items[items.length - 1]!.id, fingerprint) : null };
}

// ---- Summaries -------------------------------------------------------------------------------------

export interface DaySummary extends DaySummaryRow {
  date: string;
  timezone: string;
}

export async function summarizeDay(db: Database, day: string, timezone: string): Promise<DaySummary> {
  return { date: day, timezone, ...(await daySummary(db, day)) };
}
