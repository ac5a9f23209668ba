// SQL of e-mail (migrations/0093): a message is an outbox row of kind 'mail' (its body, the rendered
// message, cleared once done) and a mail_messages row (who to, what, about whom: the log, no body);
// people's contacts; groups' absence alerts and the alerts already queued (claims forgotten once their
// day is long past: the housekeeping at the end).
import type { Queryable } from '../../db/database.js';

export type MailPurpose = 'badge' | 'absence-alert' | 'register-report';

/** What the outbox keeps until the message is done: the rendered message (the sender is added when sent). */
export interface MailBody {
  to: string;
  subject: string;
  text: string;
  html: string;
  attachments?: { cid: string; filename: string; contentType: string; base64: string }[];
}

export interface NewMail {
  purpose: MailPurpose;
  recipient: string;
  personId: number | null;
  groupId: number | null;
  requestedBy: string;
  body: MailBody;
}

export interface MailMessage {
  id: number;
  purpose: MailPurpose;
  recipient: string;
  subject: string;
  personId: number | null;
  groupId: number | null;
  requestedBy: string;
  createdAt: string;
  /** pending (queued or being retried), delivered, failed (refused for good or out of retries), cancelled. */
  state: 'pending' | 'delivered' | 'failed' | 'cancelled';
  attempts: number;
  doneAt: string | null;
  lastAttempt: { at: string; ok: boolean; status: number | null; error: string | null } | null;
}

/** Queues one message (outbox row and log row) in the caller's transaction; answers its id. */
export async function enqueueMail(tx: Queryable, mail: NewMail): Promise<number> {
  const { rows } = await tx.query<{ id: number }>(
    `WITH queued AS (INSERT INTO outbox_messages (kind, event_type, body) VALUES ('mail', $1, $2) RETURNING id)
     INSERT INTO mail_messages (outbox_id, purpose, recipient, subject, person_id, group_id, requested_by)
     SELECT id, $1, $3, $4, $5, $6, $7 FROM queued
     RETURNING outbox_id AS id`,
    [mail.purpose, JSON.stringify(mail.body), mail.recipient, mail.body.subject, mail.personId, mail.groupId, mail.requestedBy],
  );
  return rows[0]!.id;
}

/** The message log, newest first, before outbox id `before` (0: from the newest). */
export async function listMessages(db: Queryable, before: number, limit: number): Promise<MailMessage[]> {
  const { rows } = await db.query<MailMessage>(
    `SELECT l.outbox_id AS id, l.purpose, l.recipient, l.subject, l.person_id AS "personId", l.group_id AS "groupId",
            l.requested_by AS "requestedBy", to_json(l.created_at) #>> '{}' AS "createdAt", m.state, m.attempts,
            to_json(m.done_at) #>> '{}' AS "doneAt",
            CASE WHEN a.id IS NULL THEN NULL ELSE json_build_object('at', to_json(a.started_at) #>> '{}', 'ok', a.ok,
              'status', a.status, 'error', a.error) END AS "lastAttempt"
       FROM mail_messages l
       JOIN outbox_messages m ON m.id = l.outbox_id
       LEFT JOIN LATERAL (SELECT * FROM outbox_attempts x WHERE x.outbox_id = l.outbox_id ORDER BY x.attempt DESC LIMIT 1) a ON true
      WHERE ($1::bigint = 0 OR l.outbox_id < $1::bigint)
      ORDER BY l.outbox_id DESC
      LIMIT $2`,
    [before, limit],
  );
  return rows;
}

export interface Contact {
  email: string;
  name: string;
}

export async function listContacts(db: Queryable, personId: number): Promise<Contact[]> {
  const { rows } = await db.query<Contact>(`SELECT email, name FROM person_contacts WHERE person_id = $1 ORDER BY position`, [personId]);
  return rows;
}

/** Replaces a person's contacts with `contacts`, in order. */
export async function replaceContacts(tx: Queryable, personId: number, contacts: readonly Contact[]): Promise<void> {
  await tx.query(`DELETE FROM person_contacts WHERE person_id = $1`, [personId]);
  if (contacts.length === 0) return;
  await tx.query(
    `INSERT INTO person_contacts (person_id, position, email, name)
     SELECT $1, c.ord, c.email, c.name FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS c(email, name, ord)`,
    [personId, contacts.map((c) => c.email), contacts.map((c) => c.name)],
  );
}

export async function absenceAlertsOn(db: Queryable, groupId: number): Promise<boolean> {
  const { rows } = await db.query<{ on: boolean }>(`SELECT absence_alerts AS on FROM group_alerts WHERE group_id = $1`, [groupId]);
  return rows[0]?.on ?? false;
}

export async function setAbsenceAlerts(tx: Queryable, groupId: number, on: boolean): Promise<void> {
  await tx.query(
    `INSERT INTO group_alerts (group_id, absence_alerts) VALUES ($1, $2)
     ON CONFLICT (group_id) DO UPDATE SET absence_alerts = EXCLUDED.absence_alerts, updated_at = now()`,
    [groupId, on],
  );
}

/** The groups whose absence alerts are on. */
export async function groupsWithAlerts(db: Queryable): Promise<number[]> {
  const { rows } = await db.query<{ id: number }>(`SELECT group_id AS id FROM group_alerts WHERE absence_alerts ORDER BY group_id`);
  return rows.map((row) => Number(row.id));
}

