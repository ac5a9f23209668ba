-- pgbench: one single-row INSERT per transaction, the same statement the unbatched service path sends
-- (src/checkins/checkin-repository.ts insertCheckin), parameters sent separately (--protocol=extended).
\set n random(1, 1000000000)
INSERT INTO checkins (firstname, lastname, gate) VALUES ('Pgbench', 'Writer-' || :n, 'A')
RETURNING id, to_json(login) #>> '{}' AS login, firstname, lastname, gate;
