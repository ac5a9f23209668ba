// The first admin. ADMIN_PASSWORD (or ADMIN_PASSWORD_FILE) is authoritative for ADMIN_USERNAME: the user
// is created when missing and gets that password back at start when it was changed. Without it, a
// database with no admin at all gets one with a generated password, printed once (one JSON line on
// stderr) by the one replica whose insert won.
import type { FastifyBaseLogger } from 'fastify';
import type { AuthConfig } from '../config.js';
import type { Database } from '../db/database.js';
import { createAdminUser, setAdminPassword } from './admin-users.js';
import { ensureBootstrapToken } from './gate-tokens.js';
import { generatePassword, hashPassword, verifyPassword } from './passwords.js';

export async function ensureFirstAdmin(db: Database, config: AuthConfig, log: FastifyBaseLogger): Promise<void> {
  if (config.bootstrapApiToken !== undefined && (await ensureBootstrapToken(db, config.bootstrapApiToken))) {
    log.info('gate token "bootstrap" registered from BOOTSTRAP_API_TOKEN');
  }
  const username = config.adminUsername;
  if (config.adminPassword !== undefined) {
    const { rows } = await db.query<{ id: number; password_hash: string }>(
      'SELECT id, password_hash FROM admin_users WHERE username = $1',
      [username],
    );
    const existing = rows[0];
    if (!existing) {
      await createAdminUser(db, username, config.adminPassword).catch((error: Error) => {
        if (error.name !== 'AdminUserError') throw error; // another replica created it just now
      });
      log.info({ username }, 'admin user created from ADMIN_PASSWORD');
    } else if (!(await verifyPassword(existing.password_hash, config.adminPassword))) {
      await setAdminPassword(db, existing.id, config.adminPassword);
      log.info({ username }, 'admin password reset from ADMIN_PASSWORD');
    }
    return;
  }

  // Hashing is deliberately slow: skip it at every later start, when an admin already exists.
  const { rows: anyAdmin } = await db.query('SELECT 1 FROM admin_users LIMIT 1');
  if (anyAdmin.length > 0) return;
  const password = generatePassword();
  const { rows } = await db.query<{ id: number }>(
    `INSERT INTO admin_users (username, password_hash)
     SELECT $1, $2 WHERE NOT EXISTS (SELECT 1 FROM admin_users)
     ON CONFLICT (username) DO NOTHING RETURNING id`,
    [username, await hashPassword(password)],
  );
  if (rows.length === 0) return;
  // One JSON line (the log format) on stderr, once, so whoever started the service can sign in. Set
  // ADMIN_PASSWORD (the chart does) to never have a password printed at all.
  process.stderr.write(
    `${JSON.stringify({
      level: 40,
      time: Date.now(),
      msg: 'first admin created with a generated password: sign in at /admin and change it (shown only this once)',
      username,
      generatedPassword: password,
    })}\n`,
  );
}
