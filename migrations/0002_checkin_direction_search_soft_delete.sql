-- Versioned API (issue 3): check-out as well as check-in, entries a kiosk recorded while offline
-- (login = when it happened, recorded_at = when the server stored it), soft delete, and a name key
-- for accent- and case-insensitive search and duplicate detection.
ALTER TABLE checkins
  ADD COLUMN direction   text NOT NULL DEFAULT 'in' CHECK (direction IN ('in', 'out')),
  ADD COLUMN recorded_at timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN deleted_at  timestamptz,
  ADD COLUMN name_key    text;

-- The service computes name_key in TypeScript (Unicode NFD, combining marks stripped, whitespace
-- collapsed, lower case) for every row it writes. Rows stored before this migration get the same
-- recipe in SQL once; normalize() needs a UTF-8 database, which both PostgreSQL and PGlite use.
UPDATE checkins
   SET recorded_at = login,
       name_key = lower(regexp_replace(regexp_replace(
         normalize(btrim(firstname) || ' ' || btrim(lastname), NFD), '[\u0300-\u036f]', '', 'g'), '\s+', ' ', 'g'));

ALTER TABLE checkins ALTER COLUMN name_key SET NOT NULL;

-- A writer that does not know about name_key (a plain SQL INSERT, a bulk loader) still gets one, from
-- the same recipe in SQL; the service always supplies its own, so this only fills gaps.
CREATE FUNCTION checkins_fill_name_key() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.name_key IS NULL THEN
    NEW.name_key := lower(regexp_replace(regexp_replace(
      normalize(btrim(NEW.firstname) || ' ' || btrim(NEW.lastname), NFD), '[\u0300-\u036f]', '', 'g'), '\s+', ' ', 'g'));
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER checkins_fill_name_key BEFORE INSERT ON checkins
  FOR EACH ROW EXECUTE FUNCTION checkins_fill_name_key();

-- Every read path skips soft-deleted rows, so the day index only holds live ones.
CREATE INDEX checkins_live_login_idx ON checkins (login, id) WHERE deleted_at IS NULL;
DROP INDEX checkins_login_idx;

-- Duplicate detection: the same person at the same gate around a given time.
CREATE INDEX checkins_live_person_idx ON checkins (name_key, gate, login) WHERE deleted_at IS NULL;
