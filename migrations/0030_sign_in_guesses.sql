-- Sign-in throttle as one atomic step: a guess is reserved (counted) before the password is checked, in
-- the same statement that decides whether it may be made, so concurrent attempts can never evaluate more
-- guesses than the limit. Two counters:
--   * per (client address, username), in sign_in_failures (shared with the previous release, which reads
--     and writes it the same way): SIGNIN_MAX_FAILURES guesses per window, then blocked until it ends;
--   * per username across all addresses, in sign_in_account_guesses: the same number of free guesses,
--     then one guess at a time with a growing wait (5 s, 10 s, 20 s, 40 s, then 60 s). Addresses the user
--     has signed in from before (sign_in_known_addresses) skip this counter, so a stranger guessing from
--     elsewhere slows guessing without locking the user out.

CREATE TABLE sign_in_account_guesses (
  username      text PRIMARY KEY,
  guesses       integer NOT NULL,
  window_start  timestamptz NOT NULL,
  next_guess_at timestamptz NOT NULL
);

CREATE TABLE sign_in_known_addresses (
  username       text NOT NULL,
  client_ip      text NOT NULL,
  last_signed_in timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (username, client_ip)
);

-- Reserves one guess for (address, username) and returns 0, or returns the seconds to wait (nothing
-- reserved). Locks the account row, then the address row: always in that order, so no deadlock.
CREATE FUNCTION sign_in_reserve_guess(p_client_ip text, p_username text, p_max_guesses integer, p_window_minutes integer)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  v_window interval := make_interval(mins => p_window_minutes);
  v_known boolean;
  v_account sign_in_account_guesses%ROWTYPE;
  v_address sign_in_failures%ROWTYPE;
BEGIN
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
      RETURN greatest(1, ceil(extract(epoch FROM v_account.next_guess_at - clock_timestamp()))::integer);
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
    RETURN greatest(1, ceil(extract(epoch FROM v_address.window_start + v_window - clock_timestamp()))::integer);
  END IF;

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

-- A reserved guess that was right: the address counter starts over, the account gets its guess back
-- (when it was counted there), and the address becomes one the user is known to sign in from.
CREATE FUNCTION sign_in_succeeded(p_client_ip text, p_username text)
RETURNS void
LANGUAGE sql AS $$
  UPDATE sign_in_account_guesses SET guesses = greatest(guesses - 1, 0)
   WHERE username = p_username
     AND NOT EXISTS (SELECT 1 FROM sign_in_known_addresses WHERE username = p_username AND client_ip = p_client_ip);
  DELETE FROM sign_in_failures WHERE client_ip = p_client_ip AND username = p_username;
  INSERT INTO sign_in_known_addresses (username, client_ip) VALUES (p_username, p_client_ip)
  ON CONFLICT (username, client_ip) DO UPDATE SET last_signed_in = now();
$$;
