// How a person is recognised across entries.
//
// The name key (checkins.name_key) makes "Élodie  Dupré", "elodie dupre" and "ELODIE DUPRÉ" one person
// for duplicate detection. It is stored with every row and compared with keys computed by earlier
// releases, so its rule (foldText) never changes.
//
// Searching and matching names use the one folding rule of person_fold (migration 0060): transliterated,
// lower case, every space and punctuation mark removed, so "Żółć" is "zolc" and "O'Brien" is "obrien".
// personFold is the same rule in TypeScript; test/checkins/person-fold.test.ts holds both to a table of
// cases against the database.

/** Combining marks left after canonical decomposition (accents, cedillas, umlauts, ...). */
const COMBINING_MARKS = /\p{M}/gu;

/** Lower-case, accent-free, whitespace-collapsed form of `text`. */
export function foldText(text: string): string {
  return text.normalize('NFD').replace(COMBINING_MARKS, '').toLowerCase().replace(/\s+/g, ' ').trim();
}

/** The key stored in checkins.name_key. */
export function nameKey(firstname: string, lastname: string): string {
  return foldText(`${firstname} ${lastname}`);
}

/** Letters that do not decompose, as person_fold transliterates them. */
const TRANSLITERATION: Record<string, string> = {
  ł: 'l',
  ø: 'o',
  đ: 'd',
  ħ: 'h',
  ı: 'i',
  ŀ: 'l',
  ŧ: 't',
  ß: 'ss',
  æ: 'ae',
  œ: 'oe',
  þ: 'th',
};
const UNDECOMPOSED = /[łøđħıŀŧßæœþ]/g;
/** person_fold's combining marks: the Combining Diacritical Marks block only. */
const DIACRITICS = /[\u0300-\u036f]/g;
/**
 * What person_fold removes: white space (PostgreSQL's [[:space:]]: the ASCII spaces, and U+1680 and
 * U+2000–U+200A outside the ranges below), ASCII punctuation, Latin-1 punctuation and symbols, general
 * punctuation, CJK punctuation.
 */
const SPACE_AND_PUNCTUATION = /[\t\n\v\f\r \u1680\u2000-\u200a!-/:-@[-`{-~\u00a0-\u00bf\u2010-\u206f\u3000-\u303f]/g;

/** The person_fold rule of the database (migration 0060) in TypeScript. */
export function personFold(text: string): string {
  return text
    .normalize('NFD')
    .replace(DIACRITICS, '')
    .toLowerCase()
    .replace(UNDECOMPOSED, (letter) => TRANSLITERATION[letter]!)
    .replace(SPACE_AND_PUNCTUATION, '');
}

/**
 * The words of a name search, folded: split on white space and commas (so the sheet's own "Lovelace, Ada"
 * is two words), each folded by person_fold; words that fold to nothing (a lone "-") are dropped. Every
 * word must occur in the folded "firstname lastname", so either name order finds the person. Null when
 * the query has words but every one folds to nothing ("%", "?!"): no folded name can hold them.
 */
export function searchTerms(query: string | undefined): string[] | null {
  const words = (query ?? '').split(/[\s,]+/).filter((word) => word !== '');
  const terms = words.map(personFold).filter((term) => term !== '');
  return words.length > 0 && terms.length === 0 ? null : terms;
}
