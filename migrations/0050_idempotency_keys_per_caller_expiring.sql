-- Idempotency-Keys belong to the caller that sent them and expire after a time to live (24 hours in the
-- service). The service stores a key as '§' followed by a hash of (caller, key), so two callers'
-- keys never meet (a raw key, visible ASCII only, can never start with '§'), and calls this function
-- instead of record_checkins: it forgets this batch's keys once they are older than the time to live,
-- removes a bounded number of other expired keys, then records the batch with record_checkins
-- (unchanged: the previous release still calls it directly), all in one statement and one transaction.
CREATE FUNCTION record_checkins_expiring(
  p_firstname     text[],
  p_lastname      text[],
  p_gate          text[],
  p_direction     text[],
  p_name_key      text[],
  p_occurred_at   timestamptz[],
  p_dup_window    float8[],
  p_lock_key      text[],
  p_idem_key      text[],
  p_request_hash  text[],
  p_key_ttl_secs  float8
) RETURNS TABLE (
  ord         bigint,
  outcome     text,
  id          bigint,
  occurred_at text,
  recorded_at text,
  firstname   text,
  lastname    text,
  gate        text,
  direction   text
) LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
  -- An expired key of this batch is claimed afresh below, as if it had never been used.
  DELETE FROM checkin_idempotency_keys ik
   WHERE ik.key = ANY (p_idem_key) AND ik.created_at < now() - make_interval(secs => p_key_ttl_secs);
  -- Housekeeping on the side: the oldest expired keys, a few at a time, skipping any another
  -- transaction holds (the created_at index makes this a short index scan, empty most of the time).
  DELETE FROM checkin_idempotency_keys ik
   WHERE ik.key IN (SELECT old.key FROM checkin_idempotency_keys old
                     WHERE old.created_at < now() - make_interval(secs => p_key_ttl_secs)
                     ORDER BY old.created_at LIMIT 100 FOR UPDATE SKIP LOCKED);
  RETURN QUERY
    SELECT * FROM record_checkins(p_firstname, p_lastname, p_gate, p_direction, p_name_key, p_occurred_at,
                                  p_dup_window, p_lock_key, p_idem_key, p_request_hash);
END
$$;
