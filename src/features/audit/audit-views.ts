// The audit log as a table: when, who (and in which role), what, and each field before → after.
import type { AuditEntry } from './audit-log.js';
import { html, type SafeHtml } from '../../views/html.js';
import { dateTime, tableHead } from '../../views/layout.js';

function field(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/** before → after, one line per field that differs (or the whole record for a create/delete). */
function changes(entry: AuditEntry): SafeHtml {
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
            ${entry.before ? html`<del>${field(before[key])}</del>` : ''}${entry.before && entry.after ? html` <span aria-hidden="true">→</span><span class="visually-hidden"> changed to </span> ` : ''}${entry.after ? html`<ins>${field(after[key])}</ins>` : ''}
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

export function auditTable(entries: AuditEntry[], showEntity = true): SafeHtml {
  if (entries.length === 0) return html`<p class="empty">No changes recorded yet.</p>`;
  return html`<table class="table audit-table">
    ${tableHead(['When', 'Who', 'What', ...(showEntity ? ['Record'] : []), 'Before → after'])}
    <tbody>
      ${entries.map(
        (e) =>
          html`<tr>
            <td class="nowrap">${dateTime(e.at)}</td>
            <td>${e.actor}${e.actorRole ? html`<br /><span class="hint">${e.actorRole}</span>` : ''}</td>
            <td><span class="badge badge-${e.action.replace(/\s+/g, '-')}">${e.action}</span></td>
            ${showEntity ? html`<td>${record(e)}</td>` : ''}
            <td>${changes(e)}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}