/**
 * Claims the day's alert of a member: true for the one caller (of any replica) that inserted the row,
 * false when it was claimed before. In the transaction that queues the messages, so a rollback frees it.
 */
export async function claimAbsenceAlert(tx: Queryable, groupId: number, personId: number, day: string): Promise<boolean> {
  const { rowCount } = await tx.query(
    `INSERT INTO absence_alerts_sent (group_id, person_id, day) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
    [groupId, personId, day],
  );
  return rowCount === 1;
}

// ---- Register reports (migrations/0094) ----------------------------------------------------------

export type ReportSchedule = 'off' | 'daily' | 'weekly';

export async function reportSchedule(db: Queryable, groupId: number): Promise<ReportSchedule> {
  const { rows } = await db.query<{ schedule: ReportSchedule }>(
    `SELECT report_schedule AS schedule FROM group_alerts WHERE group_id = $1`,
    [groupId],
  );
  return rows[0]?.schedule ?? 'off';
}

export async function setReportSchedule(tx: Queryable, groupId: number, schedule: ReportSchedule): Promise<void> {
  await tx.query(
    `INSERT INTO group_alerts (group_id, report_schedule) VALUES ($1, $2)
     ON CONFLICT (group_id) DO UPDATE SET report_schedule = EXCLUDED.report_schedule, updated_at = now()`,
    [groupId, schedule],
  );
}

/** The groups whose report has this schedule. */
export async function groupsWithReports(db: Queryable, schedule: 'daily' | 'weekly'): Promise<number[]> {
  const { rows } = await db.query<{ id: number }>(`SELECT group_id AS id FROM group_alerts WHERE report_schedule = $1 ORDER BY group_id`, [
    schedule,
  ]);
  return rows.map((row) => Number(row.id));
}

export interface Leader {
  username: string;
  email: string;
}

/**
 * Who a group's report goes to: the staff accounts with role leader that lead the group (staff_groups)
 * and have an e-mail address. Owners and managers are not sent it (they see every group; a report of
 * each would be noise): they make themselves a leader account if they want one.
 */
export async function leadersOf(db: Queryable, groupId: number): Promise<Leader[]> {
  const { rows } = await db.query<Leader>(
    `SELECT u.username, u.email FROM admin_users u JOIN staff_groups g ON g.user_id = u.id
      WHERE g.group_id = $1 AND u.role = 'leader' AND u.email IS NOT NULL
      ORDER BY u.username`,
    [groupId],
  );
  return rows;
}

/**
 * Claims a group's report of one period: true for the one caller (of any replica) that inserted the row,
 * false when it was claimed before. In the transaction that queues the messages, so a rollback frees it.
 */
export async function claimRegisterReport(
  tx: Queryable,
  groupId: number,
  schedule: 'daily' | 'weekly',
  period: { from: string; to: string },
  recipients: number,
): Promise<boolean> {
  const { rowCount } = await tx.query(
    `INSERT INTO register_reports_sent (group_id, schedule, period_start, period_end, recipients) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT DO NOTHING`,
    [groupId, schedule, period.from, period.to, recipients],
  );
  return rowCount === 1;
}

// ---- Housekeeping of the claims -------------------------------------------------------------------

/**
 * Forgets up to `limit` absence-alert claims of days before `before` (a date), oldest first; answers how
 * many. The scheduler only ever claims today's day, so a row of a day long past guards nothing.
 */
export async function pruneAbsenceAlertClaims(db: Queryable, before: string, limit: number): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM absence_alerts_sent a
      USING (SELECT group_id, person_id, day FROM absence_alerts_sent WHERE day < $1::date ORDER BY day LIMIT $2) old
      WHERE a.group_id = old.group_id AND a.person_id = old.person_id AND a.day = old.day`,
    [before, limit],
  );
  return rowCount;
}

/**
 * Forgets up to `limit` register-report claims of periods that ended before `before` (a date), oldest
 * first; answers how many. The scheduler only ever claims the period that ended yesterday.
 */
export async function pruneRegisterReportClaims(db: Queryable, before: string, limit: number): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM register_reports_sent r
      USING (SELECT group_id, schedule, period_start FROM register_reports_sent WHERE period_end < $1::date
              ORDER BY period_end LIMIT $2) old
      WHERE r.group_id = old.group_id AND r.schedule = old.schedule AND r.period_start = old.period_start`,
    [before, limit],
  );
  return rowCount;
}

/**
 * A person's mail still waiting (badges to them, absence alerts about them to their contacts) is not
 * sent any more: cancelled, bodies cleared. Called by the erasure and deletion of a person, before the
 * person's row goes (the log rows go with it).
 */
export async function cancelPendingMailOf(tx: Queryable, personId: number): Promise<number> {
  const { rowCount } = await tx.query(
    `UPDATE outbox_messages SET state = 'cancelled', body = NULL, done_at = now()
      WHERE state = 'pending' AND kind = 'mail'
        AND id IN (SELECT outbox_id FROM mail_messages WHERE person_id = $1)`,
    [personId],
  );
  return rowCount;
}

/** Whether an outbox message is still to be sent (not cancelled, delivered or failed meanwhile). */
export async function stillPending(db: Queryable, outboxId: number): Promise<boolean> {
  const { rows } = await db.query<{ state: string }>(`SELECT state FROM outbox_messages WHERE id = $1`, [outboxId]);
  return rows[0]?.state === 'pending';
}
