-- Roles for staff. Every account so far could do everything: they become owners, and so does an account
-- that a previous release creates while both run side by side. A leader leads the groups listed in
-- staff_groups and sees nothing else. The audit log names the role an actor had when acting (null for
-- records written before roles existed or by a previous release).

ALTER TABLE admin_users
  ADD COLUMN role text NOT NULL DEFAULT 'owner' CHECK (role IN ('owner', 'manager', 'leader', 'viewer'));

CREATE TABLE staff_groups (
  user_id  bigint NOT NULL REFERENCES admin_users (id) ON DELETE CASCADE,
  group_id bigint NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
  PRIMARY KEY (user_id, group_id)
);
CREATE INDEX staff_groups_group_idx ON staff_groups (group_id);

ALTER TABLE audit_log ADD COLUMN actor_role text;

-- Password checks per client address in a sliding window, whatever the usernames tried, so made-up
-- names cannot make the server hash without end.
CREATE TABLE sign_in_checks (
  client_ip    text PRIMARY KEY,
  checks       integer NOT NULL,
  window_start timestamptz NOT NULL
);
