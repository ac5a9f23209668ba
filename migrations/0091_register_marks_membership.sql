-- The register as teachers take it: memberships with a first and a last day, and cells marked by hand.
-- Expand-only: the previous release (0.2.0) ignores the new columns and the new table; it keeps reading
-- and writing `excuses`, which stays the one store of excused days for both releases.

-- A member is counted from `since` to `until` (both inclusive, local days); null = open at that end.
-- A member added without a first day is counted from the day they were added (in APP_TIMEZONE, the
-- session time zone): members added by the previous release or by the CSV import too.
ALTER TABLE group_members ADD COLUMN since date DEFAULT current_date;
ALTER TABLE group_members ADD COLUMN until date;
ALTER TABLE group_members ADD CONSTRAINT group_members_until_after_since CHECK (until >= since);
-- Existing members: counted from the day they were added (added_at has always been recorded), so a crew
-- imported last week is not absent for every earlier day of its schedule.
UPDATE group_members SET since = added_at::date;

-- A register cell set by hand to present, late or absent, whatever the check-ins say (excused days
-- stay in `excuses`, which the previous release reads too; an excuse wins over a mark). Goes with the
-- membership, like an excuse.
CREATE TABLE register_marks (
  group_id  bigint NOT NULL,
  person_id bigint NOT NULL,
  day       date NOT NULL,
  status    text NOT NULL CHECK (status IN ('present', 'late', 'absent')),
  reason    text CHECK (char_length(btrim(reason)) BETWEEN 1 AND 500),
  marked_by text NOT NULL,
  marked_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (group_id, person_id, day),
  FOREIGN KEY (group_id, person_id) REFERENCES group_members (group_id, person_id) ON DELETE CASCADE
);
