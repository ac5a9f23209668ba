// SQL of the outbox (migrations/0092): messages written in the transaction of the change they tell of,
// claimed by a worker with FOR UPDATE SKIP LOCKED, and settled attempt by attempt.
import type { Queryable } from '../../db/database.js';

export interface OutboxMessage {
  /** The row's id. */
  id: number;
  kind: string;
  targetId: number | null;
  /** The message's public id (a webhook's `webhook-id`), the same on every attempt. */
  messageId: string;
  eventType: string;
  body: string;
  /** This attempt's number, from 1. */
  attempt: number;
  createdAt: string;
}

export interface AttemptRecord {
  startedAt: Date;
  durationMs: number;
  ok: boolean;
  status: number | null;
  error: string | null;
}

/**
 * Claims up to `limit` due messages of `kinds`: each is moved `leaseSeconds` into the future (so no other
 * worker takes it meanwhile, and a worker that dies holding it gives it back when the lease ends) and its
 * attempt is counted. SKIP LOCKED lets workers of several replicas claim at once without waiting for, or
 * taking, each other's rows.
 */
export async function claimDue(db: Queryable, kinds: readonly string[], limit: number, leaseSeconds: number): Promise<OutboxMessage[]> {
  const { rows } = await db.query<OutboxMessage>(
    `UPDATE outbox_messages m
        SET next_attempt_at = now() + make_interval(secs => $3), attempts = m.attempts + 1
      WHERE m.id IN (SELECT d.id FROM outbox_messages d
                      WHERE d.state = 'pending' AND d.next_attempt_at <= now() AND d.kind = ANY ($1::text[])
                      ORDER BY d.next_attempt_at, d.id
                      LIMIT $2
                      FOR UPDATE SKIP LOCKED)
      RETURNING m.id, m.kind, m.target_id AS "targetId", m.message_id AS "messageId", m.event_type AS "eventType", m.body,
                m.attempts AS attempt, to_json(m.created_at) #>> '{}' AS "createdAt"`,
    [kinds, limit, leaseSeconds],
  );
  return rows.sort((a, b) => a.id - b.id);
}

/** Records one attempt in the log (unless the message was removed meanwhile, with its endpoint). */
export async function insertAttempt(tx: Queryable, message: OutboxMessage, attempt: AttemptRecord): Promise<void> {
  await tx.query(
    `INSERT INTO outbox_attempts (outbox_id, attempt, started_at, duration_ms, ok, status, error)
     SELECT m.id, $2, $3, $4, $5, $6, $7 FROM outbox_messages m WHERE m.id = $1
     ON CONFLICT (outbox_id, attempt) DO NOTHING`,
    [
      message.id,
      message.attempt,
      attempt.startedAt.toISOString(),
      Math.round(attempt.durationMs),
      attempt.ok,
      attempt.status,
      attempt.error,
    ],
  );
}

/** The message is done (delivered, failed for good or cancelled): its body is no longer kept. */
export async function finishMessage(tx: Queryable, id: number, state: 'delivered' | 'failed' | 'cancelled'): Promise<void> {
  await tx.query(`UPDATE outbox_messages SET state = $2, body = NULL, done_at = now() WHERE id = $1 AND state = 'pending'`, [id, state]);
}

/**
 * Schedules the next attempt `delaySeconds` from now, unless another worker claimed the message again
 * meanwhile (its lease ran out: that worker's attempt decides).
 */
export async function retryLater(tx: Queryable, message: OutboxMessage, delaySeconds: number): Promise<void> {
  await tx.query(
    `UPDATE outbox_messages SET next_attempt_at = now() + make_interval(secs => $3)
      WHERE id = $1 AND state = 'pending' AND attempts = $2`,
    [message.id, message.attempt, delaySeconds],
  );
}

/** Forgets messages (with their attempts) done more than `days` days ago; answers how many. */
export async function pruneDone(db: Queryable, days: number, limit = 1000): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM outbox_messages WHERE id IN (
       SELECT id FROM outbox_messages WHERE done_at < now() - make_interval(days => $1) ORDER BY done_at LIMIT $2)`,
    [days, limit],
  );
  return rowCount;
}
