// The attendance sheet's parts, rendered on the server: totals, the page of entries with its pager, the
// day summary (per gate, and per hour as an inline SVG bar chart: no script and no style attribute, which
// the strict CSP forbids; sizes are SVG attributes, colours come from classes) and the "not arrived yet"
// list of a group. Each live part carries data-live-part, so the page's script swaps just those parts.
import type { CheckinPage, DaySummary } from './checkin-service.js';
import type { DayArrivals } from '../groups/register.js';
import { html, type SafeHtml } from '../../views/html.js';
import { clock, notice, tableHead } from '../../views/layout.js';

export interface SheetFilters {
  day: string;
  gate?: string;
  q?: string;
  group?: number;
}

/** The sheet's address (or its live part's) with these filters and extra parameters. */
export function sheetUrl(path: '/admin/sheet' | '/admin/sheet/live', filters: SheetFilters, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams({ date: filters.day });
  if (filters.gate) params.set('gate', filters.gate);
  if (filters.q) params.set('q', filters.q);
  if (filters.group !== undefined) params.set('group', String(filters.group));
  for (const [key, value] of Object.entries(extra)) params.set(key, value);
  return `${path}?${params}`;
}

/** The CSV export of the sheet's day and gate; `bom` adds the byte-order mark Excel needs. */
export function exportUrl(filters: SheetFilters, bom: boolean): string {
  const params = new URLSearchParams({ from: filters.day, to: filters.day });
  if (filters.gate) params.set('gate', filters.gate);
  if (bom) params.set('bom', 'true');
  return `/api/v1/checkins.csv?${params}`;
}

function stat(id: string, value: number, label: string, accent = false): SafeHtml {
  return html`<div class="stat${accent ? ' stat-accent' : ''}">
    <span class="stat-value" id="${id}">${value}</span><span class="stat-label">${label}</span>
  </div>`;
}

/** Check-ins and check-outs apart, of the chosen gate; who is inside counts every gate. */
export function totals(summary: DaySummary): SafeHtml {
  return html`<div class="stats" aria-label="Totals${summary.gate === null ? '' : ` at gate ${summary.gate}`}">
    ${stat('stat-in', summary.checkIns, 'check-ins')} ${stat('stat-out', summary.checkOuts, 'check-outs')}
    ${stat('stat-inside', summary.inside, summary.gate === null ? 'inside now' : 'inside now (all gates)', true)}
  </div>`;
}

/** Newer and older pages (the list is newest first); the newest page follows new arrivals live. */
function pager(filters: SheetFilters, page: CheckinPage): SafeHtml | '' {
  if (page.prevCursor === null && page.nextCursor === null) return '';
  const link = (cursor: string | null, label: string, rel: string) =>
    cursor === null
      ? html`<span class="button button-small" aria-disabled="true">${label}</span>`
      : html`<a class="button button-small" rel="${rel}" href="${sheetUrl('/admin/sheet', filters, { cursor })}">${label}</a>`;
  return html`<nav class="pager" aria-label="Pages of entries">
    ${page.prevCursor === null ? '' : html`<a class="button button-small" href="${sheetUrl('/admin/sheet', filters)}">Newest</a>`}
    ${link(page.prevCursor, '← Newer', 'prev')} ${link(page.nextCursor, 'Older →', 'next')}
  </nav>`;
}

/** The page of entries, newest first, with the totals above it; each opens its entry page (to correct it, for those who may). */
export function entriesPart(filters: SheetFilters, page: CheckinPage, summary: DaySummary, problem?: string, canCorrect = true): SafeHtml {
  const filtered = Boolean(filters.gate || filters.q);
  return html`${totals(summary)} ${problem ? notice('error', problem) : ''}
    ${page.prevCursor === null ? '' : notice('info', 'These are older entries; new arrivals appear on the newest page.')}
    <div class="table-wrap">
      <table class="table sheet-table" id="sheet-table">
        <caption class="visually-hidden">
          Check-ins on ${filters.day}${filters.gate ? ` at gate ${filters.gate}` : ''}${filters.q ? ` matching “${filters.q}”` : ''}, newest
          first
        </caption>
        ${tableHead(['Time', 'Name', 'Gate', 'Direction', html`<span class="visually-hidden">Actions</span>`])}
        <tbody>
          ${
            page.items.length === 0
              ? html`<tr>
                  <td colspan="5" class="empty">${filtered ? 'Nobody matches these filters.' : 'No check-ins on this day yet.'}</td>
                </tr>`
              : page.items.map(
                  (item) =>
                    html`<tr data-id="${item.id}" data-gate="${item.gate}">
                      <td class="nowrap mono">${clock(item.occurredAt)}</td>
                      <td class="name-cell"><span class="person">${item.lastname}, ${item.firstname}</span></td>
                      <td class="gate-cell">${item.gate || html`<span class="hint">—</span>`}</td>
                      <td>
                        <span class="badge badge-${item.direction === 'out' ? 'out' : 'in'}"
                          >${item.direction === 'out' ? 'out' : 'in'}</span
                        >
                      </td>
                      <td class="actions">
                        <a href="/admin/entries/${item.id}" class="button button-small button-quiet"
                          >${canCorrect ? 'Correct' : 'Open'}<span class="visually-hidden"> ${item.firstname} ${item.lastname}</span></a
                        >
                      </td>
                    </tr>`,
                )
          }
        </tbody>
      </table>
    </div>
    ${pager(filters, page)}`;
}

const CHART = { barWidth: 9, gap: 3, height: 90, labelHeight: 14 };

