// /admin/sheet: the attendance sheet of one day (day picker, gate filter, name search, totals per gate,
// how many are inside), with live updates. Its data comes from the same domain functions as the
// versioned API's list and summary (checkin-service.ts), so the sheet shows exactly what API clients see.
// /admin/sheet/live returns just the data part, which the page's script swaps in on every change.
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../app.js';
import { sessionOf } from '../plugins/access-control.js';
import { localDate, parseIsoDate } from '../checkins/calendar.js';
import { CheckinProblem } from '../checkins/checkin-problem.js';
import { type CheckinPage, type DaySummary, listDay, summarizeDay } from '../checkins/checkin-service.js';
import type { Database } from '../db/database.js';
import { html, type SafeHtml } from '../views/html.js';
import { clock, notice, page, tableHead } from '../views/layout.js';

const PAGE_SIZE = 200;

interface SheetQuery {
  date?: string;
  gate?: string;
  q?: string;
  cursor?: string;
}

interface Sheet {
  page: CheckinPage;
  summary: DaySummary;
  /** Why the list could not be shown (a cursor of another list). */
  problem?: string;
}

async function loadSheet(db: Database, timezone: string, day: string, query: SheetQuery): Promise<Sheet> {
  const [list, summary] = await Promise.all([
    listDay(db, { day, gate: query.gate, q: query.q, cursor: query.cursor, limit: PAGE_SIZE }).catch((error: unknown) => {
      if (error instanceof CheckinProblem) return error;
      throw error;
    }),
    summarizeDay(db, day, timezone),
  ]);
  if (list instanceof CheckinProblem) return { page: { items: [], nextCursor: null }, summary, problem: list.detail };
  return { page: list, summary };
}

function sheetQuery(day: string, query: SheetQuery, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams({ date: day });
  if (query.gate) params.set('gate', query.gate);
  if (query.q) params.set('q', query.q);
  for (const [key, value] of Object.entries(extra)) params.set(key, value);
  return params.toString();
}

function liveData(day: string, query: SheetQuery, sheet: Sheet): SafeHtml {
  const filtered = Boolean(query.gate || query.q);
  return html`<div class="stats" aria-label="Totals">
      <div class="stat">
        <span class="stat-value" id="stat-total">${sheet.summary.total}</span><span class="stat-label">check-ins</span>
      </div>
      <div class="stat stat-accent">
        <span class="stat-value" id="stat-inside">${sheet.summary.inside}</span><span class="stat-label">inside now</span>
      </div>
      ${sheet.summary.perGate.map(
        (g) =>
          html`<div class="stat stat-gate">
            <span class="stat-value">${g.total}</span><span class="stat-label">gate ${g.gate || '(none)'}</span>
          </div>`,
      )}
    </div>
    ${sheet.problem ? notice('error', sheet.problem) : ''}
    <div class="table-wrap">
      <table class="table sheet-table" id="sheet-table">
        <caption class="visually-hidden">
          Check-ins on ${day}${query.gate ? ` at gate ${query.gate}` : ''}${query.q ? ` matching “${query.q}”` : ''}
        </caption>
        ${tableHead(['Time', 'Name', 'Gate', 'Direction', html`<span class="visually-hidden">Actions</span>`])}
        <tbody>
          ${
            sheet.page.items.length === 0
              ? html`<tr>
                  <td colspan="5" class="empty">${filtered ? 'Nobody matches these filters.' : 'No check-ins on this day yet.'}</td>
                </tr>`
              : sheet.page.items.map(
                  (item) =>
                    html`<tr data-id="${item.id}">
                      <td class="nowrap mono">${clock(item.occurredAt)}</td>
                      <td><span class="person">${item.lastname}, ${item.firstname}</span></td>
                      <td>${item.gate || html`<span class="hint">—</span>`}</td>
                      <td>
                        <span class="badge badge-${item.direction === 'out' ? 'out' : 'in'}"
                          >${item.direction === 'out' ? 'out' : 'in'}</span
                        >
                      </td>
                      <td class="actions">
                        <a href="/admin/entries/${item.id}" class="button button-small button-quiet"
                          >Correct<span class="visually-hidden"> ${item.firstname} ${item.lastname}</span></a
                        >
                      </td>
                    </tr>`,
                )
          }
        </tbody>
      </table>
    </div>
    ${sheet.page.nextCursor ? html`<p class="more"><a class="button" href="/admin/sheet?${sheetQuery(day, query, { cursor: sheet.page.nextCursor })}">Next ${PAGE_SIZE}</a></p>` : ''}`;
}

