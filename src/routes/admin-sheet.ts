// /admin/sheet: the attendance sheet of one day (day picker, gate filter, name search, totals per gate,
// how many are inside), with live updates. Its data comes from the versioned API itself (through
// app.inject, with the admin's own session), so the sheet shows exactly what API clients see.
// /admin/sheet/live returns just the data part, which the page's script swaps in on every change.
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { AppContext } from '../app.js';
import { sessionOf } from '../plugins/access-control.js';
import { localDate, parseIsoDate } from '../checkins/calendar.js';
import { html, type SafeHtml } from '../views/html.js';
import { clock, notice, page } from '../views/layout.js';

const PAGE_SIZE = 200;

interface SheetQuery {
  date?: string;
  gate?: string;
  q?: string;
  cursor?: string;
}

interface SheetItem {
  id: number;
  firstname: string;
  lastname: string;
  gate: string;
  direction: string;
  at: string;
}

interface GateTotal {
  gate: string;
  total: number;
  inside: number | undefined;
}

interface Sheet {
  items: SheetItem[];
  nextCursor: string | null;
  total: number;
  inside: number | undefined;
  gates: GateTotal[];
  problem?: string;
}

type Json = Record<string, unknown>;

const num = (value: unknown): number | undefined =>
  typeof value === 'number' ? value : typeof value === 'string' && value !== '' && !Number.isNaN(Number(value)) ? Number(value) : undefined;

function toItem(row: Json): SheetItem {
  return {
    id: Number(row.id),
    firstname: String(row.firstname ?? ''),
    lastname: String(row.lastname ?? ''),
    gate: String(row.gate ?? ''),
    direction: String(row.direction ?? 'in'),
    at: String(row.occurredAt ?? row.login ?? row.at ?? ''),
  };
}

/** Totals per gate from the day summary. */
function gateTotals(summary: Json): GateTotal[] {
  const raw = summary.perGate ?? summary.gates ?? summary.byGate;
  const list: Json[] = Array.isArray(raw)
    ? (raw as Json[])
    : raw && typeof raw === 'object'
      ? Object.entries(raw as Json).map(([gate, value]) =>
          typeof value === 'object' && value ? { gate, ...(value as Json) } : { gate, total: value },
        )
      : [];
  return list.map((g) => ({
    gate: String(g.gate ?? ''),
    total: num(g.total) ?? num(g.count) ?? num(g.checkins) ?? (num(g.in) ?? 0) + (num(g.out) ?? 0),
    inside: num(g.inside),
  }));
}

async function callApi(app: FastifyInstance, request: FastifyRequest, url: string): Promise<{ status: number; body: Json }> {
  const response = await app.inject({
    method: 'GET',
    url,
    headers: { cookie: request.headers.cookie ?? '', accept: 'application/json', 'x-request-id': request.id },
  });
  let body: Json = {};
  try {
    body = response.json() as Json;
  } catch {
    // not JSON: reported below through the status
  }
  return { status: response.statusCode, body };
}

async function loadSheet(app: FastifyInstance, request: FastifyRequest, day: string, query: SheetQuery): Promise<Sheet> {
  const params = new URLSearchParams({ date: day, limit: String(PAGE_SIZE) });
  if (query.gate) params.set('gate', query.gate);
  if (query.q) params.set('q', query.q);
  if (query.cursor) params.set('cursor', query.cursor);
  const [list, summary] = await Promise.all([
    callApi(app, request, `/api/v1/checkins?${params.toString()}`),
    callApi(app, request, `/api/v1/days/${day}/summary`),
  ]);
  if (list.status !== 200 || summary.status !== 200) {
    const failed = list.status !== 200 ? list : summary;
    return {
      items: [],
      nextCursor: null,
      total: 0,
      inside: undefined,
      gates: [],
      problem: String(failed.body.detail ?? `The attendance API answered ${failed.status}.`),
    };
  }
  const items = Array.isArray(list.body.items) ? (list.body.items as Json[]).map(toItem) : [];
  return {
    items,
    nextCursor: typeof list.body.nextCursor === 'string' ? list.body.nextCursor : null,
    total: num(summary.body.total) ?? num(summary.body.checkins) ?? 0,
    inside: num(summary.body.inside),
    gates: gateTotals(summary.body),
  };
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
      <div class="stat"><span class="stat-value" id="stat-total">${sheet.total}</span><span class="stat-label">check-ins</span></div>
      <div class="stat stat-accent">
        <span class="stat-value" id="stat-inside">${sheet.inside ?? '—'}</span><span class="stat-label">inside now</span>
      </div>
      ${sheet.gates.map(
        (g) =>
          html`<div class="stat stat-gate">
            <span class="stat-value">${g.total}</span
            ><span class="stat-label"
              >gate ${g.gate || '(none)'}${g.inside !== undefined ? html`<br /><span class="hint">${g.inside} inside</span>` : ''}</span
            >
          </div>`,
      )}
    </div>
    ${sheet.problem ? notice('error', sheet.problem) : ''}
    <div class="table-wrap">
      <table class="table sheet-table" id="sheet-table">
        <caption class="visually-hidden">
          Check-ins on ${day}${query.gate ? ` at gate ${query.gate}` : ''}${query.q ? ` matching “${query.q}”` : ''}
        </caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Name</th>
            <th scope="col">Gate</th>
            <th scope="col">Direction</th>
            <th scope="col"><span class="visually-hidden">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          ${
            sheet.items.length === 0
              ? html`<tr>
                  <td colspan="5" class="empty">${filtered ? 'Nobody matches these filters.' : 'No check-ins on this day yet.'}</td>
                </tr>`
              : sheet.items.map(
                  (item) =>
                    html`<tr data-id="${item.id}">
                      <td class="nowrap mono">${clock(item.at)}</td>
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
    ${sheet.nextCursor ? html`<p class="more"><a class="button" href="/admin/sheet?${sheetQuery(day, query, { cursor: sheet.nextCursor })}">Next ${PAGE_SIZE}</a></p>` : ''}`;
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
    const sheet = await loadSheet(app, request, day, query);
    const gates = [...new Set([...sheet.gates.map((g) => g.gate).filter(Boolean), ...(query.gate ? [query.gate] : [])])].sort();
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
    const sheet = await loadSheet(app, request, day, query);
    return reply
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(liveData(day, query, sheet).value);
  });
};
