// SQL of webhooks: the endpoints, the fan-out of an event into the outbox, an endpoint's delivery log,
// and the bookkeeping of each delivery attempt on its endpoint. The outbox itself (claiming, settling
// attempts) is features/outbox/outbox-repository.ts.
import type { Queryable } from '../../db/database.js';
import { ENQUEUE_EVENT_SQL, type EventType } from './webhook-events.js';

export type EndpointState = 'enabled' | 'disabled' | 'disabled-failing';

export interface WebhookEndpoint {
  id: number;
  url: string;
  description: string;
  events: EventType[];
  enabled: boolean;
  /** enabled; disabled by a person; or disabled because deliveries failed for a day. */
  state: EndpointState;
  disabledAt: string | null;
  /** Since when every delivery has failed (null: the last one succeeded, or none was made). */
  failingSince: string | null;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  secretRotatedAt: string | null;
  lastDelivery: { at: string; ok: boolean; status: number | null; error: string | null } | null;
}

/** What the delivery worker needs: where to, and the signing secret. */
export interface EndpointTarget {
  id: number;
  url: string;
  secret: string;
  enabled: boolean;
}

export interface Delivery {
  id: number;
  /** When the attempt started. */
  at: string;
  eventType: string;
  /** The message id (the webhook-id header), the same on every attempt of one message. */
  webhookId: string;
  attempt: number;
  ok: boolean;
  /** The HTTP status answered; null when there was no answer (refused, timed out, blocked). */
  status: number | null;
  durationMs: number;
  error: string | null;
}

const ENDPOINT_COLUMNS = `id, url, description, events, enabled,
  CASE WHEN enabled THEN 'enabled' WHEN disabled_reason = 'failing' THEN 'disabled-failing' ELSE 'disabled' END AS state,
  to_json(disabled_at) #>> '{}' AS "disabledAt", to_json(failing_since) #>> '{}' AS "failingSince",
  to_json(created_at) #>> '{}' AS "createdAt", created_by AS "createdBy", to_json(updated_at) #>> '{}' AS "updatedAt",
  to_json(secret_rotated_at) #>> '{}' AS "secretRotatedAt",
  CASE WHEN last_attempt_at IS NULL THEN NULL ELSE json_build_object('at', to_json(last_attempt_at) #>> '{}', 'ok', last_attempt_ok,
    'status', last_attempt_status, 'error', last_attempt_error) END AS "lastDelivery"`;

/** Writes the outbox rows of one event (see ENQUEUE_EVENT_SQL); called by Change.emit in its transaction. */
export async function enqueueEvent(tx: Queryable, type: EventType, data: Record<string, unknown>): Promise<void> {
  await tx.query(ENQUEUE_EVENT_SQL, [type, JSON.stringify(data)]);
}

export async function listEndpoints(db: Queryable): Promise<WebhookEndpoint[]> {
  const { rows } = await db.query<WebhookEndpoint>(`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints ORDER BY id`);
  return rows;
}

export async function findEndpoint(db: Queryable, id: number, lock = false): Promise<WebhookEndpoint | undefined> {
  const { rows } = await db.query<WebhookEndpoint>(
    `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1${lock ? ' FOR UPDATE' : ''}`,
    [id],
  );
  return rows[0];
}

export interface NewEndpoint {
  url: string;
  description: string;
  events: readonly EventType[];
  secret: string;
  createdBy: string;
}

export async function insertEndpoint(tx: Queryable, endpoint: NewEndpoint): Promise<WebhookEndpoint> {
  const { rows } = await tx.query<WebhookEndpoint>(
    `INSERT INTO webhook_endpoints (url, description, events, secret, created_by) VALUES ($1, $2, $3::text[], $4, $5)
     RETURNING ${ENDPOINT_COLUMNS}`,
    [endpoint.url, endpoint.description, endpoint.events, endpoint.secret, endpoint.createdBy],
  );
  return rows[0]!;
}

export interface EndpointChanges {
  url?: string;
  description?: string;
  events?: readonly EventType[];
  /** true: enabled again (its failure streak forgotten); false: disabled by a person. */
  enabled?: boolean;
  secret?: string;
}

export async function updateEndpoint(tx: Queryable, id: number, changes: EndpointChanges): Promise<WebhookEndpoint | undefined> {
  const { rows } = await tx.query<WebhookEndpoint>(
    `UPDATE webhook_endpoints
        SET url = coalesce($2, url),
            description = coalesce($3, description),
            events = coalesce($4::text[], events),
            enabled = coalesce($5, enabled),
            disabled_reason = CASE WHEN $5 IS NULL THEN disabled_reason WHEN $5 THEN NULL
                                   WHEN enabled THEN 'manual' ELSE disabled_reason END,
            disabled_at = CASE WHEN $5 IS NULL THEN disabled_at WHEN $5 THEN NULL WHEN enabled THEN now() ELSE disabled_at END,
            failing_since = CASE WHEN $5 THEN NULL ELSE failing_since END,
            secret = coalesce($6, secret),
            secret_rotated_at = CASE WHEN $6 IS NULL THEN secret_rotated_at ELSE now() END,
            updated_at = now()
      WHERE id = $1
      RETURNING ${ENDPOINT_COLUMNS}`,
    [id, changes.url ?? null, changes.description ?? null, changes.events ?? null, changes.enabled ?? null, changes.secret ?? null],
  );
  return rows[0];
}

