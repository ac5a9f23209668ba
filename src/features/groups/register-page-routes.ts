// /admin/groups/{id}/register: the attendance register of a group (members × scheduled days, status in
// words and colour, first arrival and last departure, rate per member, totals per day), a printable page
// and the CSV of the API; /admin/groups/{id}/roll-call: one day as a list to tap through on a phone.
// Marking a cell by hand (present, late, absent, excused), clearing it, and the older excuse forms go
// through the group service (audited in the same change), and are offered only to a role that may mark
// the register. The register itself is one SQL statement (register.ts); the grid is rendered in one pass
// (register-grid.ts); a click on a cell opens the marking form in a dialog (public/groups.js).
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../app.js';
import { attendanceDays } from '../../domain/attendance-day.js';
import { DomainError } from '../../domain/domain-error.js';
import { idOf, pageUserOf } from '../../http/page-request.js';
import { actorOf } from '../../plugins/access-control.js';
import { fieldError, fieldErrorsOf, formText, inputField, invalidAttributes, type FieldErrors, type FormBody } from '../../views/form.js';
import { html, type SafeHtml } from '../../views/html.js';
import { csrfField, notice, page, tableHead, userCan, type PageUser } from '../../views/layout.js';
import { isScheduled, registerRange, type ExcuseTarget, type Group } from './group-service.js';
import { groupNotFoundPage, HTML, notFoundAsUndefined } from './group-views.js';
import { MARK_STATUSES, type Register } from './register.js';
import { CELL_STATUSES, registerGrid, whenShort } from './register-grid.js';
import { rollCallPage, type RollCallState } from './roll-call-views.js';
import { defaultRange, neighbourRanges, scheduleInWords } from './schedule-views.js';

interface Range {
  from: string;
  to: string;
}

interface RegisterPageState {
  message?: SafeHtml | '';
  /** The marking form as sent, with its refusals. */
  markForm?: MarkForm;
  markErrors?: FieldErrors;
}

interface MarkForm {
  personId: string;
  date: string;
  status: string;
  reason: string;
}

const query = (range: Range, extra: Record<string, string> = {}) => new URLSearchParams({ ...range, ...extra }).toString();

const MARK_FIELD = (path: string) => (['date', 'reason', 'personId', 'status'].includes(path) ? path : undefined);

const statusOptions = (chosen: string) =>
  MARK_STATUSES.map((status) => html`<option value="${status}" ${status === chosen ? html`selected` : ''}>${status}</option>`);

function markCard(user: PageUser, register: Register, range: Range, state: RegisterPageState, today: string): SafeHtml {
  const form = state.markForm ?? {
    personId: '',
    date: register.days.some((d) => d.date === today) ? today : '',
    status: 'present',
    reason: '',
  };
  const errors = state.markErrors ?? {};
  return html`<section class="card" aria-labelledby="mark-title" id="mark">
    <h2 id="mark-title">Mark a member</h2>
    <p class="hint">
      The day then counts as marked, whatever the check-ins say, until the mark is cleared. Scheduled days up to today, within the
      membership; excused needs a reason. A click on a cell of the grid opens the same form.
    </p>
    ${errors.form ? notice('error', errors.form) : ''}
    <form method="post" action="/admin/groups/${register.group.id}/register/mark" class="stack" id="mark-form">
      ${csrfField(user)}<input type="hidden" name="from" value="${range.from}" /><input type="hidden" name="to" value="${range.to}" />
      <label for="mark-person">Member</label>
      <select id="mark-person" name="personId" required${invalidAttributes('mark-person', errors.personId)}>
        <option value="">Choose…</option>
        ${register.members.map(
          ({ person: p }) =>
            html`<option value="${p.id}" ${String(p.id) === form.personId ? html`selected` : ''}>${p.lastname}, ${p.firstname}</option>`,
        )}
      </select>
      ${fieldError('mark-person', errors.personId)}
      ${inputField({
        id: 'mark-date',
        name: 'date',
        label: 'Day',
        value: form.date,
        error: errors.date,
        attributes: html`type="date" required min="${range.from}" max="${range.to < today ? range.to : today}"`,
      })}
      <label for="mark-status">Status</label>
      <select id="mark-status" name="status" required${invalidAttributes('mark-status', errors.status)}>
        ${statusOptions(form.status)}
      </select>
      ${fieldError('mark-status', errors.status)}
      ${inputField({
        id: 'mark-reason',
        name: 'reason',
        label: 'Reason',
        value: form.reason,
        error: errors.reason,
        attributes: html`maxlength="500" placeholder="Forgot the badge, ill, approved leave…"`,
      })}
      <div class="button-row">
        <button class="button button-primary" type="submit">Mark</button>
        <button class="button" type="submit" formaction="/admin/groups/${register.group.id}/register/unmark" formnovalidate>
          Clear the mark
        </button>
      </div>
    </form>
  </section>`;
}

