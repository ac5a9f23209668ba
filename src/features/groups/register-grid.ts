// The register as an HTML grid: members × scheduled days, each cell the status in words (the colour only
// repeats it) with first arrival and last departure, a rate per member and totals per day. Built in one
// pass by string concatenation: 1,000 members × 31 days is 31,000 cells, and a template call per cell
// would cost more than the SQL that computed them.
import { isoWeekday } from './group-service.js';
import type { AttendanceStatus, Register, StatusTotals } from './register.js';
import { escapeHtml, SafeHtml } from '../../views/html.js';
import { MONTH_SHORT, WEEKDAY_SHORT } from './schedule-views.js';

type Cell = Register['members'][number]['attendance'][number];

export const STATUSES: readonly AttendanceStatus[] = ['present', 'late', 'absent', 'excused', 'upcoming'];

/** '2026-11-24T09:12:21.123+01:00' → '09:12' (PostgreSQL rendered it in APP_TIMEZONE already). */
export function hhmm(iso: string | null): string {
  return iso ? (/T(\d{2}:\d{2})/.exec(iso)?.[1] ?? '') : '';
}

/** 0.8333 → '83 %'; null (nothing to count yet) → '—'. */
export function percent(rate: number | null): string {
  return rate === null ? '—' : `${Math.round(rate * 100)} %`;
}

function dayHeading(date: string, today: string): string {
  const month = MONTH_SHORT[Number(date.slice(5, 7))];
  const current = date === today ? ' reg-today" aria-current="date' : '';
  return `<th scope="col" class="reg-day${current}"><time datetime="${date}">${WEEKDAY_SHORT[isoWeekday(date)]}<br>${month} ${Number(date.slice(8))}</time></th>`;
}

function cellHtml(cell: Cell): string {
  const arrived = hhmm(cell.firstIn);
  const left = hhmm(cell.lastOut);
  const times = left ? `${arrived || '?'}–${left}` : arrived;
  // The times are small text (the legend says what they are); only an excuse's reason is a tooltip, so a
  // month of a large group stays a small page.
  const title = cell.excuse ? ` title="${escapeHtml(`reason: ${cell.excuse}`)}"` : '';
  return `<td class="st-${cell.status}"${title}>${cell.status}${times ? `<small>${times}</small>` : ''}</td>`;
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

/** The grid; `today` (YYYY-MM-DD in APP_TIMEZONE) marks its column. */
export function registerGrid(register: Register, today: string): SafeHtml {
  const out: string[] = [
    `<table class="register" id="register-table"><caption class="visually-hidden">Attendance of ${escapeHtml(register.group.name)}, ${register.from} to ${register.to}</caption>`,
    '<thead><tr><th scope="col" class="reg-name">Member</th>',
  ];
  for (const day of register.days) out.push(dayHeading(day.date, today));
  out.push('<th scope="col" class="reg-rate">Rate</th></tr></thead><tbody>');
  for (const member of register.members) {
    const { person, totals } = member;
    const ref = person.externalRef ? `<small>${escapeHtml(person.externalRef)}</small>` : '';
    out.push(
      `<tr data-person-id="${person.id}"><th scope="row" class="reg-name">${escapeHtml(person.lastname)}, ${escapeHtml(person.firstname)}${ref}</th>`,
    );
    for (const cell of member.attendance) out.push(cellHtml(cell));
    const counted = totals.present + totals.late + totals.absent;
    const ratio = counted > 0 ? `<small>${totals.present + totals.late} of ${counted}</small>` : '';
    out.push(`<td class="reg-rate">${percent(member.rate)}${ratio}</td></tr>`);
  }
  out.push('</tbody><tfoot><tr><th scope="row" class="reg-name">Day totals</th>');
  for (const day of register.days) out.push(totalsHtml(day.totals));
  out.push(`<td class="reg-rate">${percent(overallRate(register.days))}</td></tr></tfoot></table>`);
  return new SafeHtml(out.join(''));
}
