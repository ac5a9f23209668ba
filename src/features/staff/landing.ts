// Where a sign-in lands, for both ways of signing in (password: sign-in-routes.ts; OpenID Connect:
// oidc-routes.ts): only our own pages, and a leader's default is their groups.
import { type Actor, can } from '../../domain/actor.js';

export const DEFAULT_PAGE = '/admin/sheet';

// A path of our own pages: /admin or /kiosk, then more path or a query, in visible ASCII only (no
// control characters, spaces or backslashes, which browsers and header parsing treat in their own ways).
const OWN_PAGE = /^\/(admin|kiosk)([/?][\x21-\x5b\x5d-\x7e]*)?$/;

/** Where to go after signing in: only our own pages, never another site; anything else → the sheet. */
export function safeNext(value: unknown): string {
  return typeof value === 'string' && OWN_PAGE.test(value) && !value.includes('//') ? value : DEFAULT_PAGE;
}

/** Where a sign-in lands by default: the attendance sheet, or a leader's groups (a leader reads no sheet). */
export function landing(next: string, actor: Actor): string {
  return next === DEFAULT_PAGE && !can(actor, 'attendance:read') ? '/admin/groups' : next;
}