/** Removes an endpoint with its messages and their delivery log. */
export async function deleteEndpoint(tx: Queryable, id: number): Promise<boolean> {
  await tx.query(`DELETE FROM outbox_messages WHERE kind = 'webhook' AND target_id = $1`, [id]);
  const { rowCount } = await tx.query(`DELETE FROM webhook_endpoints WHERE id = $1`, [id]);
  return rowCount === 1;
}

/** Messages to an endpoint that will not be delivered any more (it was disabled): done, body cleared. */
export async function cancelPending(tx: Queryable, endpointId: number): Promise<number> {
  const { rowCount } = await tx.query(
    `UPDATE outbox_messages SET state = 'cancelled', body = NULL, done_at = now()
      WHERE kind = 'webhook' AND target_id = $1 AND state = 'pending'`,
    [endpointId],
  );
  return rowCount;
}

export async function findTarget(db: Queryable, id: number): Promise<EndpointTarget | undefined> {
  const { rows } = await db.query<EndpointTarget>(`SELECT id, url, secret, enabled FROM webhook_endpoints WHERE id = $1`, [id]);
  return rows[0];
}

/**
 * Notes an attempt's result on its endpoint. A success ends a failure streak; a failure starts one (or
 * continues it). Answers whether the endpoint has now been failing for `disableAfterSeconds` and is still
 * enabled (the caller then disables it).
 */
export async function noteAttempt(
  tx: Queryable,
  id: number,
  result: { ok: boolean; status: number | null; error: string | null },
  disableAfterSeconds: number,
): Promise<{ failingTooLong: boolean }> {
  const { rows } = await tx.query<{ failingTooLong: boolean }>(
    `UPDATE webhook_endpoints
        SET last_attempt_at = now(), last_attempt_ok = $2, last_attempt_status = $3, last_attempt_error = $4,
            failing_since = CASE WHEN $2 THEN NULL ELSE coalesce(failing_since, now()) END
      WHERE id = $1
      RETURNING enabled AND failing_since IS NOT NULL AND failing_since <= now() - make_interval(secs => $5) AS "failingTooLong"`,
    [id, result.ok, result.status, result.error, disableAfterSeconds],
  );
  return { failingTooLong: rows[0]?.failingTooLong ?? false };
}

/** Disables an endpoint that kept failing. */
export async function disableFailing(tx: Queryable, id: number): Promise<WebhookEndpoint | undefined> {
  const { rows } = await tx.query<WebhookEndpoint>(
    `UPDATE webhook_endpoints SET enabled = false, disabled_reason = 'failing', disabled_at = now(), updated_at = now()
      WHERE id = $1 AND enabled
      RETURNING ${ENDPOINT_COLUMNS}`,
    [id],
  );
  return rows[0];
}

/** One page of an endpoint's delivery attempts, newest first, below attempt id `before` (0 = from the newest). */
export async function listDeliveries(db: Queryable, endpointId: number, before: number, limit: number): Promise<Delivery[]> {
  const { rows } = await db.query<Delivery>(
    `SELECT a.id, to_json(a.started_at) #>> '{}' AS at, m.event_type AS "eventType", m.message_id AS "webhookId", a.attempt,
            a.ok, a.status, a.duration_ms AS "durationMs", a.error
       FROM outbox_attempts a JOIN outbox_messages m ON m.id = a.outbox_id
      WHERE m.kind = 'webhook' AND m.target_id = $1 AND ($2::bigint = 0 OR a.id < $2::bigint)
      ORDER BY a.id DESC
      LIMIT $3`,
    [endpointId, before, limit],
  );
  return rows;
}

/**
 * An erased person's check-in events that are still waiting are not sent any more (they carry the
 * person's names, and would reach a receiver after it was told to forget them): cancelled, bodies cleared.
 */
export async function cancelPendingOfPerson(tx: Queryable, personId: number): Promise<number> {
  const { rowCount } = await tx.query(
    `UPDATE outbox_messages SET state = 'cancelled', body = NULL, done_at = now()
      WHERE state = 'pending' AND kind = 'webhook' AND starts_with(event_type, 'checkin.')
        AND body::json -> 'data' ->> 'personId' = $1::text`,
    [personId],
  );
  return rowCount;
}