/** Check-ins and check-outs per hour of the day as stacked bars (23 or 25 on DST change days). */
export function hourlyChart(summary: DaySummary): SafeHtml {
  const hours = summary.perHour;
  const highest = Math.max(1, ...hours.map((h) => h.total));
  const scale = (count: number) => Math.round((count / highest) * CHART.height * 10) / 10;
  const step = CHART.barWidth + CHART.gap;
  const width = hours.length * step;
  const busiest = hours.reduce((best, h) => (h.total > best.total ? h : best), hours[0] ?? { total: 0, localTime: '' });
  const label = `Entries per hour${summary.gate === null ? '' : ` at gate ${summary.gate}`}: ${summary.total === 0 ? 'none yet' : `busiest hour ${busiest.localTime} with ${busiest.total}`}.`;
  return html`<svg
    class="hour-chart"
    viewBox="0 0 ${width} ${CHART.height + CHART.labelHeight}"
    role="img"
    aria-label="${label}"
    preserveAspectRatio="xMinYMax meet"
  >
    <line class="chart-axis" x1="0" y1="${CHART.height + 0.5}" x2="${width}" y2="${CHART.height + 0.5}" />
    ${hours.map((h, i) => {
      const x = i * step + CHART.gap / 2;
      const ins = scale(h.checkIns);
      const outs = scale(h.checkOuts);
      return html`<g>
        <title>${h.localTime}: ${h.checkIns} in, ${h.checkOuts} out</title>
        <rect class="bar bar-in" x="${x}" y="${CHART.height - ins}" width="${CHART.barWidth}" height="${ins}" />
        <rect class="bar bar-out" x="${x}" y="${CHART.height - ins - outs}" width="${CHART.barWidth}" height="${outs}" />
        ${i % 3 === 0 ? html`<text class="chart-label" x="${x + CHART.barWidth / 2}" y="${CHART.height + CHART.labelHeight - 4}">${h.localTime.slice(0, 2)}</text>` : ''}
      </g>`;
    })}
  </svg>`;
}

/** Per gate (each a link that filters the sheet by it) and per hour. */
export function summaryPart(filters: SheetFilters, summary: DaySummary): SafeHtml {
  return html`<h2 id="summary-title">Day summary</h2>
    <div class="table-wrap">
      <table class="table table-compact" id="gate-table">
        <caption class="visually-hidden">
          Entries per gate
        </caption>
        ${tableHead(['Gate', 'In', 'Out', 'Total'])}
        <tbody>
          ${
            summary.perGate.length === 0
              ? html`<tr>
                  <td colspan="4" class="empty">No entries${summary.gate === null ? '' : ' at this gate'} yet.</td>
                </tr>`
              : summary.perGate.map(
                  (g) =>
                    html`<tr>
                      <th scope="row" class="gate-cell">
                        ${g.gate ? html`<a href="${sheetUrl('/admin/sheet', { ...filters, gate: g.gate })}">${g.gate}</a>` : html`<span class="hint">(none)</span>`}
                      </th>
                      <td class="num">${g.checkIns}</td>
                      <td class="num">${g.checkOuts}</td>
                      <td class="num">${g.total}</td>
                    </tr>`,
                )
          }
        </tbody>
      </table>
    </div>
    <h3 class="chart-title">
      Per hour <span class="legend"><span class="key key-in"></span> in <span class="key key-out"></span> out</span>
    </h3>
    ${hourlyChart(summary)}
    <details class="chart-numbers">
      <summary>Numbers per hour</summary>
      <table class="table table-compact">
        ${tableHead(['Hour', 'In', 'Out'])}
        <tbody>
          ${summary.perHour
            .filter((h) => h.total > 0)
            .map(
              (h) =>
                html`<tr>
                  <td class="mono">${h.localTime}</td>
                  <td class="num">${h.checkIns}</td>
                  <td class="num">${h.checkOuts}</td>
                </tr>`,
            )}
        </tbody>
      </table>
    </details>`;
}

/** The members of the chosen group expected on the day who have not checked in (nor been excused). */
export function notArrivedPart(arrivals: DayArrivals | undefined, groupChosen: boolean, day: string): SafeHtml {
  if (!groupChosen) return html`<p class="hint">Choose a group to see who of it has not arrived.</p>`;
  if (arrivals === undefined) return notice('error', 'That group no longer exists.') as SafeHtml;
  if (!arrivals.scheduled) return html`<p class="hint" id="not-scheduled">${arrivals.group.name} is not scheduled on ${day}.</p>`;
  return html`<p class="arrival-count" id="arrival-count">
      <strong>${arrivals.waiting.length}</strong> of ${arrivals.members} not
      arrived${arrivals.startsAt ? ` (starts ${clock(arrivals.startsAt).slice(0, 5)})` : ''}; ${arrivals.arrived}
      arrived${arrivals.excused > 0 ? `, ${arrivals.excused} excused` : ''}
    </p>
    ${
      arrivals.waiting.length === 0
        ? html`<p class="notice notice-success" role="status">Everyone has arrived.</p>`
        : // A scrolling list: focusable and named, so a keyboard can reach and scroll it.
          html`<ul class="waiting-list" id="waiting-list" tabindex="0" aria-label="Not arrived yet: ${arrivals.group.name}">
            ${arrivals.waiting.map(
              (p) =>
                html`<li data-person-id="${p.id}">
                  <span class="person">${p.lastname}, ${p.firstname}</span
                  >${p.externalRef ? html` <span class="hint">${p.externalRef}</span>` : ''}
                </li>`,
            )}
          </ul>`
    }`;
}
