// Admin sessions, stored in the database so every replica (and a restart) sees the same ones.
// The cookie holds a random token; the table holds its SHA-256, the CSRF token, and two limits:
// an idle limit (last_seen_at) and an absolute one (expires_at).
import type { Queryable } from '../../db/database.js';
import type { AuthConfig } from '../../config.js';
import type { Role } from '../../domain/actor.js';
import { randomSecret, sha256 } from '../../domain/secrets.js';

export interface Session {
  tokenHash: string;
  csrfToken: string;
  userId: number;
  username: string;
  role: Role;
  /** The groups a leader leads (empty for other roles). */
  groups: number[];
  expiresAt: string;
}

export const SESSION_COOKIE = 'barona_session';

export async function createSession(db: Queryable, userId: number, config: AuthConfig): Promise<{ token: string; session: Session }> {
  const token = randomSecret();
  const csrfToken = randomSecret();
  const { rows } = await db.query<Session>(
    `WITH created AS (
       INSERT INTO admin_sessions (token_hash, user_id, csrf_token, expires_at)
       VALUES ($1, $2, $3, now() + make_interval(hours => $4::int))
       RETURNING token_hash, user_id, csrf_token, expires_at)
     SELECT c.token_hash AS "tokenHash", c.csrf_token AS "csrfToken", c.user_id AS "userId", u.username, u.role,
            ARRAY(SELECT g.group_id::int FROM staff_groups g WHERE g.user_id = u.id ORDER BY g.group_id) AS groups,
            to_json(c.expires_at) #>> '{}' AS "expiresAt"
       FROM created c JOIN admin_users u ON u.id = c.user_id`,
    [sha256(token), userId, csrfToken, config.sessionMaxHours],
  );
  // Housekeeping: expired sessions are useless; drop them now and then.
  if (Math.random() < 0.05) await db.query(`DELETE FROM admin_sessions WHERE expires_at < now() - interval '1 day'`);
  return { token, session: rows[0]! };
}

/**
 * The live session for a cookie token, or undefined when there is none or it has expired (idle or
 * absolute). Activity moves the idle limit (the write happens at most once a minute per session);
 * `touch: false` only looks, for checks that are not the person's activity (a live stream's heartbeat).
 */
export async function findSession(
  db: Queryable,
  token: string,
  config: AuthConfig,
  options: { touch?: boolean } = {},
): Promise<Session | undefined> {
  const { rows } = await db.query<Session & { stale: boolean }>(
    `SELECT s.token_hash AS "tokenHash", s.csrf_token AS "csrfToken", s.user_id AS "userId", u.username, u.role,
            ARRAY(SELECT g.group_id::int FROM staff_groups g WHERE g.user_id = u.id ORDER BY g.group_id) AS groups,
            to_json(s.expires_at) #>> '{}' AS "expiresAt",
            s.last_seen_at < now() - interval '1 minute' AS stale
       FROM admin_sessions s JOIN admin_users u ON u.id = s.user_id
      WHERE s.token_hash = $1 AND s.expires_at > now()
        AND s.last_seen_at > now() - make_interval(mins => $2::int)`,
    [sha256(token), config.sessionIdleMinutes],
    // Every signed-in request runs it: parsed and planned once per connection.
    { prepared: 'barona_find_session' },
  );
  const row = rows[0];
  if (!row) return undefined;
  if (row.stale && options.touch !== false)
    await db.query(`UPDATE admin_sessions SET last_seen_at = now() WHERE token_hash = $1`, [row.tokenHash]);
  const { stale: _stale, ...session } = row;
  return session;
}

export async function endSession(db: Queryable, tokenHash: string): Promise<void> {
  await db.query(`DELETE FROM admin_sessions WHERE token_hash = $1`, [tokenHash]);
}
