// Sign-in rate limit per (client address, username), kept in the database so that every replica counts
// the same failures: after `signInMaxFailures` failures within `signInWindowMinutes`, further attempts
// for that pair are refused until the window has passed. A success clears the count.
import type { Queryable } from '../db/database.js';
import type { AuthConfig } from '../config.js';

/** Seconds until the pair may try again, or 0 when it may try now. */
export async function signInBlockedFor(db: Queryable, clientIp: string, username: string, config: AuthConfig): Promise<number> {
  const { rows } = await db.query<{ wait: number }>(
    `SELECT ceil(extract(epoch FROM window_start + make_interval(mins => $3::int) - now()))::int AS wait
       FROM sign_in_failures
      WHERE client_ip = $1 AND username = $2 AND failures >= $4
        AND window_start > now() - make_interval(mins => $3::int)`,
    [clientIp, username.toLowerCase(), config.signInWindowMinutes, config.signInMaxFailures],
  );
  return Math.max(0, rows[0]?.wait ?? 0);
}

export async function recordSignInFailure(db: Queryable, clientIp: string, username: string, config: AuthConfig): Promise<void> {
  await db.query(
    `INSERT INTO sign_in_failures AS f (client_ip, username, failures, window_start) VALUES ($1, $2, 1, now())
     ON CONFLICT (client_ip, username) DO UPDATE SET
       failures = CASE WHEN f.window_start > now() - make_interval(mins => $3::int) THEN f.failures + 1 ELSE 1 END,
       window_start = CASE WHEN f.window_start > now() - make_interval(mins => $3::int) THEN f.window_start ELSE now() END`,
    [clientIp, username.toLowerCase(), config.signInWindowMinutes],
  );
  if (Math.random() < 0.05) await db.query(`DELETE FROM sign_in_failures WHERE window_start < now() - interval '1 day'`);
}

export async function clearSignInFailures(db: Queryable, clientIp: string, username: string): Promise<void> {
  await db.query(`DELETE FROM sign_in_failures WHERE client_ip = $1 AND username = $2`, [clientIp, username.toLowerCase()]);
}
