// The views of the group pages: the list of groups with the new-group form, a group's page (name and
// schedule, members, adding members, the CSV import with its preview), and the pages both the group
// pages and the register answer with (no such group, a refusal). Each form and button is shown only to
// a role that may use it; the group service decides all the same.
import { DomainError, type LineError } from '../../domain/domain-error.js';
import { fieldError, formText, formTexts, inputField, invalidAttributes, type FieldErrors, type FormBody } from '../../views/form.js';
import { html, type SafeHtml } from '../../views/html.js';
import { csrfField, dangerButton, notice, page, tableHead, userCan, type PageUser } from '../../views/layout.js';
import type { Group } from './group-repository.js';
import type { SeenMember as Member } from './group-service.js';
import { GRACE_MAX, type ScheduleInput } from './group-service.js';
import type { ImportOutcome } from './member-import.js';
import { scheduleInWords, WEEKDAY_LONG, WEEKDAY_SHORT } from './schedule-views.js';

export const HTML = 'text/html; charset=utf-8';
/** Preview lines shown; a longer file is summarised (its counts still cover every line). */
const PREVIEW_LINES_SHOWN = 1000;

/** The name and schedule form as typed (so a refused form comes back as it was sent). */
export interface GroupForm {
  name: string;
  from: string;
  to: string;
  weekdays: string[];
  dates: string;
  startTime: string;
  graceMinutes: string;
}

export const EMPTY_FORM: GroupForm = { name: '', from: '', to: '', weekdays: [], dates: '', startTime: '', graceMinutes: '0' };

export const formOfGroup = (group: Group): GroupForm => ({
  name: group.name,
  from: group.schedule.from ?? '',
  to: group.schedule.to ?? '',
  weekdays: group.schedule.weekdays.map(String),
  dates: group.schedule.dates.join('\n'),
  startTime: group.schedule.startTime ?? '',
  graceMinutes: String(group.schedule.graceMinutes),
});

export const formOfBody = (body: FormBody): GroupForm => ({
  name: formText(body, 'name'),
  from: formText(body, 'from').trim(),
  to: formText(body, 'to').trim(),
  weekdays: formTexts(body, 'weekdays'),
  dates: formText(body, 'dates'),
  startTime: formText(body, 'startTime').trim(),
  graceMinutes: formText(body, 'graceMinutes').trim(),
});

/** What the domain is asked for; it checks every field (dates, overlaps, time, grace) itself. */
export function groupInput(form: GroupForm): { name: string; schedule: ScheduleInput } {
  return {
    name: form.name,
    schedule: {
      from: form.from || null,
      to: form.to || null,
      weekdays: form.weekdays.map(Number),
      dates: form.dates.split(/[\s,;]+/).filter((date) => date !== ''),
      startTime: form.startTime || null,
      graceMinutes: form.graceMinutes === '' ? 0 : Number(form.graceMinutes),
    },
  };
}

/** `schedule.dates.2` → `dates`: the form field that holds a domain field. */
export const formFieldOf = (path: string): string | undefined =>
  /^(?:schedule\.)?(name|from|to|weekdays|dates|startTime|graceMinutes)(?:\.\d+)?$/.exec(path)?.[1];

