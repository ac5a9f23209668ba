// SQL for check-ins. Times are rendered by PostgreSQL (to_json of a timestamptz) in the session time
// zone, which is APP_TIMEZONE: ISO 8601 with offset and microseconds, e.g. 2026-11-24T09:12:21.123456+01:00.
import type { Queryable } from '../db/database.js';

export interface NewCheckin {
  firstname: string;
  lastname: string;
  gate: string;
}

export interface Checkin {
  id: number;
  login: string;
  firstname: string;
  lastname: string;
  gate: string;
}

/** Rows whose login falls on local calendar day $1 ('YYYY-MM-DD') in the session time zone. */
export const ON_DAY = `login >= $1::date::timestamptz AND login < ($1::date + 1)::timestamptz`;

export async function insertCheckin(db: Queryable, checkin: NewCheckin): Promise<Checkin> {
  const { rows } = await db.query<Checkin>(
    `INSERT INTO checkins (firstname, lastname, gate) VALUES ($1, $2, $3)
     RETURNING id, to_json(login) #>> '{}' AS login, firstname, lastname, gate`,
    [checkin.firstname, checkin.lastname, checkin.gate],
  );
  return rows[0]!;
}

/**
 * The seed's attendance sheet of one day as a ready JSON array (built by PostgreSQL, which is faster
 * than fetching rows and serialising them again), ordered by id.
 */
export async function daySheetJson(db: Queryable, day: string): Promise<string> {
  const { rows } = await db.query<{ sheet: string }>(
    `SELECT coalesce(json_agg(json_build_object(
              'id', id, 'login', login, 'lastname', lastname, 'firstname', firstname, 'gate', gate
            ) ORDER BY id), '[]')::text AS sheet
       FROM checkins WHERE ${ON_DAY}`,
    [day],
  );
  return rows[0]!.sheet;
}
