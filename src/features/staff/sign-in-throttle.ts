// Sign-in throttle, kept in the database so that every replica counts the same guesses. A guess is
// reserved before the password is checked, by one SQL function that counts and decides in one atomic
// step (migrations/0030_sign_in_guesses.sql): however many attempts arrive at once, no more than
// SIGNIN_MAX_FAILURES passwords are ever evaluated per window.
//
// Three counters: per client address, whatever the usernames (SIGNIN_MAX_CHECKS_PER_ADDRESS password
// checks per window, so made-up names cannot keep the server hashing; a right password gives its check
// back); per (client address, username), blocked for the rest of the window once spent; and per
// username across all addresses, which after the same number of guesses allows one guess at a time with
// a growing wait (5 s, 10 s, 20 s, 40 s, then 60 s). Addresses the user has signed in from before skip the account
// counter, so a stranger guessing from elsewhere slows guessing down without locking the user out.
import type { AuthConfig } from '../../config.js';
import type { Queryable } from '../../db/database.js';

/**
 * Reserves one guess for (address, username): 0 when the password may now be checked, otherwise the
 * seconds to wait (and nothing was reserved).
 */
export async function reserveSignInGuess(db: Queryable, clientIp: string, username: string, config: AuthConfig): Promise<number> {
  // The longest wait of every counter that refuses, so the message names the real wait.
  const { rows } = await db.query<{ wait: number }>(`SELECT sign_in_reserve_check($1, $2, $3, $4, $5) AS wait`, [
    clientIp,
    username.toLowerCase(),
    config.signInMaxFailures,
    config.signInWindowMinutes,
    config.signInMaxChecksPerAddress,
  ]);
  if (Math.random() < 0.05) {
    await db.query(`DELETE FROM sign_in_failures WHERE window_start < now() - interval '1 day'`);
    await db.query(`DELETE FROM sign_in_checks WHERE window_start < now() - interval '1 day'`);
    await db.query(`DELETE FROM sign_in_account_guesses WHERE window_start < now() - interval '1 day'`);
    await db.query(`DELETE FROM sign_in_known_addresses WHERE last_signed_in < now() - interval '180 days'`);
  }
  return Number(rows[0]?.wait ?? 0);
}

/** The reserved guess was right: the address starts over and becomes one the user signs in from. */
export async function signInSucceeded(db: Queryable, clientIp: string, username: string): Promise<void> {
  await db.query(`SELECT sign_in_succeeded($1, $2)`, [clientIp, username.toLowerCase()]);
  await db.query(`UPDATE sign_in_checks SET checks = greatest(checks - 1, 0) WHERE client_ip = $1`, [clientIp]);
}

/** Forgets every count for a username (after an operator reset its password). */
export async function forgetSignInGuesses(db: Queryable, username: string): Promise<void> {
  await db.query(`DELETE FROM sign_in_failures WHERE username = $1`, [username.toLowerCase()]);
  await db.query(`DELETE FROM sign_in_account_guesses WHERE username = $1`, [username.toLowerCase()]);
}
