// Gate API tokens: what a kiosk or a scanner presents as `Authorization: Bearer <token>`.
// Shown once at creation; stored as a SHA-256; checked against the database on every request, so a
// revoked token stops working at once on every replica.
import type { Queryable } from '../../db/database.js';
import { randomSecret, sha256 } from '../../domain/secrets.js';

import { type TokenScope } from '../../domain/actor.js';

export { TOKEN_SCOPES, type TokenScope } from '../../domain/actor.js';

export interface GateToken {
  id: number;
  name: string;
  gate: string;
  scopes: TokenScope[];
  expiresAt: string | null;
  tokenPrefix: string;
  createdAt: string;
  createdBy: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  revokedBy: string | null;
}

const TOKEN_PREFIX = 'brn_';
const COLUMNS = `id, name, gate, scopes, to_json(expires_at) #>> '{}' AS "expiresAt", token_prefix AS "tokenPrefix", to_json(created_at) #>> '{}' AS "createdAt", created_by AS "createdBy",
  to_json(last_used_at) #>> '{}' AS "lastUsedAt", to_json(revoked_at) #>> '{}' AS "revokedAt", revoked_by AS "revokedBy"`;

export async function createGateToken(
  db: Queryable,
  input: { name: string; gate: string; createdBy: string; scopes: readonly TokenScope[]; expiresAt?: string },
): Promise<{ token: string; gateToken: GateToken }> {
  const token = `${TOKEN_PREFIX}${randomSecret()}`;
  const { rows } = await db.query<GateToken>(
    `INSERT INTO gate_tokens (name, gate, token_hash, token_prefix, created_by, scopes, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
    [
      input.name,
      input.gate,
      sha256(token),
      token.slice(0, TOKEN_PREFIX.length + 6),
      input.createdBy,
      input.scopes,
      input.expiresAt ?? null,
    ],
  );
  return { token, gateToken: rows[0]! };
}

/**
 * Registers BOOTSTRAP_API_TOKEN as the gate token named "bootstrap" (idempotent; replicas may race).
 * Its hash is all that is stored; an admin may revoke it like any other token, and a revoked bootstrap
 * token stays revoked until a different value is configured.
 */
export async function ensureBootstrapToken(db: Queryable, token: string): Promise<boolean> {
  const { rows } = await db.query(
    `INSERT INTO gate_tokens (name, gate, token_hash, token_prefix, created_by)
     VALUES ('bootstrap', '', $1, $2, 'BOOTSTRAP_API_TOKEN')
     ON CONFLICT (token_hash) DO NOTHING RETURNING id`,
    [sha256(token), token.slice(0, TOKEN_PREFIX.length + 6)],
  );
  return rows.length > 0;
}

export async function listGateTokens(db: Queryable): Promise<GateToken[]> {
  return (await db.query<GateToken>(`SELECT ${COLUMNS} FROM gate_tokens ORDER BY revoked_at IS NOT NULL, id DESC`)).rows;
}

/** Revokes a token; returns it as it was before, or undefined when it was unknown or already revoked. */
export async function revokeGateToken(db: Queryable, id: number, by: string): Promise<{ before: GateToken; after: GateToken } | undefined> {
  const before = (await db.query<GateToken>(`SELECT ${COLUMNS} FROM gate_tokens WHERE id = $1 AND revoked_at IS NULL`, [id])).rows[0];
  if (!before) return undefined;
  const after = (
    await db.query<GateToken>(
      `UPDATE gate_tokens SET revoked_at = now(), revoked_by = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING ${COLUMNS}`,
      [id, by],
    )
  ).rows[0];
  return after ? { before, after } : undefined;
}

/**
 * The active (not revoked, not expired) token for a presented bearer value; records when it was last
 * used (at most twice a minute).
 */
export async function authenticateGateToken(
  db: Queryable,
  presented: string,
): Promise<Pick<GateToken, 'id' | 'name' | 'gate' | 'scopes'> | undefined> {
  if (!presented.startsWith(TOKEN_PREFIX) || presented.length > 200) return undefined;
  const { rows } = await db.query<{ id: number; name: string; gate: string; scopes: TokenScope[]; stale: boolean }>(
    `SELECT id, name, gate, scopes, (last_used_at IS NULL OR last_used_at < now() - interval '30 seconds') AS stale
       FROM gate_tokens WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())`,
    [sha256(presented)],
    // Every request with a bearer token runs it: parsed and planned once per connection.
    { prepared: 'barona_authenticate_gate_token' },
  );
  const row = rows[0];
  if (!row) return undefined;
  if (row.stale) await db.query(`UPDATE gate_tokens SET last_used_at = now() WHERE id = $1`, [row.id]);
  return { id: row.id, name: row.name, gate: row.gate, scopes: row.scopes };
}

/** One token by id, revoked or not (for a caller that already authenticated with it). */
export async function findGateToken(db: Queryable, id: number): Promise<GateToken | undefined> {
  return (await db.query<GateToken>(`SELECT ${COLUMNS} FROM gate_tokens WHERE id = $1`, [id])).rows[0];
}