/** The dialog a click on a grid cell opens (public/groups.js fills in the member and the day). */
function cellDialog(user: PageUser, register: Register, range: Range): SafeHtml {
  return html`<dialog id="cell-dialog" class="cell-dialog" aria-labelledby="cell-dialog-title">
    <form method="post" action="/admin/groups/${register.group.id}/register/mark" class="stack" id="cell-form">
      <h2 id="cell-dialog-title">Mark <span data-cell-name></span> on <span data-cell-date></span></h2>
      <p class="hint" data-cell-now></p>
      ${csrfField(user)}<input type="hidden" name="from" value="${range.from}" /><input type="hidden" name="to" value="${range.to}" />
      <input type="hidden" name="personId" value="" /><input type="hidden" name="date" value="" />
      <label for="cell-status">Status</label>
      <select id="cell-status" name="status" required>
        ${statusOptions('present')}
      </select>
      <label for="cell-reason">Reason</label>
      <input id="cell-reason" name="reason" maxlength="500" placeholder="Needed for excused" />
      <div class="button-row">
        <button class="button button-primary" type="submit">Mark</button>
        <button class="button" type="submit" formaction="/admin/groups/${register.group.id}/register/unmark" formnovalidate data-clear>
          Clear the mark
        </button>
        <button class="button button-quiet" type="button" data-close>Cancel</button>
      </div>
    </form>
  </dialog>`;
}

function markList(user: PageUser, register: Register, range: Range): SafeHtml {
  const marked = register.members.flatMap((m) =>
    m.attendance.flatMap((cell) => (cell.marked ? [{ person: m.person, date: cell.date, status: cell.status, marked: cell.marked }] : [])),
  );
  return html`<section class="card card-shrinks" aria-labelledby="marked-title">
    <h2 id="marked-title">Marked by hand in this range</h2>
    ${
      marked.length === 0
        ? html`<p class="empty">No cell is marked between ${range.from} and ${range.to}.</p>`
        : html`<div class="table-wrap">
            <table class="table" id="mark-table">
              ${tableHead(['Day', 'Member', 'Status', 'By', 'Reason', html`<span class="visually-hidden">Actions</span>`])}
              <tbody>
                ${marked.map(
                  (e) =>
                    html`<tr>
                      <td class="nowrap mono">${e.date}</td>
                      <td class="wrap-anywhere">${e.person.lastname}, ${e.person.firstname}</td>
                      <td><span class="st st-${e.status}">${e.status}</span></td>
                      <td class="wrap-anywhere">${e.marked.by}<small class="nowrap"> ${whenShort(e.marked.at)}</small></td>
                      <td class="wrap-anywhere">${e.marked.reason ?? '—'}</td>
                      <td class="actions">
                        <form method="post" action="/admin/groups/${register.group.id}/register/unmark" class="inline">
                          ${csrfField(user)}<input type="hidden" name="personId" value="${e.person.id}" /><input
                            type="hidden"
                            name="date"
                            value="${e.date}"
                          /><input type="hidden" name="from" value="${range.from}" /><input type="hidden" name="to" value="${range.to}" />
                          <button class="button button-small" type="submit">
                            Clear<span class="visually-hidden"> the mark of ${e.person.firstname} ${e.person.lastname} on ${e.date}</span>
                          </button>
                        </form>
                      </td>
                    </tr>`,
                )}
              </tbody>
            </table>
          </div>`
    }
  </section>`;
}

