-- pgbench: the day sheet, the same SELECT the service sends for GET /table/view/date:<day>
-- (src/checkins/checkin-repository.ts daySheetJson); :day is defined on the command line.
SELECT coalesce(json_agg(json_build_object(
         'id', id, 'login', login, 'lastname', lastname, 'firstname', firstname, 'gate', gate
       ) ORDER BY id), '[]')::text AS sheet
  FROM checkins WHERE login >= :day::date::timestamptz AND login < (:day::date + 1)::timestamptz;
