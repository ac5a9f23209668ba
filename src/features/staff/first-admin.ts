// The first admin (an owner), created once: when the database has no admin at all, ADMIN_USERNAME gets
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
import { systemActor } from '../../domain/actor.js';
import { Changes } from '../../domain/changes.js';
import { anyStaff, insertFirstOwner } from './staff-repository.js';
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
  if (await anyStaff(db)) {
    if (config.adminPassword !== undefined) {
      log.debug('ADMIN_PASSWORD only creates the first admin; to recover a password use `barona admin reset-password`');
    }
    return;
  }
  const username = config.adminUsername;
  const password = config.adminPassword ?? generatePassword();
  const generated = config.adminPassword === undefined;
  const hash = await hashPassword(password);
  // Only one replica's insert wins; the others see an admin and do nothing.
  const created = await new Changes(db).run(systemActor('system'), async (change) => {
    const id = await insertFirstOwner(change.tx, username, hash);
    if (id === undefined) return false;
    await change.audit({
      action: 'create',
      entity: 'admin',
      entityId: id,
      after: { username, role: 'owner', password: generated ? 'generated' : 'ADMIN_PASSWORD' },
    });
    return true;
  });
  if (!created) return;
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
