// The events webhooks carry, and how a change emits one. An event is written to the outbox in the
// transaction of the change it tells of (one row per enabled endpoint subscribed to its type), as a
// Standard Webhooks payload `{type, timestamp, data}` whose bytes are then sent unchanged on every retry.
//
//   checkin.created    a new entry (data: the entry as the API shows it); written by the check-in batch
//                      itself (checkinCreatedOutbox below), in the batch's one statement
//   checkin.corrected  data: the entry after the correction
//   checkin.deleted    data: the entry as it was
//   checkin.restored   data: the entry brought back
//   person.erased      data: { id } only: an erased person's name is not sent anywhere
//   register.marked    data: the group, day, person and mark (emitRegisterMarked)
import type { Change } from '../../domain/changes.js';

export const EVENT_TYPES = [
  'checkin.created',
  'checkin.corrected',
  'checkin.deleted',
  'checkin.restored',
  'person.erased',
  'register.marked',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const isEventType = (value: string): value is EventType => (EVENT_TYPES as readonly string[]).includes(value);

/** What each event says, in one line (the API's and the page's description). */
export const EVENT_DESCRIPTIONS: Record<EventType, string> = {
  'checkin.created': 'a check-in was recorded (the entry with names, gate, direction, times, person id)',
  'checkin.corrected': 'a check-in was corrected (the entry after the correction)',
  'checkin.deleted': 'a check-in was deleted (the entry as it was)',
  'checkin.restored': 'a deleted check-in was restored (the entry)',
  'person.erased': 'a person was erased with all their data (their id only, no name)',
  'register.marked': 'a register cell was marked by hand, or its mark taken back (group, day, person, mark or null, reason)',
};

/** register.marked: who was marked how in which group's register on which day. */
export interface RegisterMarkedData {
  groupId: number;
  /** The local day, YYYY-MM-DD. */
  day: string;
  personId: number;
  /** The mark given (present, late, absent, excused), or null when a mark was taken back (the cell follows the check-ins again). */
  mark: string | null;
  /** Optional reason (an excuse). */
  reason?: string | null;
}

/** Emits register.marked within the change that marks the register or takes a mark back (GroupService.mark, unmark). */
export function emitRegisterMarked(change: Change, data: RegisterMarkedData): Promise<void> {
  return change.emit('register.marked', { ...data });
}

/** The event time of a payload: the transaction's time in UTC, ISO 8601 with microseconds and Z. */
export const EVENT_TIMESTAMP_SQL = `to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * The outbox rows of one event for every enabled endpoint subscribed to it: one INSERT … SELECT ($1 the
 * type, $2 the data as JSON text). With no such endpoint it inserts nothing, at the cost of reading the
 * (small) endpoint table: no cache that a replica could hold stale.
 */
export const ENQUEUE_EVENT_SQL = `
  INSERT INTO outbox_messages (kind, target_id, event_type, body)
  SELECT 'webhook', e.id, $1::text,
         json_build_object('type', $1::text, 'timestamp', ${EVENT_TIMESTAMP_SQL}, 'data', $2::json)::text
    FROM webhook_endpoints e
   WHERE e.enabled AND $1::text = ANY (e.events)
   ORDER BY e.id`;

/**
 * A data-modifying CTE (`created_events AS (…)`) for a check-in batch statement: checkin.created for each
 * row of `source`, whose columns are those of the API's entry (id, "occurredAt", "recordedAt", firstname,
 * lastname, gate, direction, "personId"). Part of the batch's one statement, so the events commit with
 * the rows or not at all; with no subscribed endpoint the join is empty.
 */
export function checkinCreatedOutbox(source: string): string {
  return `created_events AS (
    INSERT INTO outbox_messages (kind, target_id, event_type, body)
    SELECT 'webhook', e.id, 'checkin.created',
           json_build_object('type', 'checkin.created', 'timestamp', ${EVENT_TIMESTAMP_SQL},
             'data', json_build_object('id', c.id, 'occurredAt', c."occurredAt", 'recordedAt', c."recordedAt",
                                       'firstname', c.firstname, 'lastname', c.lastname, 'gate', c.gate,
                                       'direction', c.direction, 'personId', c."personId"))::text
      FROM ${source} c
      JOIN webhook_endpoints e ON e.enabled AND 'checkin.created' = ANY (e.events)
     ORDER BY c.id, e.id
  )`;
}
