// Who is acting, and what they may do. Every service method takes the actor first and asks `authorize`
// (or `scopeOf`, for rights limited to some groups) before it reads or changes anything, so a rule holds
// whichever surface (API, page, kiosk, CLI) called it.
//
//   owner     everything: staff accounts, tokens, webhooks, e-mail, erasure, backups
//   manager   attendance, people, groups, gates, tokens, webhooks, e-mail, imports, exports, the register; not staff
//             accounts, not erasure, not backups
//   leader    only the groups assigned to them: those groups, their registers and excuses, their members,
//             and those people with their check-ins; nothing else
//   viewer    reads attendance, people, groups and registers as a manager does; not tokens, staff or the
//             audit log; changes nothing
//
// A gate token acts by its scopes (`checkin` records, `read` reads attendance). AUTH_MODE=open (the seed's
// open API, loopback only by default) lets anonymous callers do what the seed let them: record, read and
// correct attendance, keep people, groups and gates; never staff, tokens, webhooks, the audit log, erasure or
// backups.
// Otherwise an anonymous caller (a public page) may do nothing through a service that asks for a right.
// A command run by the operator (`barona …`) acts as the system, with every right.
import { DomainError } from './domain-error.js';

export type Role = 'owner' | 'manager' | 'leader' | 'viewer';
export const ROLES: readonly Role[] = ['owner', 'manager', 'leader', 'viewer'];

/** What a gate token may do: record check-ins, read attendance (lists, sheets, summaries, exports). */
export type TokenScope = 'checkin' | 'read';
export const TOKEN_SCOPES: readonly TokenScope[] = ['checkin', 'read'];

export type Actor =
  | { kind: 'staff'; id: number; username: string; role: Role; /** The groups a leader leads. */ groups: readonly number[] }
  | { kind: 'token'; id: number; name: string; gate: string; scopes: readonly TokenScope[] }
  | { kind: 'system'; name: string }
  /** Nobody signed in: `open` when AUTH_MODE=open lets such callers use the API, as the seed did. */
  | { kind: 'anonymous'; open: boolean };

export type Permission =
  /** Check-ins of a whole day or range: sheets, lists, summaries, exports. */
  | 'attendance:read'
  /** Record a check-in. */
  | 'attendance:record'
  /** Correct, delete, restore or link a check-in. */
  | 'attendance:correct'
  | 'people:read'
  | 'people:write'
  /** Erase a person with all their data. */
  | 'people:erase'
  | 'groups:read'
  /** Create, change and remove groups, their schedules and members (imports too). */
  | 'groups:write'
  /** Excuse (and mark) members of a group on a day. */
  | 'register:mark'
  | 'gates:write'
  | 'tokens:manage'
  | 'staff:manage'
  | 'audit:read'
  /** Register webhooks, change and remove them, read their delivery log. */
  | 'webhooks:manage'
  /** Send e-mail (badges), set a group's absence alerts, read the message log. */
  | 'mail:send'
  | 'backup';

const EVERYTHING: readonly Permission[] = [
  'attendance:read',
  'attendance:record',
  'attendance:correct',
  'people:read',
  'people:write',
  'people:erase',
  'groups:read',
  'groups:write',
  'register:mark',
  'gates:write',
  'tokens:manage',
  'staff:manage',
  'audit:read',
  'webhooks:manage',
  'mail:send',
  'backup',
];
const without = (...left: Permission[]) => EVERYTHING.filter((p) => !left.includes(p));

const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  owner: EVERYTHING,
  manager: without('staff:manage', 'people:erase', 'backup'),
  // Limited to their groups (scopeOf): the people in them and those people's check-ins.
  leader: ['groups:read', 'register:mark', 'people:read'],
  viewer: ['attendance:read', 'people:read', 'groups:read'],
};

const ANONYMOUS_PERMISSIONS = without(
  'staff:manage',
  'tokens:manage',
  'audit:read',
  'people:erase',
  'webhooks:manage',
  'mail:send',
  'backup',
);

const TOKEN_PERMISSIONS: Record<TokenScope, Permission> = { checkin: 'attendance:record', read: 'attendance:read' };

/** The permissions an actor holds (a leader's only within their groups). */
export function permissionsOf(actor: Actor): readonly Permission[] {
  switch (actor.kind) {
    case 'staff':
      return ROLE_PERMISSIONS[actor.role];
    case 'token':
      return actor.scopes.map((scope) => TOKEN_PERMISSIONS[scope]);
    case 'system':
      return EVERYTHING;
    case 'anonymous':
      return actor.open ? ANONYMOUS_PERMISSIONS : [];
  }
}

export function can(actor: Actor, permission: Permission): boolean {
  return permissionsOf(actor).includes(permission);
}

const REFUSALS: Record<Permission, string> = {
  'attendance:read': 'read the attendance of a day',
  'attendance:record': 'record check-ins',
  'attendance:correct': 'correct, delete or restore check-ins',
  'people:read': 'see people',
  'people:write': 'add or change people',
  'people:erase': 'erase a person',
  'groups:read': 'see groups',
  'groups:write': 'change groups or their members',
  'register:mark': 'mark or excuse in a register',
  'gates:write': 'change the gates',
  'tokens:manage': 'manage gate tokens',
  'staff:manage': 'manage staff accounts',
  'audit:read': 'read the audit log',
  'webhooks:manage': 'manage webhooks',
  'mail:send': 'send e-mail or read the message log',
  backup: 'back up or restore',
};

/** Throws 403 unless the actor holds the permission (for a leader, see scopeOf for which groups). */
export function authorize(actor: Actor, permission: Permission): void {
  if (can(actor, permission)) return;
  throw DomainError.forbidden(`${describeActor(actor)} may not ${REFUSALS[permission]}.`);
}

/**
 * Where a permission reaches: every group ('all'), only the groups a leader leads, or nowhere (throws
 * 403). Services use it to narrow reads and to refuse a leader another group's things, which they
 * answer as 404 where the existence of the thing is itself private.
 */
export function scopeOf(actor: Actor, permission: Permission): 'all' | { groups: readonly number[] } {
  authorize(actor, permission);
  return actor.kind === 'staff' && actor.role === 'leader' ? { groups: actor.groups } : 'all';
}

/** The name an audit record gives the actor. */
export function actorLabel(actor: Actor): string {
  switch (actor.kind) {
    case 'staff':
      return actor.username;
    case 'token':
      return `token:${actor.name}`;
    case 'system':
      return actor.name;
    case 'anonymous':
      return 'anonymous (AUTH_MODE=open)';
  }
}

/** The role an audit record gives the actor: a staff role, or `token`, `system`, `anonymous`. */
export function actorRole(actor: Actor): string {
  return actor.kind === 'staff' ? actor.role : actor.kind;
}

function describeActor(actor: Actor): string {
  switch (actor.kind) {
    case 'staff':
      return `A ${actor.role}`;
    case 'token':
      return 'This gate token';
    case 'system':
      return 'The system';
    case 'anonymous':
      return 'An anonymous caller';
  }
}

/** The operator at the command line (`barona restore`, `barona prune`, …). */
export const systemActor = (name: string): Actor => ({ kind: 'system', name });
