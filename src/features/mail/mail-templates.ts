// The words of every message, in plain text and HTML: the organisation's name (ORGANISATION_NAME) in
// the subject, greeting and signature, days and times in the organisation's time zone (APP_TIMEZONE),
// in its language (MAIL_LANGUAGE: English or German, the WORDS below), and every value from the database
// escaped in the HTML part (the `html` template escapes by default). The words fit a school (a class, a
// parent told of a pupil's absence) as well as an event or a workplace (a group, a participant): a
// message names the group by its own name and the person by theirs, never by a role.
// Pure functions: the tests read what they make, and the service stores what they make in the outbox.
import { html, type SafeHtml } from '../../views/html.js';

export const MAIL_LANGUAGES = ['en', 'de'] as const;
export type MailLanguage = (typeof MAIL_LANGUAGES)[number];

export interface Organisation {
  name: string;
  /** APP_TIMEZONE: the zone of every time a message names. */
  timezone: string;
  /** MAIL_LANGUAGE: the language of every message (default English). */
  language?: MailLanguage;
}

export interface MailContent {
  subject: string;
  text: string;
  html: string;
}

const LOCALES: Record<MailLanguage, string> = { en: 'en-GB', de: 'de-DE' };
const languageOf = (org: Organisation): MailLanguage => org.language ?? 'en';

/** 'YYYY-MM-DD' → 'Tuesday 24 November 2026' ('Dienstag, 24. November 2026') (a calendar day: no time zone shifts it). */
export function longDay(day: string, language: MailLanguage = 'en'): string {
  return new Intl.DateTimeFormat(LOCALES[language], {
    timeZone: 'UTC',
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
  }).format(new Date(`${day}T12:00:00Z`));
}

/** 'YYYY-MM-DD' → 'Mon 30 Nov' ('Mo., 30. Nov.') (a weekly report's days). */
function shortDay(day: string, language: MailLanguage): string {
  return new Intl.DateTimeFormat(LOCALES[language], { timeZone: 'UTC', weekday: 'short', day: 'numeric', month: 'short' }).format(
    new Date(`${day}T12:00:00Z`),
  );
}

/** An instant as 'HH:MM' in the organisation's time zone. */
export function clockIn(org: Organisation, at: Date | string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: org.timezone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(
    typeof at === 'string' ? new Date(at) : at,
  );
}

/** Every word of every message, per language. Values from the database are passed in, never part of a word. */
const WORDS = {
  en: {
    footer: (org: string) => `${org} · sent by the attendance register; please do not reply to this message.`,
    hello: (name: string) => (name === '' ? 'Hello' : `Hello ${name}`),
    badgeSubject: (org: string) => `Your badge for ${org}`,
    badgeIntro: (org: string) => `this is your badge for ${org}. Show the QR code to the scanner or camera at the entrance`,
    badgeTypeIt: 'if it cannot be scanned, type this code at the kiosk:',
    badgeTypeItHtml: 'If it cannot be scanned, type this code at the kiosk:',
    badgeAlt: (who: string) => `QR code of the badge of ${who}`,
    badgeKeep: 'Keep it to yourself: it checks you in. A new badge makes this one stop working.',
    absenceSubject: (who: string, org: string) => `${who} has not arrived today (${org})`,
    absenceBy: (time: string) => ` by ${time}`,
    absenceExpected: (group: string, when: string, day: string) =>
      ` was expected at ${group}${when} on ${day} and has not arrived, nor been excused.`,
    absenceTell: (org: string, first: string) =>
      `If you know why, please tell ${org}. If ${first} has arrived since, there is nothing to do.`,
    status: { present: 'present', late: 'late', absent: 'absent', excused: 'excused', upcoming: 'not yet due' } as Record<string, string>,
    reportSubjectDay: (group: string, day: string, org: string) => `Register of ${group}, ${day} (${org})`,
    reportSubjectWeek: (group: string, day: string, org: string) => `Register of ${group}, week of ${day} (${org})`,
    reportIntroDay: (group: string, day: string, summary: string) => `The register of ${group} on ${day}: ${summary}.`,
    reportIntroWeek: (group: string, from: string, to: string, days: number, summary: string) =>
      `The register of ${group} from ${from} to ${to} (${days} scheduled ${days === 1 ? 'day' : 'days'}): ${summary}.`,
    noMembers: 'no members',
    noMembersInPeriod: 'The group had no members in this period.',
    absentLabel: 'Absent',
    lateLabel: 'Late',
    nobody: 'nobody',
    arrived: (time: string) => `arrived ${time}`,
    columns: { name: 'Name', status: 'Status', arrived: 'Arrived', present: 'Present', late: 'Late', absent: 'Absent', excused: 'Excused' },
  },
  de: {
    footer: (org: string) => `${org} · versandt vom Anwesenheitsregister; bitte antworten Sie nicht auf diese Nachricht.`,
    hello: (name: string) => (name === '' ? 'Guten Tag' : `Guten Tag ${name}`),
    badgeSubject: (org: string) => `Ihr Ausweis für ${org}`,
    badgeIntro: (org: string) => `dies ist Ihr Ausweis für ${org}. Zeigen Sie den QR-Code am Eingang dem Scanner oder der Kamera`,
    badgeTypeIt: 'lässt er sich nicht scannen, geben Sie diesen Code am Kiosk ein:',
    badgeTypeItHtml: 'Lässt er sich nicht scannen, geben Sie diesen Code am Kiosk ein:',
    badgeAlt: (who: string) => `QR-Code des Ausweises von ${who}`,
    badgeKeep: 'Geben Sie ihn nicht weiter: Er meldet Sie an. Ein neuer Ausweis macht diesen ungültig.',
    absenceSubject: (who: string, org: string) => `${who} ist heute nicht angekommen (${org})`,
    absenceBy: (time: string) => ` bis ${time} Uhr`,
    absenceExpected: (group: string, when: string, day: string) =>
      ` wurde am ${day}${when} bei ${group} erwartet und ist weder angekommen noch entschuldigt.`,
    absenceTell: (org: string, first: string) =>
      `Wenn Sie den Grund kennen, teilen Sie ihn bitte ${org} mit. Ist ${first} inzwischen angekommen, ist nichts zu tun.`,
    status: {
      present: 'anwesend',
      late: 'verspätet',
      absent: 'abwesend',
      excused: 'entschuldigt',
      upcoming: 'noch nicht fällig',
    } as Record<string, string>,
    reportSubjectDay: (group: string, day: string, org: string) => `Anwesenheit ${group}, ${day} (${org})`,
    reportSubjectWeek: (group: string, day: string, org: string) => `Anwesenheit ${group}, Woche ab ${day} (${org})`,
    reportIntroDay: (group: string, day: string, summary: string) => `Die Anwesenheit von ${group} am ${day}: ${summary}.`,
    reportIntroWeek: (group: string, from: string, to: string, days: number, summary: string) =>
      `Die Anwesenheit von ${group} von ${from} bis ${to} (${days} ${days === 1 ? 'geplanter Tag' : 'geplante Tage'}): ${summary}.`,
    noMembers: 'keine Mitglieder',
    noMembersInPeriod: 'Die Gruppe hatte in diesem Zeitraum keine Mitglieder.',
    absentLabel: 'Abwesend',
    lateLabel: 'Verspätet',
    nobody: 'niemand',
    arrived: (time: string) => `angekommen ${time} Uhr`,
    columns: {
      name: 'Name',
      status: 'Status',
      arrived: 'Angekommen',
      present: 'Anwesend',
      late: 'Verspätet',
      absent: 'Abwesend',
      excused: 'Entschuldigt',
    },
  },
} satisfies Record<MailLanguage, unknown>;

