// The one folding rule of names (person_fold of migration 0060, personFold of
// src/features/checkins/person-name.ts), for the kiosk's own search of its roster without the network:
// "Żółć" is "zolc", "O'Brien" is "obrien". fold.test.ts holds it to personFold.

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
const DIACRITICS = /[\u0300-\u036f]/g;
const SPACE_AND_PUNCTUATION = /[\t\n\v\f\r \u1680\u2000-\u200a!-/:-@[-`{-~\u00a0-\u00bf\u2010-\u206f\u3000-\u303f]/g;

export function fold(text: string): string {
  return text
    .normalize('NFD')
    .replace(DIACRITICS, '')
    .toLowerCase()
    .replace(UNDECOMPOSED, (letter) => TRANSLITERATION[letter] ?? letter)
    .replace(SPACE_AND_PUNCTUATION, '');
}

/** The words of a name search, folded (split at spaces, commas and semicolons, as the server splits them). */
export function searchWords(query: string): string[] {
  return query
    .split(/[\s,;]+/)
    .map(fold)
    .filter((word) => word !== '');
}

/** Letters and digits in `query`: the search needs at least 2, as the server's does. */
export function searchable(query: string): boolean {
  return query.replace(/[\s\p{P}\p{S}]/gu, '').length >= 2;
}