function legend(): SafeHtml {
  return html`<ul class="register-legend" aria-label="Statuses">
    ${CELL_STATUSES.map((status) => html`<li><span class="st st-${status}">${status === 'not-member' ? '– not a member' : status}</span></li>`)}
    <li class="hint">
      times: first arrival–last departure. Late: arriving after the time in the day's heading (start + grace), in whole seconds: an arrival
      in that very minute shows its seconds (09:10:00 on time, 09:10:01 late). Upcoming: a later day, or today until then (all day without a
      start time). “no arrival”: only a departure was recorded; it counts as absent unless marked. “marked”: set by hand (who, when and why
      are listed below and shown on hover). – : outside the membership, not counted. Upcoming and not-member days count in no rate.
    </li>
  </ul>`;
}

export const adminRegisterRoutes: FastifyPluginAsync<AppContext> = async (app, { config, services }) => {
  const groups = services.groups;
  // The attendance day containing now (DAY_STARTS_AT), as the register counts it.
  const today = () => attendanceDays(config).today();

  const sendGroupNotFound = (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) =>
    reply
      .code(404)
      .type(HTML)
      .send(groupNotFoundPage(pageUserOf(request), request.params.id));

  /** The register page (and whether its range was refused); undefined when the group does not exist. */
  async function registerPage(request: FastifyRequest, id: number, asked: Partial<Range>, state: RegisterPageState = {}) {
    const user = pageUserOf(request);
    const actor = actorOf(request);
    const group = await groups.get(actor, id).catch(notFoundAsUndefined);
    if (!group) return undefined;
    let range: Range = defaultRange(group.schedule, today());
    let rangeErrors: FieldErrors = {};
    if (asked.from || asked.to) {
      try {
        range = registerRange({ from: asked.from ?? '', to: asked.to ?? '' });
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        rangeErrors = fieldErrorsOf(error, (path) => (path === 'from' || path === 'to' ? path : undefined));
      }
    }
    const failed = Object.keys(rangeErrors).length > 0;
    const shownRange = failed ? { from: asked.from ?? '', to: asked.to ?? '' } : range;
    // Undefined when the group was deleted meanwhile.
    const register = failed ? undefined : await groups.register(actor, id, range).catch(notFoundAsUndefined);
    if (!failed && register === undefined) return undefined;
    const { previous, next } = neighbourRanges(range);
    const body = html`<p class="breadcrumb"><a href="/admin/groups/${group.id}">← ${group.name}</a></p>
      <div class="page-head page-head-row">
        <div>
          <h1 class="wrap-anywhere">Register: ${group.name}</h1>
          <p class="lede">${scheduleInWords(group.schedule)} · times in ${config.timezone}</p>
        </div>
        <div class="button-row no-print">
          ${
            register
              ? html`<a class="button" id="register-csv" href="/api/v1/groups/${group.id}/register.csv?${query(range)}" download
                    >Download CSV</a
                  ><a
                    class="button button-quiet"
                    id="register-csv-excel"
                    href="/api/v1/groups/${group.id}/register.csv?${query(range, { bom: 'true' })}"
                    download
                    title="With a UTF-8 byte-order mark, so Excel shows accented names correctly"
                    >CSV for Excel</a
                  >`
              : ''
          }
          ${
            register && userCan(user, 'register:mark')
              ? html`<a class="button button-primary" id="roll-call-link" href="/admin/groups/${group.id}/roll-call">Roll call</a>`
              : ''
          }
          <button type="button" class="button" data-print hidden>Print</button>
        </div>
      </div>
      ${state.message ?? ''}
      <form class="register-range card no-print" method="get" action="/admin/groups/${group.id}/register" id="register-range">
        ${inputField({ id: 'register-from', name: 'from', label: 'From', value: shownRange.from, error: rangeErrors.from, attributes: html`type="date" required` })}
        ${inputField({ id: 'register-to', name: 'to', label: 'To', value: shownRange.to, error: rangeErrors.to, attributes: html`type="date" required` })}
        <button type="submit" class="button button-primary">Show</button>
        <div class="range-steps">
          <a class="button button-quiet" href="/admin/groups/${group.id}/register?${query(previous)}" rel="prev">← Earlier</a>
          <a class="button button-quiet" href="/admin/groups/${group.id}/register?${query(next)}" rel="next">Later →</a>
        </div>
      </form>
      ${rangeErrors.form ? notice('error', rangeErrors.form) : ''}
      ${
        register
          ? html`<section class="card register-card" aria-labelledby="grid-title">
                <div class="register-head">
                  <h2 id="grid-title">${register.from} to ${register.to}</h2>
                  ${legend()}
                </div>
                ${
                  register.members.length === 0
                    ? html`<p class="empty">
                        No members in this range: add them on the <a href="/admin/groups/${group.id}">group page</a>.
                      </p>`
                    : register.days.length === 0
                      ? html`<p class="empty">No scheduled days between ${register.from} and ${register.to}.</p>`
                      : html`<div
                          class="register-scroll"
                          tabindex="0"
                          role="region"
                          aria-label="Register grid, ${register.from} to ${register.to} (scrolls sideways)"
                        >
                          ${registerGrid(register, today(), userCan(user, 'register:mark'))}
                        </div>`
                }
              </section>
              ${
                register.members.length > 0 && register.days.length > 0 && userCan(user, 'register:mark')
                  ? html`<div class="grid-2 no-print">
                        ${markCard(user, register, range, state, today())} ${markList(user, register, range)}
                      </div>
                      ${cellDialog(user, register, range)}`
                  : ''
              }`
          : ''
      }`;
    return {
      failed,
      html: page({ title: `Register: ${group.name}`, section: 'groups', user, scripts: ['groups.js'], body, bodyClass: 'register-page' }),
    };
  }

  const DONE: Record<string, string> = {
    excused: 'Excuse saved.',
    withdrawn: 'Excuse withdrawn.',
    marked: 'Mark saved.',
    unmarked: 'Mark cleared: the check-ins decide again.',
  };

  app.get<{ Params: { id: string }; Querystring: { from?: string; to?: string; done?: string } }>(
    '/admin/groups/:id/register',
    { config: { access: 'admin-page' } },
    async (request, reply) => {
      const id = idOf(request.params.id);
      const { from, to, done } = request.query;
      const asked = { from: from?.slice(0, 20), to: to?.slice(0, 20) };
      const message = DONE[done ?? ''] ? notice('success', DONE[done ?? '']) : '';
      const shown = id === undefined ? undefined : await registerPage(request, id, asked, { message });
      if (!shown) return sendGroupNotFound(request, reply);
      return reply
        .code(shown.failed ? 400 : 200)
        .type(HTML)
        .send(shown.html);
    },
  );

  /** Excusing and withdrawing: the change, then back to the register of the same range. */
  const excuseRoute = (
    path: string,
    change: (request: FastifyRequest, target: ExcuseTarget, body: FormBody) => Promise<unknown>,
    done: string,
  ) =>
    app.post<{ Params: { id: string }; Body: FormBody }>(path, { config: { access: 'admin-page' } }, async (request, reply) => {
      const id = idOf(request.params.id);
      if (id === undefined) return sendGroupNotFound(request, reply);
      const body = request.body;
      const range = { from: formText(body, 'from').slice(0, 20), to: formText(body, 'to').slice(0, 20) };
      const form = { personId: formText(body, 'personId'), date: formText(body, 'date').trim(), reason: formText(body, 'reason') };
      try {
        const personId = idOf(form.personId);
        if (personId === undefined) throw DomainError.invalid('personId', 'choose a member');
        await change(request, { groupId: id, personId, date: form.date }, body);
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        // A role that may not excuse has no excuse form to show the refusal in: it goes above the register.
        const state: RegisterPageState =
          error.status === 403
            ? { message: notice('error', error.detail) }
            : { markForm: { ...form, status: 'excused' }, markErrors: fieldErrorsOf(error, MARK_FIELD) };
        const shown = await registerPage(request, id, range, state);
        if (!shown) return sendGroupNotFound(request, reply);
        return reply.code(error.status).type(HTML).send(shown.html);
      }
      return reply.redirect(`/admin/groups/${id}/register?${query(range, { done })}#mark`, 303);
    });

  excuseRoute(
    '/admin/groups/:id/excuses',
    (request, target, body) => groups.excuse(actorOf(request), target, formText(body, 'reason')),
    'excused',
  );
  excuseRoute('/admin/groups/:id/excuses/withdraw', (request, target) => groups.withdrawExcuse(actorOf(request), target), 'withdrawn');

  // ---- Marking by hand, and the roll call ------------------------------------------------------------

  /** The roll call of a day: undefined when the group does not exist (or the actor may not see it). */
  async function rollCall(request: FastifyRequest, group: Group, asked: string | undefined, state: RollCallState = {}) {
    const user = pageUserOf(request);
    const now = today();
    let date = now;
    let why: string | undefined;
    if (asked) {
      const parsed = /^\d{4}-\d{2}-\d{2}$/.test(asked) ? registerRange({ from: asked, to: asked }).from : undefined;
      if (parsed === undefined) why = `"${asked}" is not a day (YYYY-MM-DD): showing today.`;
      else date = parsed;
    }
    if (date > now) why = `${date} is in the future: a roll call is taken on the day or later.`;
    else if (!isScheduled(group.schedule, date)) why = `${date} is not a scheduled day of this group: choose another day.`;
    const register = why === undefined ? await groups.register(actorOf(request), group.id, { from: date, to: date }) : undefined;
    return rollCallPage({ user, group, date, today: now, register, why, state });
  }

  app.get<{ Params: { id: string }; Querystring: { date?: string; done?: string } }>(
    '/admin/groups/:id/roll-call',
    { config: { access: 'admin-page' } },
    async (request, reply) => {
      const id = idOf(request.params.id);
      const group = id === undefined ? undefined : await groups.get(actorOf(request), id).catch(notFoundAsUndefined);
      if (!group) return sendGroupNotFound(request, reply);
      const done = DONE[request.query.done ?? ''];
      const state: RollCallState = { message: done ? notice('success', done) : '' };
      const shown = await rollCall(request, group, request.query.date?.slice(0, 20), state).catch((error: unknown) => {
        if (error instanceof DomainError && error.status === 400) return rollCall(request, group, undefined, state);
        throw error;
      });
      return reply.type(HTML).send(shown);
    },
  );

  /** Marking and clearing a cell, from the register (its form or a cell's dialog) or the roll call. */
  const markRoute = (path: string, change: (request: FastifyRequest, target: ExcuseTarget, form: MarkForm) => Promise<unknown>) =>
    app.post<{ Params: { id: string }; Body: FormBody }>(path, { config: { access: 'admin-page' } }, async (request, reply) => {
      const id = idOf(request.params.id);
      if (id === undefined) return sendGroupNotFound(request, reply);
      const body = request.body;
      const rollCallView = formText(body, 'view') === 'roll-call';
      const range = { from: formText(body, 'from').slice(0, 20), to: formText(body, 'to').slice(0, 20) };
      const form: MarkForm = {
        personId: formText(body, 'personId'),
        date: formText(body, 'date').trim().slice(0, 20),
        status: formText(body, 'status'),
        reason: formText(body, 'reason'),
      };
      const personId = idOf(form.personId);
      try {
        if (personId === undefined) throw DomainError.invalid('personId', 'choose a member');
        await change(request, { groupId: id, personId, date: form.date }, form);
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        if (rollCallView) {
          const group = await groups.get(actorOf(request), id).catch(notFoundAsUndefined);
          if (!group) return sendGroupNotFound(request, reply);
          const state: RollCallState =
            error.status === 403 || personId === undefined
              ? { message: notice('error', error.detail) }
              : { refused: { personId, detail: error.errors[0]?.message ?? error.detail } };
          const shown = await rollCall(request, group, form.date, state).catch(notFoundAsUndefined);
          if (!shown) return sendGroupNotFound(request, reply);
          return reply.code(error.status).type(HTML).send(shown);
        }
        const state: RegisterPageState =
          error.status === 403
            ? { message: notice('error', error.detail) }
            : { markForm: form, markErrors: fieldErrorsOf(error, MARK_FIELD) };
        const shown = await registerPage(request, id, range, state);
        if (!shown) return sendGroupNotFound(request, reply);
        return reply.code(error.status).type(HTML).send(shown.html);
      }
      const done = path.endsWith('/unmark') ? 'unmarked' : 'marked';
      if (rollCallView) {
        const next = idOf(formText(body, 'next'));
        return reply.redirect(
          `/admin/groups/${id}/roll-call?${new URLSearchParams({ date: form.date, done })}#${next === undefined ? 'roll-call' : `m-${next}`}`,
          303,
        );
      }
      return reply.redirect(`/admin/groups/${id}/register?${query(range, { done })}#mark`, 303);
    });

  markRoute('/admin/groups/:id/register/mark', (request, target, form) =>
    groups.mark(actorOf(request), target, { status: form.status, reason: form.reason }),
  );
  markRoute('/admin/groups/:id/register/unmark', (request, target) => groups.unmark(actorOf(request), target));

  // ---- A person's attendance ----------------------------------------------------------------------

  app.get<{ Params: { id: string }; Querystring: { from?: string; to?: string } }>(
    '/admin/people/:id/attendance',
    { config: { access: 'admin-page' } },
    async (request, reply) => {
      const user = pageUserOf(request);
      const id = idOf(request.params.id);
      const asked = { from: request.query.from?.slice(0, 20) || undefined, to: request.query.to?.slice(0, 20) || undefined };
      let errors: FieldErrors = {};
      const read = (range: { from?: string; to?: string }) => groups.personAttendance(actorOf(request), id ?? 0, range);
      let attendance = await read(asked).catch((error: unknown) => {
        if (error instanceof DomainError && error.status === 400) {
          errors = fieldErrorsOf(error, (path) => (path === 'from' || path === 'to' ? path : undefined));
          return undefined;
        }
        if (error instanceof DomainError && error.status === 404) return null;
        throw error;
      });
      if (attendance === undefined) attendance = await read({}).catch(notFoundAsUndefined);
      if (!attendance) {
        const body = html`<h1>No person #${request.params.id}</h1>
          <p><a href="/admin/people">← People</a></p>`;
        return reply
          .code(404)
          .type(HTML)
          .send(page({ title: 'Not found', section: 'people', user, body }));
      }
      const { person } = attendance;
      const body = html`<p class="breadcrumb"><a href="/admin/people/${person.id}">← ${person.firstname} ${person.lastname}</a></p>
        <div class="page-head">
          <h1 class="wrap-anywhere">Attendance: ${person.firstname} ${person.lastname}</h1>
          <p class="lede">${attendance.from} to ${attendance.to} · times in ${attendance.timezone}</p>
        </div>
        <form class="register-range card" method="get" action="/admin/people/${person.id}/attendance" id="attendance-range">
          ${inputField({ id: 'att-from', name: 'from', label: 'From', value: asked.from ?? attendance.from, error: errors.from, attributes: html`type="date"` })}
          ${inputField({ id: 'att-to', name: 'to', label: 'To', value: asked.to ?? attendance.to, error: errors.to, attributes: html`type="date"` })}
          <button type="submit" class="button button-primary">Show</button>
        </form>
        ${errors.form ? notice('error', errors.form) : ''} ${legend()}
        ${
          attendance.groups.length === 0
            ? html`<p class="empty">Not a member of any group.</p>`
            : attendance.groups.map(
                (g) =>
                  html`<section class="card register-card" aria-labelledby="att-${g.group.id}">
                    <h2 id="att-${g.group.id}"><a href="/admin/groups/${g.group.id}/register?${query(attendance)}">${g.group.name}</a></h2>
                    <p class="hint">
                      Member
                      ${g.membership.since ? `since ${g.membership.since}` : 'from the start'}${g.membership.until ? ` until ${g.membership.until}` : ''}
                      · rate ${g.rate === null ? '—' : `${Math.round(g.rate * 100)} %`} (${g.totals.present} present, ${g.totals.late} late,
                      ${g.totals.absent} absent, ${g.totals.excused} excused)
                    </p>
                    ${
                      g.days.length === 0
                        ? html`<p class="empty">No scheduled days in this range.</p>`
                        : html`<div class="register-scroll" tabindex="0" role="region" aria-labelledby="att-${g.group.id}">
                            ${registerGrid(
                              {
                                group: g.group,
                                from: attendance.from,
                                to: attendance.to,
                                timezone: attendance.timezone,
                                days: g.days.map((d) => ({ ...d, totals: g.totals })),
                                members: [{ person, membership: g.membership, attendance: g.attendance, totals: g.totals, rate: g.rate }],
                              },
                              today(),
                              false,
                              false,
                            )}
                          </div>`
                    }
                  </section>`,
              )
        }`;
      return reply
        .code(Object.keys(errors).length > 0 ? 400 : 200)
        .type(HTML)
        .send(page({ title: `Attendance: ${person.firstname} ${person.lastname}`, section: 'people', user, body }));
    },
  );
};
