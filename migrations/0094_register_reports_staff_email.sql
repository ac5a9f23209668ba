-- Register reports by e-mail (issue 24): a group's leaders get its register of the previous day (daily)
-- or of the previous week, Monday to Sunday (weekly, sent on Mondays).
--
-- admin_users.email: where a staff account's mail goes (a leader's register report); null: none.
-- group_alerts.report_schedule: a group's report, off / daily / weekly (kept with its absence alerts, in
-- the mail feature's table, so the groups table stays as it is).
-- register_reports_sent: one row per (group, schedule, first day of the period) whose reports were
-- queued; INSERT … ON CONFLICT DO NOTHING makes "once per period" hold however many replicas run the
-- scheduler, as absence_alerts_sent does for the alerts.
-- Expand-only: a nullable column, a column with a default, a new table; the previous release reads and
-- writes admin_users and group_alerts by named columns, so it runs unchanged on this schema.
ALTER TABLE admin_users ADD COLUMN email text CHECK (email IS NULL OR char_length(email) BETWEEN 3 AND 254);

ALTER TABLE group_alerts ADD COLUMN report_schedule text NOT NULL DEFAULT 'off'
  CHECK (report_schedule IN ('off', 'daily', 'weekly'));

CREATE TABLE register_reports_sent (
  group_id     bigint NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
  schedule     text NOT NULL CHECK (schedule IN ('daily', 'weekly')),
  period_start date NOT NULL,
  period_end   date NOT NULL,
  recipients   integer NOT NULL,
  queued_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (group_id, schedule, period_start)
);
