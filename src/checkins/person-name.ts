// How a person is recognised across entries: the name key. "Élodie  Dupré", "elodie dupre" and
// "ELODIE DUPRÉ" are the same person for search and duplicate detection. Computed here (not with the
// `unaccent` extension, which PGlite lacks) so every database gets the same Unicode-aware result.

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