/** The HTML document around a message's body: plain, readable without images or styles. */
function document(org: Organisation, title: string, body: SafeHtml): string {
  return html`<!doctype html>
    <html lang="${languageOf(org)}">
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
          ${WORDS[languageOf(org)].footer(org.name)}
        </p>
      </body>
    </html>`.value;
}

const signature = (org: Organisation) => `\n-- \n${WORDS[languageOf(org)].footer(org.name)}\n`;

export interface BadgeMail {
  firstname: string;
  lastname: string;
  badge: string;
  /** The content id of the inline PNG of the QR code. */
  imageCid: string;
}

/** A person's own badge: the QR code (inline image) and the code to type by hand. */
export function badgeMail(org: Organisation, m: BadgeMail): MailContent {
  const w = WORDS[languageOf(org)];
  const subject = w.badgeSubject(org.name);
  const text =
    `${w.hello(m.firstname)},\n\n` +
    `${w.badgeIntro(org.name)}; ${w.badgeTypeIt}\n\n    ${m.badge}\n\n` +
    `${w.badgeKeep}\n` +
    signature(org);
  const body = html`<p>${w.hello(m.firstname)},</p>
    <p>${w.badgeIntro(org.name)}.</p>
    <p><img src="cid:${m.imageCid}" alt="${w.badgeAlt(`${m.firstname} ${m.lastname}`)}" width="240" height="240" /></p>
    <p>${w.badgeTypeItHtml} <code style="font-size: 1.1em;">${m.badge}</code></p>
    <p>${w.badgeKeep}</p>`;
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
  const language = languageOf(org);
  const w = WORDS[language];
  const who = `${m.firstname} ${m.lastname}`;
  const subject = w.absenceSubject(who, org.name);
  const expected = w.absenceExpected(m.groupName, m.expectedBy ? w.absenceBy(m.expectedBy) : '', longDay(m.day, language));
  const greeting = w.hello(m.contactName);
  const text = `${greeting},\n\n` + `${who}${expected}\n\n` + `${w.absenceTell(org.name, m.firstname)}\n` + signature(org);
  const body = html`<p>${greeting},</p>
    <p><strong>${who}</strong>${expected}</p>
    <p>${w.absenceTell(org.name, m.firstname)}</p>`;
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

const COUNTED = ['present', 'late', 'absent', 'excused'] as const;

/**
 * A group's register for its leaders: the day's (daily) or the week's (weekly), with the counts per
 * status, who was absent and who was late, and every member's line. The statuses are the register's
 * (features/groups/register.ts): this only words them.
 */
export function registerReportMail(org: Organisation, m: RegisterReportMail): MailContent {
  const language = languageOf(org);
  const w = WORDS[language];
  const daily = m.schedule === 'daily';
  const statusWord = (status: string | undefined) => (status === undefined ? '' : (w.status[status] ?? status));
  const subject = daily
    ? w.reportSubjectDay(m.groupName, longDay(m.from, language), org.name)
    : w.reportSubjectWeek(m.groupName, longDay(m.from, language), org.name);
  const totals = { present: 0, late: 0, absent: 0, excused: 0 };
  for (const member of m.members) for (const status of COUNTED) totals[status] += member[status];
  const summary = m.members.length === 0 ? w.noMembers : COUNTED.map((status) => `${totals[status]} ${w.status[status]}`).join(', ');
  const absent = m.members.filter((member) => member.absent > 0);
  const late = m.members.filter((member) => member.late > 0);
  const absentText = (member: ReportMember) =>
    daily ? member.name : `${member.name} (${member.absentDays.map((day) => shortDay(day, language)).join(', ')})`;
  const lateText = (member: ReportMember) =>
    daily
      ? `${member.name}${member.lateDays[0]?.at ? `, ${w.arrived(member.lateDays[0].at)}` : ''}`
      : `${member.name} (${member.lateDays.map((d) => `${shortDay(d.day, language)}${d.at ? ` ${d.at}` : ''}`).join(', ')})`;
  const intro = daily
    ? w.reportIntroDay(m.groupName, longDay(m.from, language), summary)
    : w.reportIntroWeek(m.groupName, longDay(m.from, language), longDay(m.to, language), m.days.length, summary);
  const greeting = `${w.hello(m.leaderName)},`;
  const absentLine = `${w.absentLabel}: ${absent.length === 0 ? w.nobody : absent.map(absentText).join('; ')}`;
  const lateLine = `${w.lateLabel}: ${late.length === 0 ? w.nobody : late.map(lateText).join('; ')}`;
  const c = w.columns;

  const width = Math.max(c.name.length, ...m.members.map((member) => [...member.name].length));
  const statusWidth = Math.max(c.status.length, ...Object.values(w.status).map((word) => [...word].length));
  const numbers = [c.present, c.late, c.absent, c.excused];
  const tableText = daily
    ? `${c.name.padEnd(width)}  ${c.status.padEnd(statusWidth)}  ${c.arrived}\n` +
      m.members
        .map((member) =>
          `${member.name.padEnd(width)}  ${statusWord(member.status).padEnd(statusWidth)}  ${member.arrivedAt ?? ''}`.trimEnd(),
        )
        .join('\n')
    : `${c.name.padEnd(width)}  ${numbers.join('  ')}\n` +
      m.members
        .map(
          (member) =>
            `${member.name.padEnd(width)}  ${COUNTED.map((status, i) => String(member[status]).padStart(numbers[i]!.length)).join('  ')}`,
        )
        .join('\n');
  const text =
    `${greeting}\n\n${intro}\n\n` +
    (m.members.length === 0 ? `${w.noMembersInPeriod}\n` : `${absentLine}\n${lateLine}\n\n${tableText}\n`) +
    signature(org);

  const cell = 'padding: 2px 12px 2px 0; text-align: left;';
  const number = 'padding: 2px 12px 2px 0; text-align: right;';
  const body = html`<p>${greeting}</p>
    <p>${intro}</p>
    ${
      m.members.length === 0
        ? html`<p>${w.noMembersInPeriod}</p>`
        : html`<p><strong>${w.absentLabel}:</strong> ${absent.length === 0 ? w.nobody : absent.map(absentText).join('; ')}</p>
            <p><strong>${w.lateLabel}:</strong> ${late.length === 0 ? w.nobody : late.map(lateText).join('; ')}</p>
            <table style="border-collapse: collapse;">
              <thead>
                ${
                  daily
                    ? html`<tr>
                        <th style="${cell}">${c.name}</th>
                        <th style="${cell}">${c.status}</th>
                        <th style="${cell}">${c.arrived}</th>
                      </tr>`
                    : html`<tr>
                        <th style="${cell}">${c.name}</th>
                        ${numbers.map((heading) => html`<th style="${number}">${heading}</th>`)}
                      </tr>`
                }
              </thead>
              <tbody>
                ${m.members.map((member) =>
                  daily
                    ? html`<tr>
                        <td style="${cell}">${member.name}</td>
                        <td style="${cell}">${statusWord(member.status)}</td>
                        <td style="${cell}">${member.arrivedAt ?? ''}</td>
                      </tr>`
                    : html`<tr>
                        <td style="${cell}">${member.name}</td>
                        ${COUNTED.map((status) => html`<td style="${number}">${member[status]}</td>`)}
                      </tr>`,
                )}
              </tbody>
            </table>`
    }`;
  return { subject, text, html: document(org, subject, body) };
}
