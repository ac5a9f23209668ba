-- Retention (RETENTION_DAYS): one row per local day on which the daily prune ran, claimed by the one
-- replica that runs it (under an advisory lock), with what it removed. Holds counts only, no names.
CREATE TABLE retention_runs (
  day                     date PRIMARY KEY,
  retention_days          integer NOT NULL,
  cutoff                  timestamptz NOT NULL,
  started_at              timestamptz NOT NULL DEFAULT now(),
  finished_at             timestamptz,
  checkins_deleted        bigint,
  idempotency_keys_deleted bigint,
  audit_entries_anonymised bigint
);
