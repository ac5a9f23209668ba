// The page frame shared by every screen: head (assets, CSRF meta), the top bar with navigation, main.
import { type Actor, can, type Permission } from '../domain/actor.js';
import { html, type SafeHtml } from './html.js';

export interface PageUser {
  username: string;
  csrfToken: string;
  /** Decides what the page offers: a section, a button or a form the role may not use is not shown. */
  actor?: Actor;
}

/** Whether the page's user may do this (pages show only what the role may do; the services decide). */
export function userCan(user: PageUser, permission: Permission): boolean {
  return user.actor === undefined || can(user.actor, permission);
}

export interface PageOptions {
  title: string;
  /** Navigation key of the current section (highlighted in the top bar). */
  section?: 'sheet' | 'people' | 'groups' | 'audit' | 'users' | 'tokens' | 'webhooks' | 'kiosk' | 'gates' | 'badges' | 'mail';
  user?: PageUser;
  body: SafeHtml;
  /** ES modules from /assets to load. */
  scripts?: string[];
  bodyClass?: string;
}

/** Where a signed-in person starts: the attendance sheet, or the groups of a leader (who reads no sheet). */
export function homeOf(user: PageUser): string {
  return userCan(user, 'attendance:read') ? '/admin/sheet' : '/admin/groups';
}

/** The sections of the top bar, each shown to whoever holds its permission. */
const SECTIONS: readonly { key: string; href: string; label: string; needs: Permission }[] = [
  { key: 'sheet', href: '/admin/sheet', label: 'Attendance', needs: 'attendance:read' },
  { key: 'people', href: '/admin/people', label: 'People', needs: 'people:read' },
  { key: 'groups', href: '/admin/groups', label: 'Groups', needs: 'groups:read' },
  { key: 'badges', href: '/admin/badges', label: 'Badges', needs: 'people:write' },
  { key: 'gates', href: '/admin/gates', label: 'Gates', needs: 'attendance:read' },
  { key: 'tokens', href: '/admin/tokens', label: 'Gate tokens', needs: 'tokens:manage' },
  { key: 'webhooks', href: '/admin/webhooks', label: 'Webhooks', needs: 'webhooks:manage' },
  { key: 'mail', href: '/admin/mail', label: 'E-mail', needs: 'mail:send' },
  { key: 'audit', href: '/admin/audit', label: 'Audit log', needs: 'audit:read' },
  { key: 'users', href: '/admin/users', label: 'Staff', needs: 'staff:manage' },
  { key: 'kiosk', href: '/kiosk', label: 'Kiosk', needs: 'tokens:manage' },
];

export function csrfField(user: PageUser): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${user.csrfToken}" />`;
}

function topBar(options: PageOptions): SafeHtml {
  const user = options.user;
  return html`<header class="topbar">
    <a class="brand" href="${user ? homeOf(user) : '/admin'}"><span class="brand-mark" aria-hidden="true">B</span>Barona</a>
    ${
      user
        ? html`<nav aria-label="Main">
              <ul>
                ${SECTIONS.filter((s) => userCan(user, s.needs)).map(
                  (s) => html`<li><a href="${s.href}" ${s.key === options.section ? html` aria-current="page"` : ''}>${s.label}</a></li>`,
                )}
              </ul>
            </nav>
            <form class="signout" method="post" action="/admin/logout">
              ${csrfField(user)} <a class="who" href="/admin/users" title="Your account and password">${user.username}</a
              ><button type="submit" class="button button-quiet">Sign out</button>
            </form>`
        : ''
    }
  </header>`;
}

export function page(options: PageOptions): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
${options.user ? html`<meta name="csrf-token" content="${options.user.csrfToken}" />` : ''}
<title>${options.title} · Barona</title>
<link rel="stylesheet" href="/assets/app.css">
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
${(options.scripts ?? []).map((src) => html`<script type="module" src="/assets/${src}"></script>`)}
</head>
<body${options.bodyClass ? html` class="${options.bodyClass}"` : ''}>
<a class="skip-link" href="#main">Skip to content</a>
${options.bodyClass === 'kiosk' || options.bodyClass === 'screen' ? '' : topBar(options)}
<main id="main" tabindex="-1">
${options.body}
</main>
</body>
</html>
`.value;
}

/** A short message box: role=status for information, role=alert for problems. */
export function notice(kind: 'success' | 'error' | 'info', text: string | SafeHtml | undefined): SafeHtml | '' {
  if (!text) return '';
  return html`<div class="notice notice-${kind}" role="${kind === 'error' ? 'alert' : 'status'}">${text}</div>`;
}

/** '2026-11-24T09:12:21.123+01:00' → '09:12:21' (the server renders times in APP_TIMEZONE already). */
export function clock(iso: string | null | undefined): string {
  if (!iso) return '';
  const match = /T(\d{2}:\d{2}:\d{2})/.exec(iso);
  return match ? match[1]! : iso;
}

/** '2026-11-24T09:12:21.123+01:00' → '2026-11-24 09:12'. */
export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  return match ? `${match[1]} ${match[2]}` : iso;
}

const READABLE = new Map<string, Intl.DateTimeFormat>();

/**
 * An instant as people read it, in `timezone` (APP_TIMEZONE): `<time datetime="…">6 Dec 2026, 09:12:21</time>`,
 * the machine-readable instant kept in the attribute. Anything that is not an instant is shown as it is.
 */
export function timeIn(iso: string, timezone: string): SafeHtml {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return html`${iso}`;
  let format = READABLE.get(timezone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', { timeZone: timezone, dateStyle: 'medium', timeStyle: 'medium' });
    READABLE.set(timezone, format);
  }
  return html`<time datetime="${iso}">${format.format(at)}</time>`;
}

/** A table's header row: one column heading per entry (SafeHtml for a heading with markup). */
export function tableHead(columns: (string | SafeHtml)[]): SafeHtml {
  return html`<thead>
    <tr>
      ${columns.map((column) => html`<th scope="col">${column}</th>`)}
    </tr>
  </thead>`;
}

/** A one-button form that changes something for good (the page's script asks `confirm` first). */
export function dangerButton(options: { user: PageUser; action: string; confirm: string; label: string; subject: string }): SafeHtml {
  return html`<form method="post" action="${options.action}" class="inline" data-confirm="${options.confirm}">
    ${csrfField(options.user)}
    <button class="button button-danger button-small" type="submit">
      ${options.label}<span class="visually-hidden"> ${options.subject}</span>
    </button>
  </form>`;
}

/** The managed gates as suggestions for a gate field (`list="gate-options"`); any other name may still be typed. */
export function gateOptions(gates: readonly { name: string }[]): SafeHtml {
  return html`<datalist id="gate-options">${gates.map((g) => html`<option value="${g.name}"></option>`)}</datalist>`;
}
