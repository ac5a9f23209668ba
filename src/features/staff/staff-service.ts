// Staff accounts and signing in. Owners manage accounts (username, password, role, the groups a
// leader leads, and an e-mail address for register reports); everyone may change their own password; an operator resets one from the command line.
// Every change goes through the change helper with its audit record. Two rules keep the installation
// manageable: nobody removes their own account, and the last owner stays an owner.
import type { AuthConfig } from '../../config.js';
import type { Queryable } from '../../db/database.js';
import { type Actor, authorize, ROLES, type Role, systemActor } from '../../domain/actor.js';
import { DomainError } from '../../domain/domain-error.js';
import { sha256 } from '../../domain/secrets.js';
import type { ServiceDeps } from '../../services.js';
import { checkEmail } from '../people/person-service.js';
import { hashPassword, passwordProblem } from './passwords.js';
import { createSession, endSession, findSession, type Session } from './sessions.js';
import { forgetSignInGuesses, reserveSignInGuess, signInSucceeded } from './sign-in-throttle.js';
import {
  checkCredentials,
  deleteStaff,
  findStaff,
  findStaffByName,
  findStaffWithHash,
  insertStaff,
  listStaff,
  lockOwners,
  missingGroups,
  setEmail,
  setLedGroups,
  setPasswordHash,
  setRole,
  type StaffMember,
  USERNAME_PATTERN,
} from './staff-repository.js';

export interface NewStaffMember {
  username: string;
  password: string;
  role: string;
  /** For a leader: the groups they lead. */
  groups?: readonly number[];
  /** Where the account's mail goes (register reports); '' or null: none. */
  email?: string | null;
}

export interface StaffChanges {
  password?: string;
  role?: string;
  groups?: readonly number[];
  /** A new address; '' or null removes it. */
  email?: string | null;
}

export type SignIn = { kind: 'signed in'; token: string; session: Session } | { kind: 'wait'; seconds: number } | { kind: 'wrong' };

/** Who an OpenID Connect provider vouched for: its issuer, the subject, and the claims of the ID token and userinfo. */
export interface OidcIdentity {
  issuer: string;
  subject: string;
  claims: Readonly<Record<string, unknown>>;
}

export type OidcSignIn = {
  token: string;
  session: Session;
  created: boolean;
  changed: boolean;
  /** Why the provider's verified e-mail address was not stored (never the address): for the caller's warn line. */
  emailIgnored?: string;
};

/**
 * The e-mail address of the claims, as an OpenID Connect sign-in uses it: `verified` only when
 * `email_verified` is true (the boolean, or the string "true" some providers send; absent counts as not
 * verified) and the address is plausible; `ignored` (with a reason that does not quote it) for a verified
 * claim that is not a string, longer than 254 characters, holds control characters or does not look like
 * name@example.org; `none` when there is no address, or it is not verified.
 */
export type OidcEmail = { kind: 'none' } | { kind: 'verified'; value: string } | { kind: 'ignored'; reason: string };

export function emailOfClaims(claims: Readonly<Record<string, unknown>>): OidcEmail {
  const value = claims.email;
  if (value === undefined || value === null || value === '') return { kind: 'none' };
  if (claims.email_verified !== true && claims.email_verified !== 'true') return { kind: 'none' };
  if (typeof value !== 'string') return { kind: 'ignored', reason: 'the email claim is not a string' };
  const trimmed = value.trim();
  if (trimmed === '') return { kind: 'none' };
  if (trimmed.length > 254) return { kind: 'ignored', reason: 'the email claim is longer than 254 characters' };
  const checked = /[\p{Cc}\p{Cf}]/u.test(trimmed) ? undefined : checkEmail(trimmed);
  if (!checked || 'error' in checked || checked.value === null) {
    return { kind: 'ignored', reason: 'the email claim is not a plausible e-mail address' };
  }
  return { kind: 'verified', value: checked.value };
}

const GROUPS_MAX = 1000;

/** Who the audit log names for what an OpenID Connect sign-in creates or changes. */
export const OIDC_ACTOR = systemActor('OpenID Connect');