export const adminSheetRoutes: FastifyPluginAsync<AppContext> = async (app, context) => {
  const readQuery = (raw: SheetQuery) => {
    const day = (raw.date && parseIsoDate(raw.date)) || localDate(context.config.timezone);
    const query: SheetQuery = {
      gate: raw.gate?.trim().slice(0, 100) || undefined,
      q: raw.q?.trim().slice(0, 100) || undefined,
      cursor: raw.cursor?.slice(0, 500) || undefined,
    };
    return { day, query };
  };

  app.get<{ Querystring: SheetQuery }>('/admin/sheet', { config: { access: 'admin-page' } }, async (request, reply) => {
    const session = sessionOf(request);
    const { day, query } = readQuery(request.query);
    const sheet = await loadSheet(context.db, context.config.timezone, day, query);
    const gates = [...new Set([...sheet.summary.perGate.map((g) => g.gate).filter(Boolean), ...(query.gate ? [query.gate] : [])])].sort();
    const body = html`<div class="page-head page-head-row">
        <div>
          <h1>Attendance</h1>
          <p class="lede">
            ${day}${day === localDate(context.config.timezone) ? ' · today' : ''}
            <span class="live-indicator" id="live-indicator" hidden
              ><span class="dot" aria-hidden="true"></span><span class="live-text">Live</span></span
            >
          </p>
        </div>
        <a
          class="button"
          id="export-csv"
          href="/api/v1/checkins.csv?${new URLSearchParams({ from: day, to: day, ...(query.gate ? { gate: query.gate } : {}) }).toString()}"
          download
          >Export CSV</a
        >
      </div>
      <form class="filters card" method="get" action="/admin/sheet" role="search" id="sheet-filters">
        <div class="field"><label for="date">Day</label><input type="date" id="date" name="date" value="${day}" required /></div>
        <div class="field">
          <label for="gate-filter">Gate</label>
          <select id="gate-filter" name="gate">
            <option value="">All gates</option>
            ${gates.map((g) => html`<option value="${g}" ${g === query.gate ? html` selected` : ''}>${g}</option>`)}
          </select>
        </div>
        <div class="field field-grow">
          <label for="q">Name</label
          ><input type="search" id="q" name="q" value="${query.q ?? ''}" placeholder="Search first or last name" autocomplete="off" />
        </div>
        <div class="field field-button"><button type="submit" class="button button-primary">Show</button></div>
      </form>
      <section
        id="sheet-live"
        class="card"
        aria-live="polite"
        aria-busy="false"
        data-live-url="/admin/sheet/live?${sheetQuery(day, query, query.cursor ? { cursor: query.cursor } : {})}"
      >
        ${liveData(day, query, sheet)}
      </section>`;
    return reply
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(
        page({
          title: `Attendance ${day}`,
          section: 'sheet',
          user: { username: session.username, csrfToken: session.csrfToken },
          body,
          scripts: ['sheet.js'],
        }),
      );
  });

  app.get<{ Querystring: SheetQuery }>('/admin/sheet/live', { config: { access: 'admin-page' } }, async (request, reply) => {
    const { day, query } = readQuery(request.query);
    const sheet = await loadSheet(context.db, context.config.timezone, day, query);
    return reply
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(liveData(day, query, sheet).value);
  });
};
