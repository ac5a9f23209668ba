// Gate tokens: the credentials of kiosks and scanners. Owners and managers make them (the secret is
// shown once, only its hash is kept), list them (never the secret) and revoke them; each change is
// audited in its own transaction. Checking a presented token is done by the access-control plugin.
import { type Actor, actorLabel, authorize, TOKEN_SCOPES, type TokenScope } from '../../domain/actor.js';
import { DomainError } from '../../domain/domain-error.js';
import type { ServiceDeps } from '../../services.js';
import { createGateToken, findGateToken, type GateToken, listGateTokens, revokeGateToken } from './gate-tokens.js';

/** The longest a token may be made to last. */
export const EXPIRY_MAX_DAYS = 3650;
const NAME_MAX = 100;

export interface NewToken {
  name: string;
  /** Binds the token to one gate; empty or absent: any gate. */
  gate?: string;
  scopes: readonly string[];
  /** When it stops working (RFC 3339); absent or null: never. */
  expiresAt?: string | null;
}

export class TokenService {
  constructor(private readonly deps: ServiceDeps) {}

  async list(actor: Actor): Promise<GateToken[]> {
    authorize(actor, 'tokens:manage');
    return listGateTokens(this.deps.db);
  }

  async get(actor: Actor, id: number): Promise<GateToken> {
    authorize(actor, 'tokens:manage');
    const token = await findGateToken(this.deps.db, id);
    if (!token) throw DomainError.notFoundOf('gate token', id);
    return token;
  }

  /** The token a kiosk is calling with (it may always see itself). */
  async current(actor: Actor): Promise<GateToken | undefined> {
    return actor.kind === 'token' ? findGateToken(this.deps.db, actor.id) : undefined;
  }

  /** A new token and its secret, which is never shown again. */
  async create(actor: Actor, input: NewToken, now = new Date()): Promise<{ token: string; gateToken: GateToken }> {
    authorize(actor, 'tokens:manage');
    const name = input.name.trim();
    if (name === '' || name.length > NAME_MAX) throw DomainError.invalid('name', `must be 1 to ${NAME_MAX} characters`);
    const gate = (input.gate ?? '').trim();
    if (gate.length > NAME_MAX) throw DomainError.invalid('gate', `must be at most ${NAME_MAX} characters`);
    const scopes = [...new Set(input.scopes)];
    if (scopes.length === 0) throw DomainError.invalid('scopes', `must name at least one of ${TOKEN_SCOPES.join(', ')}`);
    const unknown = scopes.find((scope) => !(TOKEN_SCOPES as readonly string[]).includes(scope));
    if (unknown !== undefined) throw DomainError.invalid('scopes', `"${unknown}" is not one of ${TOKEN_SCOPES.join(', ')}`);
    const expiresAt = input.expiresAt == null ? undefined : expiry(input.expiresAt, now);
    return this.deps.changes.run(actor, async (change) => {
      const created = await createGateToken(change.tx, {
        name,
        gate,
        createdBy: actorLabel(actor),
        scopes: scopes as TokenScope[],
        expiresAt,
      });
      const { gateToken } = created;
      await change.audit({
        action: 'create',
        entity: 'gate token',
        entityId: gateToken.id,
        after: { name, gate, tokenPrefix: gateToken.tokenPrefix, scopes: gateToken.scopes, expiresAt: gateToken.expiresAt },
      });
      return created;
    });
  }

  /** Revokes an active token: requests with it are refused from now on, on every replica. */
  async revoke(actor: Actor, id: number): Promise<GateToken> {
    authorize(actor, 'tokens:manage');
    return this.deps.changes.run(actor, async (change) => {
      const revoked = await revokeGateToken(change.tx, id, actorLabel(actor));
      if (!revoked) throw new DomainError(404, 'Not found', `There is no active gate token with id ${id}.`);
      await change.audit({
        action: 'revoke',
        entity: 'gate token',
        entityId: id,
        before: { name: revoked.before.name, revokedAt: null },
        after: { name: revoked.after.name, revokedAt: revoked.after.revokedAt },
      });
      return revoked.after;
    });
  }
}

function expiry(value: string, now: Date): string {
  const at = Date.parse(value);
  if (Number.isNaN(at)) throw DomainError.invalid('expiresAt', 'must be an RFC 3339 date-time with a time zone');
  if (at <= now.getTime()) throw DomainError.invalid('expiresAt', 'must be in the future');
  if (at > now.getTime() + EXPIRY_MAX_DAYS * 86_400_000) {
    throw DomainError.invalid('expiresAt', `must be within ${EXPIRY_MAX_DAYS} days`);
  }
  return new Date(at).toISOString();
}
