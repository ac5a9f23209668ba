// Opaque keyset cursors for lists in id order: "after id N" (or, for lists that page both ways, "before
// id N"), bound to the filters they were issued for so a cursor cannot silently page another list.
import { createHash } from 'node:crypto';
import { DomainError } from './domain-error.js';

export function fingerprint(filters: unknown): string {
  return createHash('sha256').update(JSON.stringify(filters)).digest('base64url').slice(0, 12);
}

/** Where a page starts: the ids above N (walking up) or below N (walking down). */
export type KeysetPosition = { after: number } | { before: number };

export type ListOrder = 'asc' | 'desc';

function encodePosition(position: KeysetPosition, filterPrint: string): string {
  return Buffer.from(JSON.stringify({ ...position, f: filterPrint })).toString('base64url');
}

export function encodeCursor(afterId: number, filterPrint: string): string {
  return encodePosition({ after: afterId }, filterPrint);
}

/** A cursor to the ids below `beforeId`, for lists that page newest first (the audit log). */
export function encodeBeforeCursor(beforeId: number, filterPrint: string): string {
  return encodePosition({ before: beforeId }, filterPrint);
}

/** The position a cursor holds; `filterNames` words the refusal of a cursor issued for other filters. */
export function decodePosition(cursor: string | undefined, filterPrint: string, filterNames = 'filters'): KeysetPosition | undefined {
  if (cursor === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw DomainError.invalid('cursor', 'is not a cursor issued by this API');
  }
  const { after, before, f } = (parsed ?? {}) as { after?: unknown; before?: unknown; f?: unknown };
  const id = (value: unknown) => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
  if ((after === undefined) === (before === undefined) || !id(after ?? before) || typeof f !== 'string') {
    throw DomainError.invalid('cursor', 'is not a cursor issued by this API');
  }
  if (f !== filterPrint) throw DomainError.invalid('cursor', `belongs to a list with other ${filterNames}`);
  return after !== undefined ? { after: after as number } : { before: before as number };
}

/** The id to page after, for lists that only page forwards in id order. */
export function decodeCursor(cursor: string | undefined, filterPrint: string, filterNames = 'filters'): number {
  const position = decodePosition(cursor, filterPrint, filterNames);
  if (position === undefined) return 0;
  if (!('after' in position)) throw DomainError.invalid('cursor', 'is not a cursor issued by this API');
  return position.after;
}

/** One page from rows fetched with limit + 1 (the extra row says whether another page exists). */
export function pageOf<T extends { id: number }>(rows: T[], limit: number, filterPrint: string): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? encodeCursor(items[items.length - 1]!.id, filterPrint) : null };
}

/** Which way the rows of a page are fetched from `position` (no position: from the start of `order`). */
export function walkOf(order: ListOrder, position: KeysetPosition | undefined): ListOrder {
  if (position === undefined) return order;
  return 'after' in position ? 'asc' : 'desc';
}

export interface TwoWayPage<T> {
  /** In the list's order. */
  items: T[];
  /** Towards the end of the list (older entries when newest first); null on the last page. */
  nextCursor: string | null;
  /** Towards the start of the list; null on the first page. */
  prevCursor: string | null;
}

/**
 * One page of a list that pages both ways, from rows fetched with limit + 1 walking from `position`
 * (walkOf). Paging back to the start answers the rows just before the page the cursor came from, so the
 * page it came from still exists: its link is always given.
 */
export function twoWayPageOf<T extends { id: number }>(
  rows: T[],
  limit: number,
  filterPrint: string,
  order: ListOrder,
  position: KeysetPosition | undefined,
): TwoWayPage<T> {
  const walk = walkOf(order, position);
  const forwards = walk === order;
  const more = rows.length > limit;
  const fetched = rows.slice(0, limit);
  const items = forwards ? fetched : fetched.reverse();
  if (items.length === 0) return { items, nextCursor: null, prevCursor: null };
  const first = items[0]!.id;
  const last = items[items.length - 1]!.id;
  const beyond = (id: number, up: boolean): KeysetPosition => (up ? { after: id } : { before: id });
  const hasNext = forwards ? more : true;
  const hasPrev = position === undefined ? false : forwards ? true : more;
  return {
    items,
    nextCursor: hasNext ? encodePosition(beyond(last, order === 'asc'), filterPrint) : null,
    prevCursor: hasPrev ? encodePosition(beyond(first, order !== 'asc'), filterPrint) : null,
  };
}