/**
 * The password hash of an account that signs in with OpenID Connect: no password verifies against it
 * (argon2 refuses the format, verifyPassword answers false), and it binds the account to the provider's
 * subject, so a username that another person of the provider later gets does not open this account.
 */
export function oidcMarker(issuer: string, subject: string): string {
  return `!oidc:${sha256(`${issuer}\n${subject}`)}`;
}

const isOidcMarker = (passwordHash: string) => passwordHash.startsWith('!oidc');

/** The most powerful role the claim names (a string or an array of them); undefined when it names none. */
export function roleOfClaim(value: unknown): Role | undefined {
  const values = (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
  const named = new Set(values.map((v) => v.trim().toLowerCase()));
  return ROLES.find((r) => named.has(r));
}

/** Group ids of the claim: numbers or digit strings, one or an array (a string may list them with commas or spaces). */
export function groupsOfClaim(value: unknown): number[] {
  const items = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
  const ids = new Set<number>();
  for (const item of items) {
    const parts = typeof item === 'number' ? [String(item)] : typeof item === 'string' ? item.split(/[\s,]+/) : [];
    for (const part of parts) {
      if (/^\d{1,15}$/.test(part) && Number(part) > 0) ids.add(Number(part));
    }
  }
  return [...ids].sort((a, b) => a - b).slice(0, GROUPS_MAX);
}

function role(value: string): Role {
  if (!(ROLES as readonly string[]).includes(value)) throw DomainError.invalid('role', `must be one of ${ROLES.join(', ')}`);
  return value as Role;
}

function password(value: string, field = 'password'): string {
  const problem = passwordProblem(value);
  if (problem) throw DomainError.invalid(field, problem);
  return value;
}

/** The groups of an account with this role: a leader's list, checked; none for the other roles. */
async function ledGroups(tx: Queryable, of: Role, groups: readonly number[] | undefined): Promise<number[]> {
  const list = [...new Set(groups ?? [])].sort((a, b) => a - b);
  if (list.length > 0 && of !== 'leader') throw DomainError.invalid('groups', `only a leader leads groups (this account is a ${of})`);
  if (list.length > GROUPS_MAX) throw DomainError.invalid('groups', `at most ${GROUPS_MAX} groups`);
  const missing = await missingGroups(tx, list);
  if (missing.length > 0) throw DomainError.invalid('groups', `no group has id ${missing.join(', ')}`);
  return list;
}

/** An account's e-mail address, checked like a person's: null for none, a 400 naming `email` otherwise. */
function staffEmail(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const checked = checkEmail(value);
  if ('error' in checked) throw DomainError.invalid('email', checked.error);
  return checked.value;
}

const audited = (member: Pick<StaffMember, 'username' | 'role' | 'groups' | 'email'>) => ({
  username: member.username,
  role: member.role,
  groups: member.groups,
  email: member.email,
});

export class StaffService {
  constructor(private readonly deps: ServiceDeps) {}

  private get auth(): AuthConfig {
    return this.deps.config.auth;
  }

  async list(actor: Actor): Promise<StaffMember[]> {
    authorize(actor, 'staff:manage');
    return listStaff(this.deps.db);
  }

  async get(actor: Actor, id: number): Promise<StaffMember> {
    authorize(actor, 'staff:manage');
    const member = await findStaff(this.deps.db, id);
    if (!member) throw DomainError.notFoundOf('staff account', id);
    return member;
  }

  async create(actor: Actor, input: NewStaffMember): Promise<StaffMember> {
    authorize(actor, 'staff:manage');
    const username = input.username.trim();
    if (!USERNAME_PATTERN.test(username)) throw DomainError.invalid('username', 'must be 1 to 64 letters, digits or . _ @ -');
    const of = role(input.role);
    const email = staffEmail(input.email);
    const hash = await hashPassword(password(input.password));
    return this.deps.changes.run(actor, async (change) => {
      const groups = await ledGroups(change.tx, of, input.groups);
      const id = await insertStaff(change.tx, username, hash, of, email);
      if (id === undefined) throw DomainError.conflict('username', `there is already an account called ${username}`);
      await setLedGroups(change.tx, id, groups);
      const created = (await findStaff(change.tx, id))!;
      await change.audit({ action: 'create', entity: 'admin', entityId: id, after: audited(created) });
      return created;
    });
  }

  /**
   * Changes another account's role, groups or password (a new password ends its sessions). The role and
   * groups apply from the account's next request: sessions read them every time.
   */
  async update(actor: Actor, id: number, changes: StaffChanges): Promise<StaffMember> {
    authorize(actor, 'staff:manage');
    // Your own password only with your current one (changeOwnPassword): a session left open is not the
    // key to its account.
    if (changes.password !== undefined && actor.kind === 'staff' && actor.id === id) {
      throw new DomainError(409, 'Conflict', 'Change your own password on the Staff page, with your current password.', [
        { field: 'password', message: 'is changed by its owner with the current password' },
      ]);
    }
    const newRole = changes.role === undefined ? undefined : role(changes.role);
    const newEmail = changes.email === undefined ? undefined : staffEmail(changes.email);
    const hash = changes.password === undefined ? undefined : await hashPassword(password(changes.password));
    return this.deps.changes.run(actor, async (change) => {
      const owners = newRole !== undefined && newRole !== 'owner' ? await lockOwners(change.tx) : [];
      const before = await findStaff(change.tx, id, true);
      if (!before) throw DomainError.notFoundOf('staff account', id);
      const of = newRole ?? before.role;
      if (before.role === 'owner' && of !== 'owner' && owners.filter((owner) => owner !== id).length === 0) {
        throw DomainError.conflict('role', 'the last owner stays an owner: make another account owner first');
      }
      if (newRole !== undefined) await setRole(change.tx, id, newRole);
      if (newEmail !== undefined) await setEmail(change.tx, id, newEmail);
      // Groups asked for are checked; a new role other than leader drops the groups it had.
      if (changes.groups !== undefined || of !== 'leader') {
        await setLedGroups(change.tx, id, await ledGroups(change.tx, of, changes.groups ?? (of === 'leader' ? before.groups : [])));
      }
      const sessionsEnded = hash === undefined ? 0 : await setPasswordHash(change.tx, id, hash);
      const after = (await findStaff(change.tx, id))!;
      await change.audit({
        action: 'change',
        entity: 'admin',
        entityId: id,
        before: audited(before),
        after: { ...audited(after), ...(hash === undefined ? {} : { password: 'changed', sessionsEnded }) },
      });
      return after;
    });
  }

  /** Removes another account (its sessions go with it); never your own, never the last owner. */
  async remove(actor: Actor, id: number): Promise<void> {
    authorize(actor, 'staff:manage');
    if (actor.kind === 'staff' && actor.id === id) throw new DomainError(409, 'Conflict', 'You cannot remove your own account.');
    await this.deps.changes.run(actor, async (change) => {
      const owners = await lockOwners(change.tx);
      const before = await findStaff(change.tx, id, true);
      if (!before) throw DomainError.notFoundOf('staff account', id);
      if (before.role === 'owner' && owners.length <= 1) {
        throw new DomainError(409, 'Conflict', 'The last owner cannot be removed: make another account owner first.');
      }
      await deleteStaff(change.tx, id);
      await change.audit({ action: 'delete', entity: 'admin', entityId: id, before: audited(before) });
    });
  }

  /**
   * Your own new password, after the current one is checked like a sign-in (the same throttle counts
   * it: a stolen session must not become an unlimited password oracle). Every session ends with it.
   */
  async changeOwnPassword(actor: Actor, clientIp: string, current: string, next: string): Promise<void> {
    if (actor.kind !== 'staff') throw DomainError.forbidden('Only a signed-in staff member has a password to change.');
    const wait = await reserveSignInGuess(this.deps.db, clientIp, actor.username, this.auth);
    if (wait > 0) throw new DomainError(429, 'Too many requests', `Too many wrong passwords. Try again in ${waitText(wait)}.`);
    const ok = await checkCredentials(this.deps.db, actor.username, current);
    if (!ok) throw DomainError.invalid('current', 'is not your current password');
    await signInSucceeded(this.deps.db, clientIp, actor.username);
    const hash = await hashPassword(password(next));
    await this.deps.changes.run(actor, async (change) => {
      const sessionsEnded = await setPasswordHash(change.tx, actor.id, hash);
      await change.audit({ action: 'change password', entity: 'admin', entityId: actor.id, after: { sessionsEnded } });
    });
  }

  /**
   * Recovery by an operator (`barona admin reset-password`): a new password, every session ended, the
   * sign-in throttle's counts for the name forgotten. Undefined when there is no such account.
   */
  async resetPassword(actor: Actor, username: string, newPassword: string): Promise<StaffMember | undefined> {
    authorize(actor, 'staff:manage');
    const hash = await hashPassword(password(newPassword));
    return this.deps.changes.run(actor, async (change) => {
      const user = await findStaffByName(change.tx, username);
      if (!user) return undefined;
      const sessionsEnded = await setPasswordHash(change.tx, user.id, hash);
      await forgetSignInGuesses(change.tx, username);
      await change.audit({
        action: 'reset password',
        entity: 'admin',
        entityId: user.id,
        after: { username: user.username, sessionsEnded },
      });
      return user;
    });
  }

  /** Checks a sign-in (throttled per address, per address and name, per name) and opens a session. */
  async signIn(clientIp: string, username: string, attempt: string): Promise<SignIn> {
    // The check is counted before the password is hashed, so parallel attempts cannot outrun the limit.
    const wait = await reserveSignInGuess(this.deps.db, clientIp, username, this.auth);
    if (wait > 0) return { kind: 'wait', seconds: wait };
    const user = await checkCredentials(this.deps.db, username, attempt);
    if (!user) return { kind: 'wrong' };
    await signInSucceeded(this.deps.db, clientIp, username);
    const { token, session } = await createSession(this.deps.db, user.id, this.auth);
    return { kind: 'signed in', token, session };
  }

  /**
   * Signs in whoever the OpenID Connect provider vouched for (the protocol is done: the ID token was
   * checked, with its nonce, by the caller). The claims decide: the username (OIDC_USERNAME_CLAIM, else
   * email, else sub), the role (OIDC_ROLE_CLAIM, the most powerful one named) and, for a leader, the
   * groups (OIDC_GROUPS_CLAIM, unknown ids left out), and the e-mail address (emailOfClaims: a verified
   * one replaces the stored one; none, unverified or implausible leaves the stored one, which an owner
   * may have set by hand). The first sign-in creates the account (it has no password), later ones bring
   * its role, groups and address up to date, each with its audit record by "OpenID Connect"; then a
   * session opens as for a password. Refused (nothing stored): no valid role, a
   * username outside the pattern, a name taken by a password account or another subject, and a claim
   * that would demote the last owner.
   */
  async signInWithOidc(identity: OidcIdentity): Promise<OidcSignIn> {
    const oidc = this.deps.config.oidc;
    if (!oidc) throw DomainError.forbidden('Sign-in with OpenID Connect is not configured.');
    const { claims } = identity;
    const named = [oidc.usernameClaim, 'email', 'sub'].find((claim) => typeof claims[claim] === 'string' && claims[claim] !== '');
    const username = named === undefined ? '' : (claims[named] as string).trim();
    if (!USERNAME_PATTERN.test(username)) {
      throw DomainError.forbidden(
        named === undefined
          ? `The provider sent no username (claim ${oidc.usernameClaim}, email or sub), so there is no account to sign in to.`
          : `The username from the provider's ${named} claim is not one Barona accepts (1 to 64 letters, digits or . _ @ -).`,
      );
    }
    const of = roleOfClaim(claims[oidc.roleClaim]);
    if (of === undefined) {
      throw DomainError.forbidden(
        `The provider gave ${username} no Barona role: its ${oidc.roleClaim} claim must be one of ${ROLES.join(', ')}. Ask whoever manages the accounts at the provider.`,
      );
    }
    const marker = oidcMarker(identity.issuer, identity.subject);
    const wanted = of === 'leader' ? groupsOfClaim(claims[oidc.groupsClaim]) : [];
    const email = emailOfClaims(claims);
    const verifiedEmail = email.kind === 'verified' ? email.value : undefined;
    const outcome = await this.deps.changes.run(OIDC_ACTOR, async (change) => {
      const seen = await findStaffWithHash(change.tx, username);
      // As update() does: owners are locked before the account, so two changes never wait for each other.
      const owners = seen?.role === 'owner' && of !== 'owner' ? await lockOwners(change.tx) : undefined;
      const before = await findStaffWithHash(change.tx, username, true);
      const missing = await missingGroups(change.tx, wanted);
      const groups = wanted.filter((id) => !missing.includes(id));
      if (!before) {
        const id = await insertStaff(change.tx, username, marker, of, verifiedEmail ?? null);
        if (id === undefined)
          throw new DomainError(409, 'Conflict', `The account ${username} was created at the same moment. Sign in again.`);
        await setLedGroups(change.tx, id, groups);
        const created = (await findStaff(change.tx, id))!;
        await change.audit({ action: 'create', entity: 'admin', entityId: id, after: { ...audited(created), signIn: 'OpenID Connect' } });
        return { id, created: true, changed: false };
      }
      if (before.passwordHash !== marker) {
        throw new DomainError(
          409,
          'Conflict',
          isOidcMarker(before.passwordHash)
            ? `The account ${username} belongs to another person of the provider (another subject). An owner must remove it before this person can sign in.`
            : `There is already an account called ${username} that signs in with a password. An owner must remove or rename it before ${username} can sign in with OpenID Connect.`,
        );
      }
      if (before.role === 'owner' && of !== 'owner') {
        const others = (owners ?? (await lockOwners(change.tx))).filter((owner) => owner !== before.id);
        if (others.length === 0) {
          throw new DomainError(
            409,
            'Conflict',
            `${username} is the last owner, and the provider's ${oidc.roleClaim} claim now makes them a ${of}: the sign-in is refused so that Barona keeps an owner. Make another account owner first, or give ${username} the owner role at the provider.`,
          );
        }
      }
      const sameGroups = groups.length === before.groups.length && groups.every((id, i) => id === before.groups[i]);
      // The provider's verified address wins when it sends one; otherwise the stored one stays.
      const sameEmail = verifiedEmail === undefined || verifiedEmail === before.email;
      if (before.role === of && sameGroups && sameEmail) return { id: before.id, created: false, changed: false };
      if (before.role !== of) await setRole(change.tx, before.id, of);
      if (!sameGroups) await setLedGroups(change.tx, before.id, groups);
      if (!sameEmail) await setEmail(change.tx, before.id, verifiedEmail);
      const after = (await findStaff(change.tx, before.id))!;
      await change.audit({
        action: 'change',
        entity: 'admin',
        entityId: before.id,
        before: audited(before),
        after: { ...audited(after), signIn: 'OpenID Connect' },
      });
      return { id: before.id, created: false, changed: true };
    });
    const { token, session } = await createSession(this.deps.db, outcome.id, this.auth);
    return {
      token,
      session,
      created: outcome.created,
      changed: outcome.changed,
      ...(email.kind === 'ignored' ? { emailIgnored: email.reason } : {}),
    };
  }

  /**
   * The live session of a cookie token, looked up without counting as the person's activity (a live
   * stream's heartbeat must not keep a forgotten tab signed in).
   */
  async currentSession(token: string): Promise<Session | undefined> {
    return findSession(this.deps.db, token, this.auth, { touch: false });
  }

  async signOut(session: Session): Promise<void> {
    await endSession(this.deps.db, session.tokenHash);
  }
}

/** "N minutes" / "N seconds" for a wait in seconds. */
export function waitText(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}
