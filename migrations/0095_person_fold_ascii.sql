-- person_fold (migration 0060) without the Unicode steps for a name that is plain ASCII (issue 22).
--
-- Every check-in row folds its name once for checkins_live_free_name_idx, and the register and the
-- name search fold the names of a day's rows. Of the rule's steps, the canonical decomposition, the
-- removal of combining marks, the transliteration of undecomposable letters and the Unicode ranges of
-- the final class cost half of the time (of 3.9 µs a name on the development machine, 2.0 µs are left)
-- and change nothing in a string of ASCII characters: ASCII letters have no decomposition and no
-- combining marks, and the letters transliterated and the ranges removed lie outside ASCII. For such a
-- name, if lower() keeps it ASCII (it may not in a Turkish locale: I → ı), what is left is lower() and
-- the removal of white space and ASCII punctuation, the steps the rule ends with. Any other name takes
-- the whole rule as before, after the first test (0.3–0.5 µs more when its only non-ASCII letter comes
-- last). So every input folds exactly as before: the index and the stored match_key and search_key
-- columns stay valid without a rebuild, and the previous release, which calls the function too, gets
-- the same answers (test/checkins/person-fold.test.ts holds the two to each other).
--
-- Not STRICT any more (the body is null for a null input anyway: every function in it is strict): a
-- strict SQL function whose body has a CASE is not inlined into the queries and index expressions that
-- call it, and a call that is not inlined costs more than the steps saved.
-- same results: person_fold
CREATE OR REPLACE FUNCTION person_fold(value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE
  WHEN value ~ '^[\x01-\x7f]*$' AND lower(value) ~ '^[\x01-\x7f]*$'
    THEN regexp_replace(lower(value), '[\s!-/:-@\[-`{-~]', '', 'g')
  ELSE regexp_replace(
    replace(replace(replace(replace(
      translate(lower(regexp_replace(normalize(value, NFD), '[\u0300-\u036f]', '', 'g')), 'łøđħıŀŧ', 'lodhilt'),
      'ß', 'ss'), 'æ', 'ae'), 'œ', 'oe'), 'þ', 'th'),
    '[\s!-/:-@\[-`{-~\u00a0-\u00bf\u2010-\u206f\u3000-\u303f]', '', 'g')
END;
