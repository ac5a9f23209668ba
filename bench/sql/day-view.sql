-- pgbench: the day sheet as one json_agg, the cheapest way for PostgreSQL to produce the bytes the service
-- sends for GET /table/view/date:<day> (the service asks for the same JSON in pieces of 400 entries:
-- src/features/checkins/day-sheet.ts); :day is defined on the command line.
SELECT coalesce(json_agg(json_build_object(
         'id', id, 'login', login, 'lastname', lastname, 'firstname', firstname, 'gate', gate
       ) ORDER BY id), '[]')::text AS sheet
  FROM checkins WHERE login >= :day::date::timestamptz AND login < (:day::date + 1)::timestamptz AND deleted_at IS NULL;
