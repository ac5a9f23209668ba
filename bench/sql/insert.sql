-- pgbench: one single-row INSERT per transaction, the same statement the unbatched service path sends
-- (src/features/checkins/checkin-repository.ts insertCheckin), parameters sent separately (--protocol=extended).
\set n random(1, 1000000000)
INSERT INTO checkins (firstname, lastname, gate, direction, name_key, login)
VALUES ('Pgbench', 'Writer-' || :n, 'A', 'in', 'pgbench writer-' || :n, coalesce(NULL::timestamptz, now()))
RETURNING id, to_json(login) #>> '{}' AS "occurredAt", to_json(recorded_at) #>> '{}' AS "recordedAt", firstname, lastname, gate, direction;
