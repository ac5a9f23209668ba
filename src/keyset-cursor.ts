// Opaque keyset cursors for lists in id order: "after id N", bound to the filters they were issued for
// so a cursor cannot silently page another list.
import { createHash } from 'node:crypto';
import { CheckinProblem } from './checkins/checkin-problem.js';

export function fingerprint(filters: unknown): string {
  return createHash('sha256').update(JSON.stringify(filters)).digest('base64url').slice(0, 12);
}

export function encodeCursor(afterId: number, filterPrint: string): string {
  return Buffer.from(JSON.stringify({ after: afterId, f: filterPrint })).toString('base64url');
}

/** The id to page after; `filterNames` words the refusal of a cursor issued for other filters. */
export function decodeCursor(cursor: string | undefined, filterPrint: string, filterNames = 'filters'): number {
  if (cursor === undefined) return 0;
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
  if (f !== filterPrint) throw CheckinProblem.invalid('cursor', `belongs to a list with other ${filterNames}`);
  return after;
}

/** One page from rows fetched with limit + 1 (the extra row says whether another page exists). */
export function pageOf<T extends { id: number }>(rows: T[], limit: number, filterPrint: string): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? encodeCursor(items[items.length - 1]!.id, filterPrint) : null };
}
