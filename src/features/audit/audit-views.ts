// The audit log as a table: when, who (and in which role), what, and each field before → after.
import type { AuditEntry } from './audit-log.js';
import { html, type SafeHtml } from '../../views/html.js';
import { tableHead, timeIn } from '../../views/layout.js';

/** An ISO instant as the database writes it into a record (2026-12-06T09:12:21.123456+01:00). */
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)$/;

function field(value: unknown, timezone: string): SafeHtml | string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') return INSTANT.test(value) ? timeIn(value, timezone) : value;
  return JSON.stringify(value);
}

/** before → after, one line per field that differs (or the whole record for a create/delete). */
function changes(entry: AuditEntry, timezone: string): SafeHtml {
  const before = entry.before ?? {};
  const after = entry.after ?? {};
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((key) =>
    entry.before && entry.after ? JSON.stringify(before[key]) !== JSON.stringify(after[key]) : (before[key] ?? after[key]) !== null,
  );
  if (keys.length === 0) return html`<span class="hint">no field changed</span>`;
  return html`<dl class="diff">
    ${keys.map(
      (key) =>
        html`<dt>${key}</dt>
          <dd>
            ${entry.before ? html`<del>${field(before[key], timezone)}</del>` : ''}${entry.before && entry.after ? html` <span aria-hidden="true">→</span><span class="visually-hidden"> changed to </span> ` : ''}${entry.after ? html`<ins>${field(after[key], timezone)}</ins>` : ''}
          </dd>`,
    )}
  </dl>`;
}

function record(entry: AuditEntry): SafeHtml {
  if (entry.entity === 'checkin') return html`<a href="/admin/entries/${entry.entityId}">check-in #${entry.entityId}</a>`;
  if (entry.entity === 'person') return html`<a href="/admin/people/${entry.entityId}">person #${entry.entityId}</a>`;
  if (entry.entity === 'group') return html`<a href="/admin/groups/${entry.entityId}">group #${entry.entityId}</a>`;
  return html`${entry.entity} #${entry.entityId}`;
}

/** The records, newest first; instants shown in `timezone` (APP_TIMEZONE). */
export function auditTable(entries: AuditEntry[], timezone: string, showEntity = true): SafeHtml {
  if (entries.length === 0) return html`<p class="empty">No changes recorded yet.</p>`;
  return html`<table class="table audit-table">
    ${tableHead(['When', 'Who', 'What', ...(showEntity ? ['Record'] : []), 'Before → after'])}
    <tbody>
      ${entries.map(
        (e) =>
          html`<tr>
            <td class="nowrap">${timeIn(e.at, timezone)}</td>
            <td>${e.actor}${e.actorRole ? html`<br /><span class="hint">${e.actorRole}</span>` : ''}</td>
            <td><span class="badge badge-${e.action.replace(/\s+/g, '-')}">${e.action}</span></td>
            ${showEntity ? html`<td>${record(e)}</td>` : ''}
            <td>${changes(e, timezone)}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}
