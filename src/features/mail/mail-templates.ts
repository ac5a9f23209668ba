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

export interface ReportRow {
  name: string;
  /** present, late, absent, excused, upcoming */
  status: string;
  /** The first arrival's time ('HH:MM'), if any. */
  arrivedAt: string | null;
}

export interface RegisterReportMail {
  groupName: string;
  day: string;
  rows: readonly ReportRow[];
}

const STATUS_WORDS: Record<string, string> = {
  present: 'present',
  late: 'late',
  absent: 'absent',
  excused: 'excused',
  upcoming: 'not yet due',
};

/** The day's register of a group, for its leaders. */
export function registerReportMail(org: Organisation, m: RegisterReportMail): MailContent {
  const subject = `Register of ${m.groupName}, ${longDay(m.day)} (${org.name})`;
  const counts = new Map<string, number>();
  for (const row of m.rows) counts.set(row.status, (counts.get(row.status) ?? 0) + 1);
  const summary = [...counts].map(([status, n]) => `${n} ${STATUS_WORDS[status] ?? status}`).join(', ') || 'no members';
  const width = Math.max(4, ...m.rows.map((row) => [...row.name].length));
  const lines = m.rows.map((row) =>
    `${row.name.padEnd(width)}  ${(STATUS_WORDS[row.status] ?? row.status).padEnd(11)}  ${row.arrivedAt ?? ''}`.trimEnd(),
  );
  const text =
    `Register of ${m.groupName} on ${longDay(m.day)}: ${summary}.\n\n` +
    (m.rows.length === 0
      ? 'The group has no members on this day.\n'
      : `${'Name'.padEnd(width)}  ${'Status'.padEnd(11)}  Arrived\n${lines.join('\n')}\n`) +
    signature(org);
  const body = html`<p>Register of <strong>${m.groupName}</strong> on ${longDay(m.day)}: ${summary}.</p>
    ${
      m.rows.length === 0
        ? html`<p>The group has no members on this day.</p>`
        : html`<table style="border-collapse: collapse;">
            <thead>
              <tr>
                <th style="text-align: left; padding: 2px 12px 2px 0;">Name</th>
                <th style="text-align: left; padding: 2px 12px 2px 0;">Status</th>
                <th style="text-align: left;">Arrived</th>
              </tr>
            </thead>
            <tbody>
              ${m.rows.map(
                (row) =>
                  html`<tr>
                    <td style="padding: 2px 12px 2px 0;">${row.name}</td>
                    <td style="padding: 2px 12px 2px 0;">${STATUS_WORDS[row.status] ?? row.status}</td>
                    <td>${row.arrivedAt ?? ''}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
    }`;
  return { subject, text, html: document(org, subject, body) };
}
