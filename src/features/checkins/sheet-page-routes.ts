// /admin/sheet: the attendance sheet of one day (day picker, gate filter, name search, totals, entries
// newest first with paging both ways, the day summary per gate and per hour, and who of a chosen group
// has not arrived yet), with live updates. Its data comes from the same domain functions as the
// versioned API's list, summary and register, so the sheet shows exactly what API clients see.
// /admin/sheet/live returns just the live parts, which the page's script swaps in on every change.
//
// Days are attendance days (DAY_STARTS_AT in APP_TIMEZONE). A sheet showing today follows today: its
// live address carries follow=today, so at the day boundary (the script asks again when the day part
// says the day ends, and on every change) the live parts, the day in the heading and the page's address
// move to the new day by themselves, back to its newest entries. A sheet showing a past day stays on it.
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../app.js';
import type { Actor } from '../../domain/actor.js';
import { parseIsoDate } from '../../domain/calendar.js';
import { DomainError } from '../../domain/domain-error.js';
import { pageFilterText, pageUserOf } from '../../http/page-request.js';
import { actorOf } from '../../plugins/access-control.js';
import type { Services } from '../../services.js';
import type { CheckinPage, DaySummary } from './checkin-service.js';
import { isScheduled } from '../groups/group-service.js';
import type { DayArrivals } from '../groups/register.js';
import { html } from '../../views/html.js';
import { page, userCan } from '../../views/layout.js';
import { entriesPart, exportUrl, notArrivedPart, type SheetFilters, sheetUrl, summaryPart } from './sheet-views.js';

const PAGE_SIZE = 200;
/** Groups offered for "not arrived yet" (a dropdown, not a search). */
const MAX_GROUPS = 500;

interface SheetQuery {
  date?: string;
  /** `today`: the live parts follow today (the page showed today); the date is then the day last shown. */
  follow?: string;
  gate?: string;
  q?: string;
  group?: string;
  cursor?: string;
}

interface Sheet {
  page: CheckinPage;
  summary: DaySummary;
  arrivals?: DayArrivals;
  /** Why the list could not be shown (a cursor of another list). */
  problem?: string;
}

async function loadSheet(services: Services, actor: Actor, filters: SheetFilters, cursor: string | undefined): Promise<Sheet> {
  const { checkins, groups } = services;
  const [list, summary, arrivals] = await Promise.all([
    checkins
      .listDay(actor, { day: filters.day, gate: filters.gate, q: filters.q, cursor, limit: PAGE_SIZE, order: 'desc' })
      // A cursor of another list is shown on the page; a refusal is the page's answer.
      .catch((error: unknown) => {
        if (error instanceof DomainError && error.status === 400) return error;
        throw error;
      }),
    checkins.summarizeDay(actor, filters.day, filters.gate),
    filters.group === undefined ? undefined : groups.dayArrivals(actor, filters.group, filters.day),
  ]);
  if (list instanceof DomainError) {
    return { page: { items: [], nextCursor: null, prevCursor: null }, summary, arrivals, problem: list.detail };
  }
  return { page: list, summary, arrivals };
}

/** The day in the heading, with what the script needs to follow today: the day shown, and when today ends. */
function dayPart(day: string, today: string, untilNextDayMs: number) {
  return html`<span data-live-part="day" id="sheet-day" data-day="${day}" data-rolls-in-ms="${String(untilNextDayMs)}"
    >${day}${day === today ? ' · today' : ''}</span
  >`;
}

/** The parts the page's script replaces on every change (data-live-part names them). */
function liveParts(filters: SheetFilters, sheet: Sheet, canCorrect: boolean, today: { day: string; untilNextDayMs: number }) {
  return {
    day: dayPart(filters.day, today.day, today.untilNextDayMs),
    entries: html`<div data-live-part="entries" id="sheet-live">
      ${entriesPart(filters, sheet.page, sheet.summary, sheet.problem, canCorrect)}
    </div>`,
    notArrived: html`<div data-live-part="not-arrived" id="not-arrived">
      ${notArrivedPart(sheet.arrivals, filters.group !== undefined, filters.day)}
    </div>`,
    summary: html`<div data-live-part="summary" id="day-summary">${summaryPart(filters, sheet.summary)}</div>`,
  };
}

/** A positive whole number from the query, or undefined. */
function groupId(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,15}$/.test(value)) return undefined;
  const id = Number(value);
  return id > 0 ? id : undefined;
}

