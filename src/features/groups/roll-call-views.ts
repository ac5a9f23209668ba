// The roll call: one day of a group's register as a list of its members, one row per name with a
// button per status, made for a phone. Every row is a plain form (POST, then back to the list at the
// next name); public/groups.js sends the same choice to the API instead and moves on without a reload.
import { html, type SafeHtml } from '../../views/html.js';
import { csrfField, notice, page, type PageUser } from '../../views/layout.js';
import type { Group, Register } from './group-service.js';
import { arrivalTime, hhmm, whenShort } from './register-grid.js';
import { MARK_STATUSES } from './register.js';

export interface RollCallState {
  message?: SafeHtml | '';
  /** A refused row: its person and the reason. */
  refused?: { personId: number; detail: string };
}

function statusLine(cell: Register['members'][number]['attendance'][number], lateAfter: string | null): SafeHtml {
  const arrived = arrivalTime(cell.firstIn, lateAfter);
  const left = hhmm(cell.lastOut);
  const times = left ? `${arrived || '?'}–${left}` : arrived;
  return html`<span class="st st-${cell.status}" data-status>${cell.status}</span> ${times ? html`<small>${times}</small>` : ''}
    ${cell.checkoutOnly ? html`<small class="reg-flag">no arrival</small>` : ''}
    ${
      cell.marked
        ? html`<small class="reg-flag" data-marked
            >marked by ${cell.marked.by}, ${whenShort(cell.marked.at)}${cell.marked.reason ? `: ${cell.marked.reason}` : ''}</small
          >`
        : ''
    }`;
}

/**
 * The roll call of `date`. `register` is that one day's register (undefined when the day cannot be
 * marked: `why` says so).
 */
export function rollCallPage(options: {
  user: PageUser;
  group: Group;
  date: string;
  today: string;
  register: Register | undefined;
  why?: string;
  state?: RollCallState;
}): string {
  const { user, group, date, register, state = {} } = options;
  const day = register?.days[0];
  const members = register?.members ?? [];
  const rows = members.map((member, i) => {
    const cell = member.attendance[0]!;
    const next = members[i + 1]?.person.id;
    const { person } = member;
    const refused = state.refused?.personId === person.id ? state.refused.detail : undefined;
    const name = `${person.firstname} ${person.lastname}`;
    return html`<li class="roll-row" id="m-${person.id}" data-person-id="${person.id}">
      <div class="roll-name">
        <strong>${person.lastname}, ${person.firstname}</strong>
        <span class="roll-status" data-status-line>${statusLine(cell, day?.lateAfter ?? null)}</span>
      </div>
      ${refused ? html`<p class="field-error" role="alert" data-row-error>${refused}</p>` : html`<p class="field-error" data-row-error hidden></p>`}
      ${
        cell.status === 'not-member'
          ? ''
          : html`<form method="post" action="/admin/groups/${group.id}/register/mark" class="roll-form" data-roll-form>
              ${csrfField(user)}<input type="hidden" name="view" value="roll-call" /><input
                type="hidden"
                name="date"
                value="${date}"
              /><input type="hidden" name="personId" value="${person.id}" /><input type="hidden" name="next" value="${next ?? ''}" />
              <div class="roll-buttons" role="group" aria-label="Status of ${name}">
                ${MARK_STATUSES.map(
                  (status) =>
                    html`<button type="submit" name="status" value="${status}" class="button roll-${status}">
                      ${status}<span class="visually-hidden"> ${name}</span>
                    </button>`,
                )}
              </div>
              <label class="visually-hidden" for="reason-${person.id}">Reason for ${name}</label>
              <input id="reason-${person.id}" name="reason" maxlength="500" placeholder="Reason (needed for excused)" />
              <button
                type="submit"
                formaction="/admin/groups/${group.id}/register/unmark"
                class="button button-quiet button-small"
                data-undo
                ${cell.marked ? '' : html`hidden`}
              >
                Undo the mark<span class="visually-hidden"> of ${name}</span>
              </button>
            </form>`
      }
    </li>`;
  });
  const body = html`<p class="breadcrumb">
      <a href="/admin/groups/${group.id}/register">← Register: ${group.name}</a>
    </p>
    <div class="page-head">
      <h1 class="wrap-anywhere">Roll call: ${group.name}</h1>
      <p class="lede">
        ${date}${day?.lateAfter ? html` · late after ${hhmm(day.lateAfter)} (an arrival in that minute shows its seconds)` : ''}
      </p>
    </div>
    ${state.message ?? ''}
    <form method="get" action="/admin/groups/${group.id}/roll-call" class="register-range card" id="roll-call-day">
      <div class="field">
        <label for="roll-date">Day</label>
        <input id="roll-date" name="date" type="date" value="${date}" max="${options.today}" required />
      </div>
      <button type="submit" class="button">Show</button>
    </form>
    ${options.why ? notice('info', options.why) : ''}
    ${
      register
        ? members.length === 0
          ? html`<p class="empty">Nobody is a member of this group on ${date}.</p>`
          : html`<p class="hint">
                Tap a status for each name; the list moves on to the next. A mark wins over the check-ins until it is undone.
              </p>
              <ol class="roll-call" id="roll-call" data-group-id="${group.id}" data-date="${date}">
                ${rows}
              </ol>`
        : ''
    }`;
  return page({ title: `Roll call: ${group.name}`, section: 'groups', user, scripts: ['groups.js'], body, bodyClass: 'roll-call-page' });
}
