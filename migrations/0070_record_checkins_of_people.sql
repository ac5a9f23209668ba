-- Check-ins by badge or person id (issue 15): the same checked batch as record_checkins_expiring (0050),
-- with the person each request belongs to. The service calls this function for every checked batch;
-- record_checkins and record_checkins_expiring stay unchanged, since the previous release still calls
-- them. Each new entry of a request with a person gets its person_id in the same statement and
-- transaction; duplicates and replays answer with the earlier entry as before, and the person of every
-- answered entry is returned with it.
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
  outcome     text,
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
  a_ord bigint[]; a_outcome text[]; a_id bigint[]; a_occurred text[]; a_recorded text[];
  a_first text[]; a_last text[]; a_gate text[]; a_direction text[];
BEGIN
  SELECT array_agg(x.ord ORDER BY x.ord), array_agg(x.outcome ORDER BY x.ord), array_agg(x.id ORDER BY x.ord),
         array_agg(x.occurred_at ORDER BY x.ord), array_agg(x.recorded_at ORDER BY x.ord),
         array_agg(x.firstname ORDER BY x.ord), array_agg(x.lastname ORDER BY x.ord),
         array_agg(x.gate ORDER BY x.ord), array_agg(x.direction ORDER BY x.ord)
    INTO a_ord, a_outcome, a_id, a_occurred, a_recorded, a_first, a_last, a_gate, a_direction
    FROM record_checkins_expiring(p_firstname, p_lastname, p_gate, p_direction, p_name_key, p_occurred_at,
                                  p_dup_window, p_lock_key, p_idem_key, p_request_hash, p_key_ttl_secs) AS x;
  -- Each statement of a PL/pgSQL function takes a new snapshot: this one sees the rows inserted above.
  IF EXISTS (SELECT 1 FROM unnest(p_person_id) AS p WHERE p IS NOT NULL) THEN
    UPDATE checkins c SET person_id = p_person_id[u.ord]
      FROM unnest(a_ord, a_outcome, a_id) AS u(ord, outcome, id)
     WHERE u.outcome = 'new' AND c.id = u.id AND p_person_id[u.ord] IS NOT NULL;
  END IF;
  RETURN QUERY
    SELECT u.ord, u.outcome, u.id, u.occurred_at, u.recorded_at, u.firstname, u.lastname, u.gate, u.direction, c.person_id
      FROM unnest(a_ord, a_outcome, a_id, a_occurred, a_recorded, a_first, a_last, a_gate, a_direction)
             AS u(ord, outcome, id, occurred_at, recorded_at, firstname, lastname, gate, direction)
      LEFT JOIN checkins c ON c.id = u.id
     ORDER BY u.ord;
END
$$;
