// SQL of staff accounts (table admin_users: the people who sign in to /admin) and the groups a leader
// leads (staff_groups). Rules and audit records are the staff service's (staff-service.ts).
import type { Queryable } from '../../db/database.js';
import type { Role } from '../../domain/actor.js';
import { verifyPassword } from './passwords.js';

export interface StaffMember {
  id: number;
  username: string;
  role: Role;
  /** Where the account's mail goes (a leader's register reports, migrations/0094); null: none. */
  email: string | null;
  /** The groups a leader leads (ids, ascending); empty for the other roles. */
  groups: number[];
  createdAt: string;
  passwordChangedAt: string;
}

export const USERNAME_PATTERN = /^[A-Za-z0-9._@-]{1,64}$/;

const COLUMNS = `u.id, u.username, u.role, u.email,
  ARRAY(SELECT g.group_id::int FROM staff_groups g WHERE g.user_id = u.id ORDER BY g.group_id) AS groups,
  to_json(u.created_at) #>> '{}' AS "createdAt", to_json(u.password_changed_at) #>> '{}' AS "passwordChangedAt"`;

export async function listStaff(db: Queryable): Promise<StaffMember[]> {
  return (await db.query<StaffMember>(`SELECT ${COLUMNS} FROM admin_users u ORDER BY u.username`)).rows;
}

/** One account; `lock` holds it until the transaction ends. */
export async function findStaff(db: Queryable, id: number, lock = false): Promise<StaffMember | undefined> {
  const { rows } = await db.query<StaffMember>(`SELECT ${COLUMNS} FROM admin_users u WHERE u.id = $1${lock ? ' FOR UPDATE OF u' : ''}`, [
    id,
  ]);
  return rows[0];
}

export async function findStaffByName(db: Queryable, username: string): Promise<StaffMember | undefined> {
  return (await db.query<StaffMember>(`SELECT ${COLUMNS} FROM admin_users u WHERE u.username = $1`, [username])).rows[0];
}

/** An account with its password hash (or the marker of an account that signs in elsewhere); `lock` holds it. */
export async function findStaffWithHash(
  db: Queryable,
  username: string,
  lock = false,
): Promise<(StaffMember & { passwordHash: string }) | undefined> {
  const { rows } = await db.query<StaffMember & { passwordHash: string }>(
    `SELECT ${COLUMNS}, u.password_hash AS "passwordHash" FROM admin_users u WHERE u.username = $1${lock ? ' FOR UPDATE OF u' : ''}`,
    [username],
  );
  return rows[0];
}

/** The account when username and password match; undefined otherwise (a password is hashed either way). */
export async function checkCredentials(db: Queryable, username: string, password: string): Promise<StaffMember | undefined> {
  const { rows } = await db.query<StaffMember & { passwordHash: string }>(
    `SELECT ${COLUMNS}, u.password_hash AS "passwordHash" FROM admin_users u WHERE u.username = $1`,
    [username],
  );
  const row = rows[0];
  const ok = await verifyPassword(row?.passwordHash, password);
  if (!ok || !row) return undefined;
  const { passwordHash: _hash, ...user } = row;
  return user;
}

/** Inserts an account; undefined when the username is taken. */
export async function insertStaff(
  db: Queryable,
  username: string,
  passwordHash: string,
  role: Role,
  email: string | null = null,
): Promise<number | undefined> {
  const { rows } = await db.query<{ id: number }>(
    `INSERT INTO admin_users (username, password_hash, role, email) VALUES ($1, $2, $3, $4) ON CONFLICT (username) DO NOTHING RETURNING id`,
    [username, passwordHash, role, email],
  );
  return rows[0]?.id;
}

/** The first account of a new installation: only when there is none at all (replicas may race). */
export async function insertFirstOwner(db: Queryable, username: string, passwordHash: string): Promise<number | undefined> {
  const { rows } = await db.query<{ id: number }>(
    `INSERT INTO admin_users (username, password_hash, role)
     SELECT $1, $2, 'owner' WHERE NOT EXISTS (SELECT 1 FROM admin_users)
     ON CONFLICT (username) DO NOTHING RETURNING id`,
    [username, passwordHash],
  );
  return rows[0]?.id;
}

export async function anyStaff(db: Queryable): Promise<boolean> {
  return (await db.query('SELECT 1 FROM admin_users LIMIT 1')).rows.length > 0;
}

export async function setEmail(db: Queryable, id: number, email: string | null): Promise<void> {
  await db.query(`UPDATE admin_users SET email = $2 WHERE id = $1`, [id, email]);
}

export async function setRole(db: Queryable, id: number, role: Role): Promise<void> {
  await db.query(`UPDATE admin_users SET role = $2 WHERE id = $1`, [id, role]);
}

/** Replaces the groups a leader leads. */
export async function setLedGroups(db: Queryable, id: number, groups: readonly number[]): Promise<void> {
  await db.query(`DELETE FROM staff_groups WHERE user_id = $1`, [id]);
  if (groups.length > 0) {
    await db.query(`INSERT INTO staff_groups (user_id, group_id) SELECT $1, unnest($2::bigint[])`, [id, groups]);
  }
}

/** Which of these group ids no group has. */
export async function missingGroups(db: Queryable, groups: readonly number[]): Promise<number[]> {
  if (groups.length === 0) return [];
  const { rows } = await db.query<{ id: number }>(
    `SELECT g.id FROM unnest($1::bigint[]) AS g (id) WHERE NOT EXISTS (SELECT 1 FROM groups WHERE groups.id = g.id)`,
    [groups],
  );
  return rows.map((row) => Number(row.id));
}

/** Sets a password hash; returns how many sessions of the account were ended with it. */
export async function setPasswordHash(db: Queryable, id: number, passwordHash: string): Promise<number> {
  await db.query(`UPDATE admin_users SET password_hash = $2, password_changed_at = now() WHERE id = $1`, [id, passwordHash]);
  return endSessionsOf(db, id);
}

async function endSessionsOf(db: Queryable, id: number): Promise<number> {
  const { rowCount } = await db.query(`DELETE FROM admin_sessions WHERE user_id = $1`, [id]);
  return rowCount ?? 0;
}

export async function deleteStaff(db: Queryable, id: number): Promise<void> {
  await db.query(`DELETE FROM admin_users WHERE id = $1`, [id]);
}

/**
 * The owners, locked until the transaction ends: a change that could leave no owner counts them while
 * no other such change can run.
 */
export async function lockOwners(db: Queryable): Promise<number[]> {
  const { rows } = await db.query<{ id: number }>(`SELECT id FROM admin_users WHERE role = 'owner' ORDER BY id FOR UPDATE`);
  return rows.map((row) => Number(row.id));
}
