// /admin/groups/{id}/register: the attendance register of a group (members × scheduled days, status in
// words and colour, first arrival and last departure, rate per member, totals per day), a printable page
// and the CSV of the API. Excusing a member from a day, and withdrawing an excuse, go through the group
// service (audited in the same change), and are offered only to a role that may mark the register. The
// register itself is one SQL statement (register.ts); the grid is rendered in one pass (register-grid.ts).
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../app.js';
import { localDate } from '../../domain/calendar.js';
import { DomainError } from '../../domain/domain-error.js';
import { idOf, pageUserOf } from '../../http/page-request.js';
import { actorOf } from '../../plugins/access-control.js';
import { fieldError, fieldErrorsOf, formText, inputField, invalidAttributes, type FieldErrors, type FormBody } from '../../views/form.js';
import { html, type SafeHtml } from '../../views/html.js';
import { csrfField, notice, page, tableHead, userCan, type PageUser } from '../../views/layout.js';
import { registerRange, type ExcuseTarget } from './group-service.js';
import { groupNotFoundPage, HTML, notFoundAsUndefined } from './group-views.js';
import type { Register } from './register.js';
import { registerGrid, STATUSES } from './register-grid.js';
import { defaultRange, neighbourRanges, scheduleInWords } from './schedule-views.js';

interface Range {
  from: string;
  to: string;
}

interface RegisterPageState {
  message?: SafeHtml | '';
  /** The excuse form as sent, with its refusals. */
  excuseForm?: { personId: string; date: string; reason: string };
  excuseErrors?: FieldErrors;
}

const query = (range: Range, extra: Record<string, string> = {}) => new URLSearchParams({ ...range, ...extra }).toString();

const EXCUSE_FIELD = (path: string) => (['date', 'reason', 'personId'].includes(path) ? path : undefined);

function excuseCard(user: PageUser, register: Register, range: Range, state: RegisterPageState, today: string): SafeHtml {
  const form = state.excuseForm ?? { personId: '', date: register.days.some((d) => d.date === today) ? today : '', reason: '' };
  const errors = state.excuseErrors ?? {};
  return html`<section class="card" aria-labelledby="excuse-title" id="excuse">
    <h2 id="excuse-title">Excuse a member</h2>
    <p class="hint">The day then counts as excused, whatever the check-ins say. Only scheduled days can be excused.</p>
    ${errors.form ? notice('error', errors.form) : ''}
    <form method="post" action="/admin/groups/${register.group.id}/excuses#excuse" class="stack" id="excuse-form">
      ${csrfField(user)}<input type="hidden" name="from" value="${range.from}" /><input type="hidden" name="to" value="${range.to}" />
      <label for="excuse-person">Member</label>
      <select id="excuse-person" name="personId" required${invalidAttributes('excuse-person', errors.personId)}>
        <option value="">Choose…</option>
        ${register.members.map(
          ({ person: p }) =>
            html`<option value="${p.id}" ${String(p.id) === form.personId ? html`selected` : ''}>${p.lastname}, ${p.firstname}</option>`,
        )}
      </select>
      ${fieldError('excuse-person', errors.personId)}
      ${inputField({
        id: 'excuse-date',
        name: 'date',
        label: 'Day',
        value: form.date,
        error: errors.date,
        attributes: html`type="date" required min="${range.from}" max="${range.to}"`,
      })}
      ${inputField({
        id: 'excuse-reason',
        name: 'reason',
        label: 'Reason',
        value: form.reason,
        error: errors.reason,
        attributes: html`required maxlength="500" placeholder="Ill, approved leave…"`,
      })}
      <button class="button button-primary" type="submit">Excuse</button>
    </form>
  </section>`;
}

function excuseList(user: PageUser, register: Register, range: Range): SafeHtml {
  const excused = register.members.flatMap((m) =>
    m.attendance
      .filter((cell) => cell.status === 'excused')
      .map((cell) => ({ person: m.person, date: cell.date, reason: cell.excuse ?? '' })),
  );
  return html`<section class="card card-shrinks" aria-labelledby="excused-title">
    <h2 id="excused-title">Excuses in this range</h2>
    ${
      excused.length === 0
        ? html`<p class="empty">Nobody is excused between ${range.from} and ${range.to}.</p>`
        : html`<div class="table-wrap">
            <table class="table" id="excuse-table">
              ${tableHead(['Day', 'Member', 'Reason', html`<span class="visually-hidden">Actions</span>`])}
              <tbody>
                ${excused.map(
                  (e) =>
                    html`<tr>
                      <td class="nowrap mono">${e.date}</td>
                      <td class="wrap-anywhere">${e.person.lastname}, ${e.person.firstname}</td>
                      <td class="wrap-anywhere">${e.reason}</td>
                      <td class="actions">
                        <form method="post" action="/admin/groups/${register.group.id}/excuses/withdraw" class="inline">
                          ${csrfField(user)}<input type="hidden" name="personId" value="${e.person.id}" /><input
                            type="hidden"
                            name="date"
                            value="${e.date}"
                          /><input type="hidden" name="from" value="${range.from}" /><input type="hidden" name="to" value="${range.to}" />
                          <button class="button button-small" type="submit">
                            Withdraw<span class="visually-hidden">
                              the excuse of ${e.person.firstname} ${e.person.lastname} on ${e.date}</span
                            >
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
    ${STATUSES.map((status) => html`<li><span class="st st-${status}">${status}</span></li>`)}
    <li class="hint">times: first arrival–last departure</li>
  </ul>`;
}

export const adminRegisterRoutes: FastifyPluginAsync<AppContext> = async (app, { config, services }) => {
  const groups = services.groups;
  const today = () => localDate(config.timezone);

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
                >`
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
                    ? html`<p class="empty">No members yet: add them on the <a href="/admin/groups/${group.id}">group page</a>.</p>`
                    : register.days.length === 0
                      ? html`<p class="empty">No scheduled days between ${register.from} and ${register.to}.</p>`
                      : html`<div
                          class="register-scroll"
                          tabindex="0"
                          role="region"
                          aria-label="Register grid, ${register.from} to ${register.to} (scrolls sideways)"
                        >
                          ${registerGrid(register, today())}
                        </div>`
                }
              </section>
              ${
                register.members.length > 0 && register.days.length > 0 && userCan(user, 'register:mark')
                  ? html`<div class="grid-2 no-print">
                      ${excuseCard(user, register, range, state, today())} ${excuseList(user, register, range)}
                    </div>`
                  : ''
              }`
          : ''
      }`;
    return {
      failed,
      html: page({ title: `Register: ${group.name}`, section: 'groups', user, scripts: ['groups.js'], body, bodyClass: 'register-page' }),
    };
  }

  const DONE: Record<string, string> = { excused: 'Excuse saved.', withdrawn: 'Excuse withdrawn.' };

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
            : { excuseForm: form, excuseErrors: fieldErrorsOf(error, EXCUSE_FIELD) };
        const shown = await registerPage(request, id, range, state);
        if (!shown) return sendGroupNotFound(request, reply);
        return reply.code(error.status).type(HTML).send(shown.html);
      }
      return reply.redirect(`/admin/groups/${id}/register?${query(range, { done })}#excuse`, 303);
    });

  excuseRoute(
    '/admin/groups/:id/excuses',
    (request, target, body) => groups.excuse(actorOf(request), target, formText(body, 'reason')),
    'excused',
  );
  excuseRoute('/admin/groups/:id/excuses/withdraw', (request, target) => groups.withdrawExcuse(actorOf(request), target), 'withdrawn');
};