/** The name and schedule fields, shared by the new-group form and the group's own form. */
function groupFields(prefix: string, form: GroupForm, errors: FieldErrors): SafeHtml {
  const id = (name: string) => `${prefix}-${name}`;
  return html`${inputField({ id: id('name'), name: 'name', label: 'Name', value: form.name, error: errors.name, attributes: html`required maxlength="100"` })}
    <fieldset class="schedule-fields">
      <legend>Weekly schedule <span class="hint">(optional)</span></legend>
      <div class="form-row">
        ${inputField({ id: id('from'), name: 'from', label: 'From', value: form.from, error: errors.from, attributes: html`type="date"` })}
        ${inputField({ id: id('to'), name: 'to', label: 'To', value: form.to, error: errors.to, attributes: html`type="date"` })}
      </div>
      <p class="field-label" id="${id('weekdays-label')}">On</p>
      <div
        class="weekday-boxes"
        role="group"
        aria-labelledby="${id('weekdays-label')}"
        ${invalidAttributes(id('weekdays'), errors.weekdays)}
      >
        ${[1, 2, 3, 4, 5, 6, 7].map(
          (day) =>
            html`<label class="check"
              ><input type="checkbox" name="weekdays" value="${day}" ${form.weekdays.includes(String(day)) ? html`checked` : ''} /><abbr
                title="${WEEKDAY_LONG[day]}"
                >${WEEKDAY_SHORT[day]}</abbr
              ></label
            >`,
        )}
      </div>
      ${fieldError(id('weekdays'), errors.weekdays)}
    </fieldset>
    <div class="field">
      <label for="${id('dates')}">Extra days <span class="hint">(optional: YYYY-MM-DD, one per line or separated by commas)</span></label>
      <textarea id="${id('dates')}" name="dates" rows="3" spellcheck="false" ${invalidAttributes(id('dates'), errors.dates)}>
${form.dates}</textarea>
      ${fieldError(id('dates'), errors.dates)}
    </div>
    <div class="form-row">
      ${inputField({
        id: id('start'),
        name: 'startTime',
        label: html`Start time <span class="hint">(optional)</span>`,
        value: form.startTime,
        error: errors.startTime,
        attributes: html`type="time"`,
      })}
      ${inputField({
        id: id('grace'),
        name: 'graceMinutes',
        label: html`Late after <span class="hint">(minutes)</span>`,
        value: form.graceMinutes,
        error: errors.graceMinutes,
        attributes: html`type="number" min="0" max="${GRACE_MAX}" inputmode="numeric"`,
      })}
    </div>`;
}

// ---- The import preview --------------------------------------------------------------------------

export type ImportState =
  | { csv: string; kind: 'preview'; outcome: ImportOutcome; names: Map<number, { name: string; ref: string | null }> }
  | { csv: string; kind: 'refused'; errors: LineError[]; detail: string };

const RESULT_WORDS = { created: 'new person', updated: 'updated', unchanged: 'unchanged' } as const;
/** The audit log's badge colours: green for new, amber for changed, grey for untouched. */
const RESULT_BADGE = { created: 'badge-create', updated: 'badge-correct', unchanged: 'badge-muted' } as const;

export function countsInWords(o: Pick<ImportOutcome, 'created' | 'updated' | 'unchanged' | 'added'>): string {
  return `${o.created} new ${o.created === 1 ? 'person' : 'people'}, ${o.updated} updated, ${o.unchanged} unchanged; ${o.added} new ${o.added === 1 ? 'member' : 'members'}`;
}

/** Lines that did not stop the import (exact repeats, imported once). */
export function importWarnings(warnings: ImportOutcome['warnings']): SafeHtml | '' {
  if (warnings.length === 0) return '';
  return notice(
    'info',
    html`<span id="import-warnings"
      >${warnings.length === 1 ? '1 line repeats' : `${warnings.length} lines repeat`} an earlier line exactly and
      ${warnings.length === 1 ? 'is' : 'are'} imported once:
      ${warnings.slice(0, PREVIEW_LINES_SHOWN).map((w, i) => html`${i > 0 ? '; ' : ''}line ${w.line} (${w.message})`)}${warnings.length > PREVIEW_LINES_SHOWN ? '; …' : ''}.</span
    >`,
  );
}