export const adminSheetRoutes: FastifyPluginAsync<AppContext> = async (app, context) => {
  const { services } = context;
  const days = services.checkins.days;
  const readQuery = (raw: SheetQuery): { filters: SheetFilters; cursor?: string; today: { day: string; untilNextDayMs: number } } => {
    const today = { day: days.today(), untilNextDayMs: days.untilNextDay() };
    const asked = (raw.date && parseIsoDate(raw.date)) || undefined;
    // Following today: a day that has ended gives way to the new one, from its newest entries.
    const day = raw.follow === 'today' || asked === undefined ? today.day : asked;
    return {
      filters: {
        day,
        gate: pageFilterText(raw.gate, 'gate', 100),
        q: pageFilterText(raw.q, 'q', 100),
        group: groupId(raw.group),
      },
      cursor: (day === asked && pageFilterText(raw.cursor, 'cursor', 500)) || undefined,
      today,
    };
  };
  /** The newest page follows new arrivals; an older page stays where it is. Today's sheet follows today. */
  const liveUrl = (filters: SheetFilters, cursor: string | undefined, sheet: Sheet, today: string) =>
    sheetUrl('/admin/sheet/live', filters, {
      ...(cursor !== undefined && sheet.page.prevCursor !== null ? { cursor } : {}),
      ...(filters.day === today ? { follow: 'today' } : {}),
    });

  app.get<{ Querystring: SheetQuery }>('/admin/sheet', { config: { access: 'admin-page' } }, async (request, reply) => {
    const user = pageUserOf(request);
    const actor = actorOf(request);
    const { filters, cursor, today } = readQuery(request.query);
    const [sheet, gateNames, groups] = await Promise.all([
      loadSheet(services, actor, filters, cursor),
      services.checkins.gatesToFilter(actor, filters.day),
      services.groups.list(actor, 0, MAX_GROUPS),
    ]);
    const gates = [...new Set([...gateNames, ...(filters.gate ? [filters.gate] : [])])].sort();
    groups.sort((a, b) => a.name.localeCompare(b.name) || a.id - b.id);
    const parts = liveParts(filters, sheet, userCan(user, 'attendance:correct'), today);
    const body = html`<div class="page-head page-head-row sheet-head">
        <div>
          <h1>Attendance</h1>
          <p class="lede">
            ${parts.day}
            <span class="live-indicator" id="live-indicator" hidden
              ><span class="dot" aria-hidden="true"></span><span class="live-text">Live</span></span
            >
          </p>
        </div>
        <div class="export-links">
          <a class="button" id="export-csv" data-export href="${exportUrl(filters, false)}" download>Export CSV</a>
          <a
            class="button button-quiet"
            id="export-csv-excel"
            data-export
            data-bom
            href="${exportUrl(filters, true)}"
            download
            title="With a UTF-8 byte-order mark, so Excel shows accented names correctly"
            >CSV for Excel</a
          >
        </div>
      </div>
      <form class="filters card" method="get" action="/admin/sheet" role="search" id="sheet-filters">
        <div class="field field-day">
          <label for="date">Day</label><input type="date" id="date" name="date" value="${filters.day}" required />
        </div>
        <div class="field field-gate">
          <label for="gate-filter">Gate</label>
          <select id="gate-filter" name="gate">
            <option value="">All gates</option>
            ${gates.map((g) => html`<option value="${g}" ${g === filters.gate ? html` selected` : ''}>${g}</option>`)}
          </select>
        </div>
        <div class="field field-grow">
          <label for="q">Name</label
          ><input type="search" id="q" name="q" value="${filters.q ?? ''}" placeholder="First or last name" autocomplete="off" />
        </div>
        <div class="field field-button"><button type="submit" class="button button-primary">Show</button></div>
      </form>
      <div class="sheet-layout" id="sheet" data-live-url="${liveUrl(filters, cursor, sheet, today.day)}" aria-busy="false">
        <section class="card sheet-main" aria-labelledby="entries-title" aria-live="polite">
          <h2 id="entries-title" class="visually-hidden">Entries, newest first</h2>
          ${parts.entries}
        </section>
        <div class="sheet-side">
          <section class="card" aria-labelledby="not-arrived-title">
            <h2 id="not-arrived-title">Not arrived yet</h2>
            <div class="field">
              <label for="group">Group</label>
              <select id="group" name="group" form="sheet-filters">
                <option value="">Choose a group</option>
                ${groups.map(
                  (g) =>
                    html`<option value="${g.id}" ${g.id === filters.group ? html` selected` : ''}>
                      ${g.name}${isScheduled(g.schedule, filters.day) ? '' : ' (not scheduled)'}
                    </option>`,
                )}
              </select>
            </div>
            ${parts.notArrived}
          </section>
          <section class="card" aria-labelledby="summary-title">${parts.summary}</section>
        </div>
      </div>`;
    return reply
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(
        page({
          title: `Attendance ${filters.day}`,
          section: 'sheet',
          user,
          body,
          scripts: ['sheet.js'],
        }),
      );
  });

  app.get<{ Querystring: SheetQuery }>('/admin/sheet/live', { config: { access: 'admin-page' } }, async (request, reply) => {
    const { filters, cursor, today } = readQuery(request.query);
    const sheet = await loadSheet(services, actorOf(request), filters, cursor);
    const parts = liveParts(filters, sheet, userCan(pageUserOf(request), 'attendance:correct'), today);
    return reply
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(html`${parts.day}${parts.entries}${parts.notArrived}${parts.summary}`.value);
  });
};
