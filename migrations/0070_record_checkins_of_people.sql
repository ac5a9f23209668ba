-- Check-ins by badge or person id (issue 15): the checked batch of record_checkins (migration 0020) with
-- the Idempotency-Key time to live of record_checkins_expiring (0050), and the person each request
-- belongs to, stored by the INSERT itself (not a later UPDATE, which would write every index again).
-- The service calls this function for every checked batch; record_checkins and record_checkins_expiring
-- stay as they are, since the previous release still calls them. The steps and their reasons are those
-- of 0020 (read its header); the answer carries the person of each answering entry.
-- Expand-only: one new function; nothing existing changes.
CREATE FUNCTION record_checkins_of_people(
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
  p_key_ttl_secs  float8,
  p_person_id     bigint[]
) RETURNS TABLE (
  ord         bigint,
  outcome     text,   -- new | duplicate | replay | replay-duplicate | mismatch | deleted
  id          bigint,
  occurred_at text,
  recorded_at text,
  firstname   text,
  lastname    text,
  gate        text,
  direction   text,
  person_id   bigint
) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  claimed text[];
  new_ids bigint[];
BEGIN
  -- 0. Idempotency-Keys older than the time to live (as record_checkins_expiring, migration 0050): this
  --    batch's expired keys are claimed afresh below; a few other expired ones are removed on the side.
  DELETE FROM checkin_idempotency_keys ik
   WHERE ik.key = ANY (p_idem_key) AND ik.created_at < now() - make_interval(secs => p_key_ttl_secs);
  DELETE FROM checkin_idempotency_keys ik
   WHERE ik.key IN (SELECT old.key FROM checkin_idempotency_keys old
                     WHERE old.created_at < now() - make_interval(secs => p_key_ttl_secs)
                     ORDER BY old.created_at LIMIT 100 FOR UPDATE SKIP LOCKED);

  -- 1. Person-at-gate locks, held until the transaction ends.
  PERFORM pg_advisory_xact_lock(ids.lock_id)
     FROM (SELECT DISTINCT hashtextextended(k, 74201908) AS lock_id
             FROM unnest(p_lock_key) AS k WHERE k IS NOT NULL) AS ids
    ORDER BY ids.lock_id;

  -- 2. Ids for the entries this batch may insert (unused ones are gaps, as after any rollback), then
  --    claim keys in key order; a key claimed by a concurrent transaction waits for it here.
  SELECT array_agg(nextval((SELECT pg_get_serial_sequence('checkins', 'id'))::regclass))
    INTO new_ids FROM generate_series(1, cardinality(p_firstname));
  WITH c AS (
    INSERT INTO checkin_idempotency_keys (key, request_hash, checkin_id)
    SELECT r.k, r.h, r.new_id FROM unnest(p_idem_key, p_request_hash, new_ids) AS r(k, h, new_id) WHERE r.k IS NOT NULL ORDER BY r.k
    ON CONFLICT (key) DO NOTHING
    RETURNING key
  )
  SELECT coalesce(array_agg(c.key), '{}') INTO claimed FROM c;

  -- Keys that existed: the first request's answer, unless the body differs or its entry was deleted.
  RETURN QUERY
    SELECT r.ord,
           CASE WHEN ik.request_hash IS DISTINCT FROM r.h THEN 'mismatch'
                WHEN e.id IS NULL THEN 'deleted'
                WHEN ik.duplicate THEN 'replay-duplicate'
                ELSE 'replay' END,
           coalesce(e.id, ik.checkin_id), to_json(e.login) #>> '{}', to_json(e.recorded_at) #>> '{}',
           e.firstname, e.lastname, e.gate, e.direction, e.person_id
      FROM unnest(p_idem_key, p_request_hash) WITH ORDINALITY AS r(k, h, ord)
      LEFT JOIN checkin_idempotency_keys ik ON ik.key = r.k
      LEFT JOIN checkins e ON e.id = ik.checkin_id AND e.deleted_at IS NULL
     WHERE r.k IS NOT NULL AND NOT (r.k = ANY (claimed));

  -- 3. Everything else: new, or a duplicate of a recent entry (a key claimed for it is pointed there).
  RETURN QUERY
    WITH input AS MATERIALIZED (
      SELECT r.*
        FROM unnest(new_ids, p_firstname, p_lastname, p_gate, p_direction, p_name_key, p_occurred_at, p_dup_window, p_idem_key,
                    p_person_id)
             WITH ORDINALITY AS r(new_id, fn, ln, g, dir, nk, at, win, k, pid, ord)
       WHERE r.k IS NULL OR r.k = ANY (claimed)
    ), earlier AS MATERIALIZED (
      SELECT input.ord, d.id
        FROM input
       CROSS JOIN LATERAL (
         -- OFFSET 0 keeps the time condition out of the inner scan, which therefore always walks the
         -- person index (a few rows per person and gate). Left to itself the planner may walk the
         -- login index instead, which reads every entry of the last minutes: at a busy gate, thousands
         -- per request, especially while the statistics still describe the table before the rush.
         SELECT p.id
           FROM (SELECT c.id, c.login FROM checkins c
                  WHERE c.name_key = input.nk AND c.gate = input.g AND c.direction = input.dir AND c.deleted_at IS NULL
                 OFFSET 0) AS p
          WHERE p.login BETWEEN coalesce(input.at, now()) - make_interval(secs => input.win)
                            AND coalesce(input.at, now()) + make_interval(secs => input.win)
          ORDER BY abs(extract(epoch FROM p.login - coalesce(input.at, now()))), p.id
          LIMIT 1) AS d
       WHERE input.win > 0
    ), inserted AS (
      INSERT INTO checkins (id, firstname, lastname, gate, direction, name_key, login, person_id)
      SELECT input.new_id, input.fn, input.ln, input.g, input.dir, input.nk, coalesce(input.at, now()), input.pid
        FROM input WHERE input.ord NOT IN (SELECT earlier.ord FROM earlier) ORDER BY input.ord
      RETURNING checkins.id, checkins.login, checkins.recorded_at, checkins.firstname, checkins.lastname, checkins.gate, checkins.direction,
                checkins.person_id
    ), answers AS MATERIALIZED (
      SELECT input.ord, input.k, 'new' AS outcome, i.id, to_json(i.login) #>> '{}' AS occurred_at,
             to_json(i.recorded_at) #>> '{}' AS recorded_at, i.firstname, i.lastname, i.gate, i.direction, i.person_id
        FROM inserted i JOIN input ON input.new_id = i.id
      UNION ALL
      SELECT earlier.ord, input.k, 'duplicate', e.id, to_json(e.login) #>> '{}', to_json(e.recorded_at) #>> '{}',
             e.firstname, e.lastname, e.gate, e.direction, e.person_id
        FROM earlier JOIN input ON input.ord = earlier.ord JOIN checkins e ON e.id = earlier.id
    ), pointed AS (
      UPDATE checkin_idempotency_keys ik SET checkin_id = a.id, duplicate = true
        FROM answers a WHERE a.outcome = 'duplicate' AND a.k IS NOT NULL AND ik.key = a.k
    )
    SELECT a.ord, a.outcome, a.id, a.occurred_at, a.recorded_at, a.firstname, a.lastname, a.gate, a.direction, a.person_id
      FROM answers a;
END
$$;