function importPreview(state: ImportState | undefined): SafeHtml | '' {
  if (!state) return '';
  if (state.kind === 'refused') {
    return html`<div class="import-result" id="import-errors">
      ${notice('error', html`<strong>Nothing was imported.</strong> Fix these lines and preview again.`)}
      ${
        state.errors.length === 0
          ? html`<p>${state.detail}</p>`
          : html`<div class="table-wrap">
              <table class="table">
                ${tableHead(['Line', 'Field', 'Problem'])}
                <tbody>
                  ${state.errors.map(
                    (e) =>
                      html`<tr>
                        <td class="mono">${e.line ?? '—'}</td>
                        <td><code>${e.field}</code></td>
                        <td>${e.message}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
      }
    </div>`;
  }
  const { outcome, names } = state;
  const shown = outcome.lines.slice(0, PREVIEW_LINES_SHOWN);
  return html`<div class="import-result" id="import-preview">
    ${notice('info', html`<strong>Preview, nothing written yet:</strong> ${outcome.lines.length} lines: ${countsInWords(outcome)}.`)}
    ${importWarnings(outcome.warnings)}
    <div class="table-wrap">
      <table class="table">
        ${tableHead(['Line', 'Name', 'External ref', 'Result', 'Membership'])}
        <tbody>
          ${shown.map((l) => {
            const who = names.get(l.line);
            return html`<tr>
              <td class="mono">${l.line}</td>
              <td>${who?.name ?? ''}</td>
              <td>${who?.ref ?? html`<span class="hint">—</span>`}</td>
              <td><span class="badge ${RESULT_BADGE[l.result]}">${RESULT_WORDS[l.result]}</span></td>
              <td>${l.newMember ? 'joins the group' : html`<span class="hint">already a member</span>`}</td>
            </tr>`;
          })}
        </tbody>
      </table>
    </div>
    ${outcome.lines.length > shown.length ? html`<p class="hint">and ${outcome.lines.length - shown.length} more lines.</p>` : ''}
  </div>`;
}

// ---- Pages ---------------------------------------------------------------------------------------

/** A person the add-member search found. */
export interface FoundPerson {
  id: number;
  firstname: string;
  lastname: string;
  externalRef: string | null;
}

export interface GroupPageState {
  message?: SafeHtml | '';
  form?: GroupForm;
  errors?: FieldErrors;
  q?: string;
  /** What the add-member search found for `q` (undefined: nothing was searched). */
  found?: { items: FoundPerson[]; nextCursor: string | null };
  importState?: ImportState;
  /** The group's e-mail card (absence alerts, register report), made by the mail feature's views. */
  mail?: SafeHtml | '';
}

function membersTable(user: PageUser, group: Group, list: Member[]): SafeHtml {
  const canWrite = userCan(user, 'groups:write');
  if (list.length === 0) {
    return html`<p class="empty">${canWrite ? 'No members yet: add people below or import a CSV file.' : 'No members yet.'}</p>`;
  }
  return html`<div class="table-wrap">
    <table class="table" id="member-table">
      ${tableHead(['Name', 'External ref', 'E-mail', ...(canWrite ? [html`<span class="visually-hidden">Actions</span>`] : [])])}
      <tbody>
        ${list.map(
          (m) =>
            html`<tr data-person-id="${m.id}">
              <td class="wrap-anywhere col-name"><a class="person" href="/admin/people/${m.id}">${m.lastname}, ${m.firstname}</a></td>
              <td class="wrap-anywhere">${m.externalRef ?? html`<span class="hint">—</span>`}</td>
              <td class="wrap-anywhere">${m.email ?? html`<span class="hint">—</span>`}</td>
              ${
                canWrite
                  ? html`<td class="actions">
                      ${dangerButton({
                        user,
                        action: `/admin/groups/${group.id}/members/${m.id}/remove`,
                        confirm: `Remove ${m.firstname} ${m.lastname} from ${group.name}? Their excuses in this group go too.`,
                        label: 'Remove',
                        subject: `${m.firstname} ${m.lastname}`,
                      })}
                    </td>`
                  : ''
              }
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

function peopleSearch(user: PageUser, group: Group, list: Member[], q: string, found: GroupPageState['found']): SafeHtml {
  const memberIds = new Set(list.map((m) => m.id));
  return html`<form method="get" action="/admin/groups/${group.id}#add-member" class="search-row" role="search">
      <label for="person-q" class="visually-hidden">Search people by name or external reference</label>
      <input
        type="search"
        id="person-q"
        name="q"
        value="${q}"
        maxlength="100"
        placeholder="Name or external reference"
        autocomplete="off"
      />
      <button class="button" type="submit">Search</button>
    </form>
    ${
      found === undefined
        ? ''
        : found.items.length === 0
          ? html`<p class="hint" id="person-results">Nobody matches “${q}”.</p>`
          : html`<ul class="result-list" id="person-results">
                ${found.items.map(
                  (p) =>
                    html`<li>
                      <span class="wrap-anywhere"
                        ><span class="person">${p.lastname}, ${p.firstname}</span
                        >${p.externalRef ? html` <span class="hint">${p.externalRef}</span>` : ''}</span
                      >
                      ${
                        memberIds.has(p.id)
                          ? html`<span class="badge badge-muted">member</span>`
                          : html`<form method="post" action="/admin/groups/${group.id}/members" class="inline">
                              ${csrfField(user)}<input type="hidden" name="personId" value="${p.id}" /><input
                                type="hidden"
                                name="q"
                                value="${q}"
                              /><button class="button button-small" type="submit">
                                Add<span class="visually-hidden"> ${p.firstname} ${p.lastname}</span>
                              </button>
                            </form>`
                      }
                    </li>`,
                )}
              </ul>
              ${found.nextCursor ? html`<p class="hint">More people match: type more of the name.</p>` : ''}`
    }`;
}

function scheduleCard(user: PageUser, group: Group, state: GroupPageState): SafeHtml {
  const errors = state.errors ?? {};
  return html`<section class="card card-shrinks" aria-labelledby="schedule-title">
    <h2 id="schedule-title">Name and schedule</h2>
    ${errors.form ? notice('error', errors.form) : ''}
    <form method="post" action="/admin/groups/${group.id}" class="stack" id="group-form" novalidate>
      ${csrfField(user)} ${groupFields('group', state.form ?? formOfGroup(group), errors)}
      <button class="button button-primary" type="submit">Save</button>
    </form>
    <hr />
    <h2>Delete the group</h2>
    <p class="hint">Its memberships and excuses go; the people and their check-ins stay.</p>
    <form method="post" action="/admin/groups/${group.id}/delete" data-confirm="Delete the group ${group.name}?">
      ${csrfField(user)}<button type="submit" class="button button-danger">Delete group</button>
    </form>
  </section>`;
}

function importCard(user: PageUser, group: Group, state: GroupPageState): SafeHtml {
  const csv = state.importState?.csv ?? '';
  const previewed = state.importState?.kind === 'preview' ? state.importState.outcome : undefined;
  return html`<section class="card card-shrinks" aria-labelledby="import-title" id="import">
    <h2 id="import-title">Import members from CSV</h2>
    <p class="hint">
      Columns <code>firstname,lastname,externalRef,email</code> with a header line (<code>,</code> or <code>;</code>). A line with an
      external reference updates the person who has it; without one, the member with the same name. Everyone in the file becomes a member.
      You see every line's result first; nothing is written unless every line is valid.
    </p>
    ${importPreview(state.importState)}
    <form method="post" action="/admin/groups/${group.id}/import#import" class="stack" id="import-form">
      ${csrfField(user)}
      <div class="field" data-csv-file hidden>
        <label for="import-file">CSV file</label>
        <input id="import-file" type="file" accept=".csv,text/csv,text/plain" data-fills="#import-csv" />
      </div>
      <label for="import-csv">CSV <span class="hint">(choose a file above or paste it here)</span></label>
      <textarea id="import-csv" name="csv" rows="8" spellcheck="false" class="mono" required>${csv}</textarea>
      <div class="button-row">
        <button class="button${previewed ? '' : ' button-primary'}" type="submit" name="mode" value="preview">Preview</button>
        ${
          previewed
            ? html`<button class="button button-primary" type="submit" name="mode" value="import" id="import-confirm">
                Import ${previewed.lines.length} ${previewed.lines.length === 1 ? 'line' : 'lines'}
              </button>`
            : ''
        }
      </div>
    </form>
  </section>`;
}

/** A group's page: what every reader sees (schedule, members, the register's link), and the forms of those who may change it. */
export function groupPage(user: PageUser, group: Group, list: Member[], state: GroupPageState = {}): string {
  const canWrite = userCan(user, 'groups:write');
  const members = html`<section class="card card-shrinks" aria-labelledby="members-title">
    <h2 id="members-title">Members <span class="hint">(${list.length})</span></h2>
    ${membersTable(user, group, list)}
    ${
      canWrite
        ? html`<h3 id="add-member">Add a member</h3>
            ${peopleSearch(user, group, list, state.q ?? '', state.found)}`
        : ''
    }
  </section>`;
  return page({
    title: group.name,
    section: 'groups',
    user,
    scripts: ['admin.js', 'groups.js'],
    body: html`<p class="breadcrumb"><a href="/admin/groups">← Groups</a></p>
      <div class="page-head page-head-row">
        <div>
          <h1 class="wrap-anywhere">${group.name}</h1>
          <p class="lede" id="group-schedule">
            ${scheduleInWords(group.schedule)} · ${group.memberCount} ${group.memberCount === 1 ? 'member' : 'members'}
          </p>
        </div>
        <a class="button button-primary" href="/admin/groups/${group.id}/register">Open the register</a>
      </div>
      ${state.message ?? ''}
      ${
        canWrite
          ? html`<div class="grid-2">
              <div class="stack-lg">${scheduleCard(user, group, state)} ${state.mail ?? ''}</div>
              <div class="stack-lg card-shrinks">${members} ${importCard(user, group, state)}</div>
            </div>`
          : html`${members} ${state.mail ?? ''}`
      }`,
  });
}

export function listPage(user: PageUser, groups: { items: Group[]; nextCursor: string | null }, state: GroupPageState = {}): string {
  const canWrite = userCan(user, 'groups:write');
  const list = html`<section class="card card-shrinks" aria-labelledby="groups-title">
    <h2 id="groups-title">Groups</h2>
    ${
      groups.items.length === 0
        ? html`<p class="empty">${canWrite ? 'No groups yet. Create the first one.' : 'No groups to show.'}</p>`
        : html`<div class="table-wrap">
            <table class="table" id="group-table">
              ${tableHead(['Name', 'Schedule', 'Members', html`<span class="visually-hidden">Register</span>`])}
              <tbody>
                ${groups.items.map(
                  (g) =>
                    html`<tr data-group-id="${g.id}">
                      <td class="wrap-anywhere col-name"><a class="person" href="/admin/groups/${g.id}">${g.name}</a></td>
                      <td>${scheduleInWords(g.schedule)}</td>
                      <td class="mono">${g.memberCount}</td>
                      <td class="actions">
                        <a class="button button-small button-quiet" href="/admin/groups/${g.id}/register"
                          >Register<span class="visually-hidden"> of ${g.name}</span></a
                        >
                      </td>
                    </tr>`,
                )}
              </tbody>
            </table>
          </div>`
    }
    ${groups.nextCursor ? html`<p class="more"><a class="button" href="/admin/groups?cursor=${groups.nextCursor}">More groups</a></p>` : ''}
  </section>`;
  return page({
    title: 'Groups',
    section: 'groups',
    user,
    scripts: ['admin.js'],
    body: html`<div class="page-head">
        <h1>Groups</h1>
        <p class="lede">Rosters: who is expected on which days. The register shows who came, who was late and who is missing.</p>
      </div>
      ${state.message ?? ''}
      ${
        canWrite
          ? html`<div class="grid-2 grid-wide-left">
              ${list}
              <section class="card" aria-labelledby="new-group-title">
                <h2 id="new-group-title">New group</h2>
                ${state.errors?.form ? notice('error', state.errors.form) : ''}
                <form method="post" action="/admin/groups" class="stack" id="new-group-form" novalidate>
                  ${csrfField(user)} ${groupFields('new', state.form ?? EMPTY_FORM, state.errors ?? {})}
                  <button class="button button-primary" type="submit">Create group</button>
                </form>
              </section>
            </div>`
          : list
      }`,
  });
}

// ---- Answers the group pages and the register share ----------------------------------------------

/** The 404 page of a group that does not exist, or that the user may not see (the same page: nothing is told). */
export function groupNotFoundPage(user: PageUser, rawId: string): string {
  return page({
    title: 'Not found',
    section: 'groups',
    user,
    body: html`<h1>No group #${rawId}</h1>
      <p><a href="/admin/groups">All groups</a></p>`,
  });
}

/** The page of a change the user's role may not make (403). */
export function forbiddenPage(user: PageUser, error: DomainError, back: string): string {
  return page({
    title: 'Not allowed',
    section: 'groups',
    user,
    body: html`<h1>Not allowed</h1>
      ${notice('error', error.detail)}
      <p><a href="${back}">Back</a></p>`,
  });
}

/** A missing (or hidden) group or person is an absent value here (the page answers 404); anything else is thrown. */
export function notFoundAsUndefined(error: unknown): undefined {
  if (error instanceof DomainError && error.status === 404) return undefined;
  throw error;
}
