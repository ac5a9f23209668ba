// The words of every message, in plain text and HTML: the organisation's name (ORGANISATION_NAME) in
// the subject, greeting and signature, days and times in the organisation's time zone (APP_TIMEZONE),
// and every value from the database escaped in the HTML part (the `html` template escapes by default).
// Pure functions: the tests read what they make, and the service stores what they make in the outbox.
import { html, type SafeHtml } from '../../views/html.js';

export interface Organisation {
  name: string;
  /** APP_TIMEZONE: the zone of every time a message names. */
  timezone: string;
}

export interface MailContent {
  subject: string;
  text: string;
  html: string;
}

/** 'YYYY-MM-DD' → 'Tuesday 24 November 2026' (a calendar day: no time zone shifts it). */
export function longDay(day: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }).format(
    new Date(`${day}T12:00:00Z`),
  );
}

/** An instant as 'HH:MM' in the organisation's time zone. */
export function clockIn(org: Organisation, at: Date | string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: org.timezone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(
    typeof at === 'string' ? new Date(at) : at,
  );
}

/** The HTML document around a message's body: plain, readable without images or styles. */
function document(org: Organisation, title: string, body: SafeHtml): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width" />
        <title>${title}</title>
      </head>
      <body
        style="font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: #1a1a1a; line-height: 1.5; max-width: 40em; margin: 0 auto; padding: 1em;"
      >
        <p style="font-weight: 600; color: #2f5d50; margin: 0 0 1em;">${org.name}</p>
        ${body}
        <p style="color: #555; font-size: 0.9em; margin-top: 2em; border-top: 1px solid #ddd; padding-top: 0.5em;">
          ${org.name} · sent by the attendance register; please do not reply to this message.
        </p>
      </body>
    </html>`.value;
}

const signature = (org: Organisation) => `\n-- \n${org.name} · sent by the attendance register; please do not reply to this message.\n`;

export interface BadgeMail {
  firstname: string;
  lastname: string;
  badge: string;
  /** The content id of the inline PNG of the QR code. */
  imageCid: string;
}

/** A person's own badge: the QR code (inline image) and the code to type by hand. */
export function badgeMail(org: Organisation, m: BadgeMail): MailContent {
  const subject = `Your badge for ${org.name}`;
  const text =
    `Hello ${m.firstname},\n\n` +
    `this is your badge for ${org.name}. Show the QR code to the scanner or camera at the entrance; ` +
    `if it cannot be scanned, type this code at the kiosk:\n\n    ${m.badge}\n\n` +
    `Keep it to yourself: it checks you in. A new badge makes this one stop working.\n` +
    signature(org);
  const body = html`<p>Hello ${m.firstname},</p>
    <p>this is your badge for ${org.name}. Show the QR code to the scanner or camera at the entrance.</p>
    <p><img src="cid:${m.imageCid}" alt="QR code of the badge of ${m.firstname} ${m.lastname}" width="240" height="240" /></p>
    <p>If it cannot be scanned, type this code at the kiosk: <code style="font-size: 1.1em;">${m.badge}</code></p>
    <p>Keep it to yourself: it checks you in. A new badge makes this one stop working.</p>`;
  return { subject, text, html: document(org, subject, body) };
}

export interface AbsenceAlertMail {
  contactName: string;
  firstname: string;
  lastname: string;
  groupName: string;
  day: string;
  /** When they were expected at the latest ('HH:MM', start + grace), when the group has a start time. */
  expectedBy: string | null;
}

/** A contact is told that a member did not arrive today (once a day). */
export function absenceAlertMail(org: Organisation, m: AbsenceAlertMail): MailContent {
  const who = `${m.firstname} ${m.lastname}`;
  const subject = `${who} has not arrived today (${org.name})`;
  const when = m.expectedBy ? ` by ${m.expectedBy}` : '';
  const greeting = m.contactName === '' ? 'Hello' : `Hello ${m.contactName}`;
  const text =
    `${greeting},\n\n` +
    `${who} was expected at ${m.groupName}${when} on ${longDay(m.day)} and has not arrived, nor been excused.\n\n` +
    `If you know why, please tell ${org.name}. If ${m.firstname} has arrived since, there is nothing to do.\n` +
    signature(org);
  const body = html`<p>${greeting},</p>
    <p><strong>${who}</strong> was expected at ${m.groupName}${when} on ${longDay(m.day)} and has not arrived, nor been excused.</p>
    <p>If you know why, please tell ${org.name}. If ${m.firstname} has arrived since, there is nothing to do.</p>`;
  return { subject, text, html: document(org, subject, body) };
}

/** What a member's cells came to over the report's days. */
export interface ReportMember {
  name: string;
  present: number;
  late: number;
  absent: number;
  excused: number;
  /** The days absent and the days late (with the first arrival, 'HH:MM'), in day order. */
  absentDays: readonly string[];
  lateDays: readonly { day: string; at: string | null }[];
  /** One day (daily): the member's status and first arrival ('HH:MM'). */
  status?: string;
  arrivedAt?: string | null;
}

export interface RegisterReportMail {
  leaderName: string;
  groupName: string;
  schedule: 'daily' | 'weekly';
  /** The period (a daily report's from = to). */
  from: string;
  to: string;
  /** The scheduled days of the period, in order. */
  days: readonly string[];
  members: readonly ReportMember[];
}

const STATUS_WORDS: Record<string, string> = {
  present: 'present',
  late: 'late',
  absent: 'absent',
  excused: 'excused',
  upcoming: 'not yet due',
};

const COUNTED = ['present', 'late', 'absent', 'excused'] as const;

/** 'Monday 30 November 2026' → 'Mon 30 Nov' (a weekly report's days). */
function shortDay(day: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', weekday: 'short', day: 'numeric', month: 'short' }).format(
    new Date(`${day}T12:00:00Z`),
  );
}

/**
 * A group's register for its leaders: the day's (daily) or the week's (weekly), with the counts per
 * status, who was absent and who was late, and every member's line. The statuses are the register's
 * (features/groups/register.ts): this only words them.
 */
export function registerReportMail(org: Organisation, m: RegisterReportMail): MailContent {
  const daily = m.schedule === 'daily';
  const period = daily ? longDay(m.from) : `${longDay(m.from)} to ${longDay(m.to)}`;
  const subject = daily
    ? `Register of ${m.groupName}, ${longDay(m.from)} (${org.name})`
    : `Register of ${m.groupName}, week of ${longDay(m.from)} (${org.name})`;
  const totals = { present: 0, late: 0, absent: 0, excused: 0 };
  for (const member of m.members) for (const status of COUNTED) totals[status] += member[status];
  const summary = m.members.length === 0 ? 'no members' : COUNTED.map((status) => `${totals[status]} ${STATUS_WORDS[status]}`).join(', ');
  const dayWord = (n: number) => (n === 1 ? 'day' : 'days');
  const absent = m.members.filter((member) => member.absent > 0);
  const late = m.members.filter((member) => member.late > 0);
  const absentText = (member: ReportMember) => (daily ? member.name : `${member.name} (${member.absentDays.map(shortDay).join(', ')})`);
  const lateText = (member: ReportMember) =>
    daily
      ? `${member.name}${member.lateDays[0]?.at ? `, arrived ${member.lateDays[0].at}` : ''}`
      : `${member.name} (${member.lateDays.map((d) => `${shortDay(d.day)}${d.at ? ` ${d.at}` : ''}`).join(', ')})`;
  const intro = daily
    ? `the register of ${m.groupName} on ${period}: ${summary}.`
    : `the register of ${m.groupName} from ${period} (${m.days.length} scheduled ${dayWord(m.days.length)}): ${summary}.`;
  const greeting = `Hello ${m.leaderName},`;

  const width = Math.max(4, ...m.members.map((member) => [...member.name].length));
  const tableText = daily
    ? `${'Name'.padEnd(width)}  ${'Status'.padEnd(11)}  Arrived\n` +
      m.members
        .map((member) =>
          `${member.name.padEnd(width)}  ${(STATUS_WORDS[member.status ?? ''] ?? member.status ?? '').padEnd(11)}  ${member.arrivedAt ?? ''}`.trimEnd(),
        )
        .join('\n')
    : `${'Name'.padEnd(width)}  Present  Late  Absent  Excused\n` +
      m.members
        .map(
          (member) =>
            `${member.name.padEnd(width)}  ${String(member.present).padStart(7)}  ${String(member.late).padStart(4)}  ${String(member.absent).padStart(6)}  ${String(member.excused).padStart(7)}`,
        )
        .join('\n');
  const text =
    `${greeting}\n\n${intro[0]!.toUpperCase()}${intro.slice(1)}\n\n` +
    (m.members.length === 0
      ? 'The group had no members in this period.\n'
      : `Absent: ${absent.length === 0 ? 'nobody' : absent.map(absentText).join('; ')}\n` +
        `Late: ${late.length === 0 ? 'nobody' : late.map(lateText).join('; ')}\n\n` +
        `${tableText}\n`) +
    signature(org);

  const cell = 'padding: 2px 12px 2px 0; text-align: left;';
  const number = 'padding: 2px 12px 2px 0; text-align: right;';
  const body = html`<p>${greeting}</p>
    <p>${intro[0]!.toUpperCase()}${intro.slice(1)}</p>
    ${
      m.members.length === 0
        ? html`<p>The group had no members in this period.</p>`
        : html`<p><strong>Absent:</strong> ${absent.length === 0 ? 'nobody' : absent.map(absentText).join('; ')}</p>
            <p><strong>Late:</strong> ${late.length === 0 ? 'nobody' : late.map(lateText).join('; ')}</p>
            <table style="border-collapse: collapse;">
              <thead>
                ${
                  daily
                    ? html`<tr>
                        <th style="${cell}">Name</th>
                        <th style="${cell}">Status</th>
                        <th style="${cell}">Arrived</th>
                      </tr>`
                    : html`<tr>
                        <th style="${cell}">Name</th>
                        <th style="${number}">Present</th>
                        <th style="${number}">Late</th>
                        <th style="${number}">Absent</th>
                        <th style="${number}">Excused</th>
                      </tr>`
                }
              </thead>
              <tbody>
                ${m.members.map((member) =>
                  daily
                    ? html`<tr>
                        <td style="${cell}">${member.name}</td>
                        <td style="${cell}">${STATUS_WORDS[member.status ?? ''] ?? member.status ?? ''}</td>
                        <td style="${cell}">${member.arrivedAt ?? ''}</td>
                      </tr>`
                    : html`<tr>
                        <td style="${cell}">${member.name}</td>
                        <td style="${number}">${member.present}</td>
                        <td style="${number}">${member.late}</td>
                        <td style="${number}">${member.absent}</td>
                        <td style="${number}">${member.excused}</td>
                      </tr>`,
                )}
              </tbody>
            </table>`
    }`;
  return { subject, text, html: document(org, subject, body) };
}
