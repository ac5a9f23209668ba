// The register as an HTML grid: members × scheduled days, each cell the status in words (the colour only
// repeats it) with first arrival and last departure (with seconds when the arrival falls in the minute
// of the late boundary, which decides in whole seconds), "no arrival" for a day with only a check-out,
// "marked" with who, when and why for a cell set by hand, a dash for a day outside the membership; a rate
// per member and totals per day. Built in one
// pass by string concatenation: 1,000 members × 31 days is 31,000 cells, and a template call per cell
// would cost more than the SQL that computed them.
import { isoWeekday } from './group-service.js';
import type { AttendanceStatus, Register, StatusTotals } from './register.js';
import { escapeHtml, SafeHtml } from '../../views/html.js';
import { MONTH_SHORT, WEEKDAY_SHORT } from './schedule-views.js';

type Cell = Register['members'][number]['attendance'][number];

/** The statuses that have totals. */
export const STATUSES: readonly (keyof StatusTotals)[] = ['present', 'late', 'absent', 'excused', 'upcoming'];
/** Every status a cell can show, in the legend's order. */
export const CELL_STATUSES: readonly AttendanceStatus[] = [...STATUSES, 'not-member'];

/** '2026-11-24T09:12:21.123+01:00' → '09:12' (PostgreSQL rendered it in APP_TIMEZONE already). */
export function hhmm(iso: string | null): string {
  return iso ? (/T(\d{2}:\d{2})/.exec(iso)?.[1] ?? '') : '';
}

/** '2026-11-24T09:12:21.123+01:00' → '09:12:21' (seconds truncated, as the late rule compares them). */
export function hhmmss(iso: string | null): string {
  return iso ? (/T(\d{2}:\d{2}:\d{2})/.exec(iso)?.[1] ?? '') : '';
}

/**
 * An arrival as the register shows it: HH:MM, or HH:MM:SS when it falls in the minute of the day's late
 * boundary (where the seconds decide between present and late).
 */
export function arrivalTime(firstIn: string | null, lateAfter: string | null): string {
  const minute = hhmm(firstIn);
  return minute !== '' && lateAfter !== null && minute === hhmm(lateAfter) ? hhmmss(firstIn) : minute;
}

/** '2026-11-24T09:12:21.123+01:00' → '2026-11-24 09:12'. */
export const whenShort = (iso: string) => `${iso.slice(0, 10)} ${hhmm(iso)}`;

/** 0.8333 → '83 %'; null (nothing to count yet) → '—'. */
export function percent(rate: number | null): string {
  return rate === null ? '—' : `${Math.round(rate * 100)} %`;
}

function dayHeading(day: Register['days'][number], today: string): string {
  const { date } = day;
  const month = MONTH_SHORT[Number(date.slice(5, 7))];
  const current = date === today ? ' reg-today" aria-current="date' : '';
  const late = day.lateAfter ? `<small class="reg-late-after">late after ${hhmm(day.lateAfter)}</small>` : '';
  return `<th scope="col" class="reg-day${current}"><time datetime="${date}">${WEEKDAY_SHORT[isoWeekday(date)]}<br>${month} ${Number(date.slice(8))}</time>${late}</th>`;
}

function cellHtml(cell: Cell, lateAfter: string | null): string {
  if (cell.status === 'not-member') return '<td class="st-not-member">–<span class="visually-hidden"> not a member</span></td>';
  const arrived = arrivalTime(cell.firstIn, lateAfter);
  const left = hhmm(cell.lastOut);
  const times = left ? `${arrived || '?'}–${left}` : arrived;
  // The times are small text (the legend says what they are); who marked a cell, and why, is a tooltip
  // (and listed below the grid), so a month of a large group stays a small page.
  const { marked } = cell;
  const title = marked
    ? ` title="${escapeHtml(`marked by ${marked.by}, ${whenShort(marked.at)}${marked.reason ? `: ${marked.reason}` : ''}`)}"`
    : '';
  const flags = `${cell.checkoutOnly ? '<small class="reg-flag">no arrival</small>' : ''}${marked ? '<small class="reg-flag">marked</small>' : ''}`;
  return `<td class="st-${cell.status}${marked ? ' reg-marked' : ''}"${title}>${cell.status}${times ? `<small>${times}</small>` : ''}${flags}</td>`;
}

function totalsHtml(totals: StatusTotals): string {
  const lines = STATUSES.filter((status) => totals[status] > 0).map(
    (status) => `<span class="tt-${status}">${totals[status]} ${status}</span>`,
  );
  return `<td class="reg-totals">${lines.join('')}</td>`;
}

/** The attended share of all counted days: (present + late) / (present + late + absent). */
function overallRate(days: Register['days']): number | null {
  let attended = 0;
  let counted = 0;
  for (const { totals } of days) {
    attended += totals.present + totals.late;
    counted += totals.present + totals.late + totals.absent;
  }
  return counted === 0 ? null : attended / counted;
}

/**
 * The grid; `today` (YYYY-MM-DD in APP_TIMEZONE) marks its column. `editable`: the cells of today and
 * earlier open the marking form (public/groups.js; without it, the form below the grid does the same).
 */
export function registerGrid(register: Register, today: string, editable = false, footer = true): SafeHtml {
  const data = editable ? ` data-editable data-today="${today}"` : '';
  const out: string[] = [
    `<table class="register" id="${footer ? 'register-table' : `attendance-${register.group.id}`}"${data}><caption class="visually-hidden">Attendance of ${escapeHtml(register.group.name)}, ${register.from} to ${register.to}</caption>`,
    '<thead><tr><th scope="col" class="reg-name">Member</th>',
  ];
  for (const day of register.days) out.push(dayHeading(day, today));
  out.push('<th scope="col" class="reg-rate">Rate</th></tr></thead><tbody>');
  for (const member of register.members) {
    const { person, totals } = member;
    const ref = person.externalRef ? `<small>${escapeHtml(person.externalRef)}</small>` : '';
    out.push(
      `<tr data-person-id="${person.id}"><th scope="row" class="reg-name">${escapeHtml(person.lastname)}, ${escapeHtml(person.firstname)}${ref}</th>`,
    );
    member.attendance.forEach((cell, i) => out.push(cellHtml(cell, register.days[i]?.lateAfter ?? null)));
    const counted = totals.present + totals.late + totals.absent;
    const ratio = counted > 0 ? `<small>${totals.present + totals.late} of ${counted}</small>` : '';
    out.push(`<td class="reg-rate">${percent(member.rate)}${ratio}</td></tr>`);
  }
  if (!footer) {
    out.push('</tbody></table>');
    return new SafeHtml(out.join(''));
  }
  out.push('</tbody><tfoot><tr><th scope="row" class="reg-name">Day totals</th>');
  for (const day of register.days) out.push(totalsHtml(day.totals));
  out.push(`<td class="reg-rate">${percent(overallRate(register.days))}</td></tr></tfoot></table>`);
  return new SafeHtml(out.join(''));
}
