// SQL of the kiosk: the roster it keeps for scanning offline, and the search by name only.
import type { Queryable } from '../../db/database.js';

export interface RosterName {
  id: number;
  firstname: string;
  lastname: string;
}

/**
 * People whose folded "firstname lastname" (people.match_key, person_fold) holds every term, lowest ids
 * first. Only the names are searched: the external reference (in people.search_key, what staff search)
 * is not, so a reference typed at a public kiosk never turns into the name of its person.
 */
export async function findByName(db: Queryable, terms: readonly string[], limit: number): Promise<RosterName[]> {
  const likes = terms.map((term) => `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  const { rows } = await db.query<RosterName>(
    `SELECT p.id::int AS id, p.firstname, p.lastname FROM people p
      WHERE p.match_key LIKE ALL ($2::text[])
      ORDER BY p.id LIMIT $1`,
    [limit, likes],
  );
  return rows;
}

export interface RosterEntry extends RosterName {
  badge: string;
}

/** Everyone the kiosk may scan: id, names and badge code, by id (a stable order, so an unchanged roster hashes alike). */
export async function listRoster(db: Queryable): Promise<RosterEntry[]> {
  const { rows } = await db.query<RosterEntry>(`SELECT p.id::int AS id, p.firstname, p.lastname, p.badge FROM people p ORDER BY p.id`);
  return rows;
}
