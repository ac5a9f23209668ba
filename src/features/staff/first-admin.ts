// The first admin, created once: when the database has no admin at all, ADMIN_USERNAME gets
// ADMIN_PASSWORD (or ADMIN_PASSWORD_FILE), or else a generated password shown once. Later starts never
// touch admins again, so a password changed in the UI stays changed; recovery is the explicit, audited
// `barona admin reset-password USERNAME`.
//
// A generated password is never a field of a log line (logs are collected and kept). It goes to whoever
// started the process: into the start-up banner on a terminal (server.ts), else one plain line on stderr,
// which in a container is the first start's output (`docker logs`, `kubectl logs`). Set ADMIN_PASSWORD
// (the chart does) to never have a password printed at all.
import type { FastifyBaseLogger } from 'fastify';
import type { AuthConfig } from '../../config.js';
import type { Database } from '../../db/database.js';
import { recordAudit } from '../audit/audit-log.js';
import { ensureBootstrapToken } from '../tokens/gate-tokens.js';
import { generatePassword, hashPassword } from './passwords.js';

type PasswordListener = (username: string, password: string) => void;
let passwordListener: PasswordListener | undefined;

/** Who shows a generated password (the terminal banner); without one it is written to stderr. */
export function showGeneratedPasswordWith(listener: PasswordListener | undefined): void {
  passwordListener = listener;
}

export async function ensureFirstAdmin(db: Database, config: AuthConfig, log: FastifyBaseLogger): Promise<void> {
  if (config.bootstrapApiToken !== undefined && (await ensureBootstrapToken(db, config.bootstrapApiToken))) {
    log.info('gate token "bootstrap" registered from BOOTSTRAP_API_TOKEN');
  }
  // Hashing is deliberately slow: skip it at every later start, when an admin already exists.
  const { rows: anyAdmin } = await db.query('SELECT 1 FROM admin_users LIMIT 1');
  if (anyAdmin.length > 0) {
    if (config.adminPassword !== undefined) {
      log.debug('ADMIN_PASSWORD only creates the first admin; to recover a password use `barona admin reset-password`');
    }
    return;
  }
  const username = config.adminUsername;
  const password = config.adminPassword ?? generatePassword();
  // Only one replica's insert wins; the others see an admin and do nothing.
  const { rows } = await db.query<{ id: number }>(
    `INSERT INTO admin_users (username, password_hash)
     SELECT $1, $2 WHERE NOT EXISTS (SELECT 1 FROM admin_users)
     ON CONFLICT (username) DO NOTHING RETURNING id`,
    [username, await hashPassword(password)],
  );
  if (rows.length === 0) return;
  const generated = config.adminPassword === undefined;
  await recordAudit(db, {
    actor: 'system',
    action: 'create',
    entity: 'admin',
    entityId: rows[0]!.id,
    after: { username, password: generated ? 'generated' : 'ADMIN_PASSWORD' },
  });
  if (!generated) {
    log.info({ username }, 'first admin created from ADMIN_PASSWORD');
    return;
  }
  if (passwordListener) {
    passwordListener(username, password);
    log.warn({ username }, 'first admin created with a generated password, shown once in the start-up banner');
  } else {
    log.warn({ username }, 'first admin created with a generated password, printed once on stderr (not in the log)');
    process.stderr.write(
      `barona: first admin "${username}" created with the generated password ${password} ` +
        `(shown only this once: sign in at /admin and change it, or set ADMIN_PASSWORD before the first start)\n`,
    );
  }
}
