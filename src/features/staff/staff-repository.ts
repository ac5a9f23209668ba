// Admin users: the people who may sign in to /admin.
import type { Database, Queryable } from '../../db/database.js';
import { recordAudit } from '../audit/audit-log.js';
import { hashPassword, passwordProblem, verifyPassword } from './passwords.js';
import { forgetSignInGuesses } from './sign-in-throttle.js';

export interface AdminUser {
  id: number;
  username: string;
  createdAt: string;
  passwordChangedAt: string;
}

export const USERNAME_PATTERN = /^[A-Za-z0-9._@-]{1,64}$/;

const COLUMNS = `id, username, to_json(created_at) #>> '{}' AS "createdAt", to_json(password_changed_at) #>> '{}' AS "passwordChangedAt"`;

export async function listAdminUsers(db: Queryable): Promise<AdminUser[]> {
  return (await db.query<AdminUser>(`SELECT ${COLUMNS} FROM admin_users ORDER BY username`)).rows;
}

export async function findAdminUser(db: Queryable, id: number): Promise<AdminUser | undefined> {
  return (await db.query<AdminUser>(`SELECT ${COLUMNS} FROM admin_users WHERE id = $1`, [id])).rows[0];
}

/** The user when username and password match; undefined otherwise (in constant-ish time). */
export async function checkCredentials(db: Queryable, username: string, password: string): Promise<AdminUser | undefined> {
  const { rows } = await db.query<AdminUser & { passwordHash: string }>(
    `SELECT ${COLUMNS}, password_hash AS "passwordHash" FROM admin_users WHERE username = $1`,
    [username],
  );
  const row = rows[0];
  const ok = await verifyPassword(row?.passwordHash, password);
  if (!ok || !row) return undefined;
  const { passwordHash: _hash, ...user } = row;
  return user;
}

export class AdminUserError extends Error {
  override name = 'AdminUserError';
}

export async function createAdminUser(db: Queryable, username: string, password: string): Promise<AdminUser> {
  if (!USERNAME_PATTERN.test(username)) throw new AdminUserError('The username must be 1 to 64 letters, digits or . _ @ -');
  const problem = passwordProblem(password);
  if (problem) throw new AdminUserError(problem);
  const { rows } = await db.query<AdminUser>(
    `INSERT INTO admin_users (username, password_hash) VALUES ($1, $2)
     ON CONFLICT (username) DO NOTHING RETURNING ${COLUMNS}`,
    [username, await hashPassword(password)],
  );
  if (!rows[0]) throw new AdminUserError(`There is already an admin called ${username}.`);
  return rows[0];
}

/** Sets a new password and ends every session of that user. */
export async function setAdminPassword(db: Queryable, id: number, password: string): Promise<void> {
  const problem = passwordProblem(password);
  if (problem) throw new AdminUserError(problem);
  await db.query(`UPDATE admin_users SET password_hash = $2, password_changed_at = now() WHERE id = $1`, [
    id,
    await hashPassword(password),
  ]);
  await db.query(`DELETE FROM admin_sessions WHERE user_id = $1`, [id]);
}

/** Deletes an admin (their sessions go with them); the last admin cannot be deleted. */
export async function deleteAdminUser(db: Queryable, id: number): Promise<AdminUser | undefined> {
  const { rows } = await db.query<AdminUser>(
    `DELETE FROM admin_users WHERE id = $1 AND (SELECT count(*) FROM admin_users) > 1 RETURNING ${COLUMNS}`,
    [id],
  );
  return rows[0];
}

/**
 * Recovery by an operator (`barona admin reset-password`): a new password for `username`, every session
 * of that user ended, the sign-in throttle's counts for the name forgotten, and an audit record — in one
 * transaction. Undefined when there is no such admin.
 */
export async function resetAdminPassword(db: Database, username: string, password: string, actor: string): Promise<AdminUser | undefined> {
  const problem = passwordProblem(password);
  if (problem) throw new AdminUserError(problem);
  const passwordHash = await hashPassword(password);
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<AdminUser>(
      `UPDATE admin_users SET password_hash = $2, password_changed_at = now() WHERE username = $1 RETURNING ${COLUMNS}`,
      [username, passwordHash],
    );
    const user = rows[0];
    if (!user) return undefined;
    const { rowCount } = await tx.query(`DELETE FROM admin_sessions WHERE user_id = $1`, [user.id]);
    await forgetSignInGuesses(tx, username);
    await recordAudit(tx, {
      actor,
      action: 'reset password',
      entity: 'admin',
      entityId: user.id,
      after: { username: user.username, sessionsEnded: rowCount ?? 0 },
    });
    return user;
  });
}
