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

-- Reserves one password check for (address, username), or answers how long to wait. Like
-- sign_in_reserve_guess (0030), which a previous release still calls, plus a cap on the checks one
-- address may have evaluated per window whatever the usernames, and the wait it answers is the longest of
-- every counter that refuses, so the message names the real wait.
CREATE FUNCTION sign_in_reserve_check(p_client_ip text, p_username text, p_max_guesses integer, p_window_minutes integer, p_max_checks integer)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  v_window interval := make_interval(mins => p_window_minutes);
  v_checks sign_in_checks%ROWTYPE;
  v_known boolean;
  v_account sign_in_account_guesses%ROWTYPE;
  v_address sign_in_failures%ROWTYPE;
  v_wait integer := 0;
BEGIN
  INSERT INTO sign_in_checks (client_ip, checks, window_start) VALUES (p_client_ip, 0, now())
  ON CONFLICT (client_ip) DO NOTHING;
  SELECT * INTO v_checks FROM sign_in_checks WHERE client_ip = p_client_ip FOR UPDATE;
  IF v_checks.window_start <= now() - v_window THEN
    v_checks.checks := 0;
    v_checks.window_start := now();
  END IF;
  IF v_checks.checks >= p_max_checks THEN
    v_wait := greatest(v_wait, ceil(extract(epoch FROM v_checks.window_start + v_window - clock_timestamp()))::integer);
  END IF;

  SELECT EXISTS (SELECT 1 FROM sign_in_known_addresses WHERE username = p_username AND client_ip = p_client_ip) INTO v_known;
  IF NOT v_known THEN
    INSERT INTO sign_in_account_guesses (username, guesses, window_start, next_guess_at)
    VALUES (p_username, 0, now(), now()) ON CONFLICT (username) DO NOTHING;
    SELECT * INTO v_account FROM sign_in_account_guesses WHERE username = p_username FOR UPDATE;
    IF v_account.window_start <= now() - v_window THEN
      v_account.guesses := 0;
      v_account.window_start := now();
      v_account.next_guess_at := now();
    END IF;
    IF v_account.guesses >= p_max_guesses AND v_account.next_guess_at > now() THEN
      v_wait := greatest(v_wait, ceil(extract(epoch FROM v_account.next_guess_at - clock_timestamp()))::integer);
    END IF;
  END IF;

  INSERT INTO sign_in_failures (client_ip, username, failures, window_start)
  VALUES (p_client_ip, p_username, 0, now()) ON CONFLICT (client_ip, username) DO NOTHING;
  SELECT * INTO v_address FROM sign_in_failures WHERE client_ip = p_client_ip AND username = p_username FOR UPDATE;
  IF v_address.window_start <= now() - v_window THEN
    v_address.failures := 0;
    v_address.window_start := now();
  END IF;
  IF v_address.failures >= p_max_guesses THEN
    v_wait := greatest(v_wait, ceil(extract(epoch FROM v_address.window_start + v_window - clock_timestamp()))::integer);
  END IF;

  IF v_wait > 0 THEN
    RETURN greatest(1, v_wait);
  END IF;

  UPDATE sign_in_checks SET checks = v_checks.checks + 1, window_start = v_checks.window_start WHERE client_ip = p_client_ip;
  UPDATE sign_in_failures SET failures = v_address.failures + 1, window_start = v_address.window_start
   WHERE client_ip = p_client_ip AND username = p_username;
  IF NOT v_known THEN
    v_account.guesses := v_account.guesses + 1;
    UPDATE sign_in_account_guesses
       SET guesses = v_account.guesses,
           window_start = v_account.window_start,
           next_guess_at = CASE WHEN v_account.guesses >= p_max_guesses
                                THEN now() + make_interval(secs => least(5 * power(2, v_account.guesses - p_max_guesses), 60))
                                ELSE v_account.next_guess_at END
     WHERE username = p_username;
  END IF;
  RETURN 0;
END;
$$;
