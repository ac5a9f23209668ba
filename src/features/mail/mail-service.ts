// E-mail: the one door through which messages are queued and the message log is read.
//
//  - Nothing is queued unless e-mail is configured (SMTP_URL and MAIL_FROM): asking to send answers 503
//    "e-mail is not configured", and the absence alerts do not run.
//  - A message is written to the outbox (kind 'mail') in the change that asked for it, with its log row
//    and the change's audit record; the outbox worker sends it (mail-transport.ts), retried like webhooks.
//  - Badges: owners and managers ('mail:send', and 'people:write', which shows the badge code) send each
//    chosen person who has an e-mail address their badge, the QR code inline.
//  - Contacts: a person's e-mail contacts (whom absence alerts go to), read like the person, set by those
//    who change people.
//  - Absence alerts: for a group with alerts on, each member whose status today is `absent` in the
//    register (past start + grace, not excused, not marked present or late) has their contacts told once
//    that day; the (group, person, day) row claimed with INSERT … ON CONFLICT DO NOTHING in the same
//    transaction makes "once" hold across runs and replicas.
//  - Register reports: a group's report (off, daily, weekly; set like its alerts) goes to its leaders, the
//    staff accounts with role leader that lead the group and have an e-mail address (owners and managers
//    are not sent it). Daily: once the attendance day has ended, the previous day's register; weekly: on
//    Mondays, the register of the seven days before (Monday to Sunday). Only periods with a scheduled
//    day are reported. The statuses are the register's (GroupService.register, the one statement); the
//    (group, schedule, first day) row claimed in register_reports_sent makes "once per period" hold as
//    the alerts' claim does.
//  - Housekeeping: the claims only make "once" hold for the day or period being sent now, so older ones
//    are forgotten by the outbox worker's hourly housekeeping (pruneClaims), whether e-mail is configured
//    or not: alert claims of days more than 30 days ago, report claims of periods that ended more than 90
//    days ago.
import { type Actor, actorLabel, authorize, systemActor } from '../../domain/actor.js';
import { addDays, attendanceDays } from '../../domain/attendance-day.js';
import { DomainError } from '../../domain/domain-error.js';
import { decodePosition, encodeBeforeCursor, fingerprint } from '../../domain/keyset-cursor.js';
import type { ServiceDeps } from '../../services.js';
import type { Housekeeping } from '../outbox/outbox-worker.js';
import { type GroupService, isoWeekday } from '../groups/group-service.js';
import { checkEmail, type PersonService } from '../people/person-service.js';
import { qrPng } from '../people/qr-code.js';
import {
  absenceAlertsOn,
  claimAbsenceAlert,
  claimRegisterReport,
  type Contact,
  enqueueMail,
  groupsWithAlerts,
  groupsWithReports,
  leadersOf,
  listContacts,
  listMessages,
  type MailMessage,
  type NewMail,
  pruneAbsenceAlertClaims,
  pruneRegisterReportClaims,
  replaceContacts,
  reportSchedule,
  type ReportSchedule,
  setAbsenceAlerts,
  setReportSchedule,
} from './mail-repository.js';
import { absenceAlertMail, badgeMail, type Organisation, type ReportMember, registerReportMail } from './mail-templates.js';

export type { Contact, MailMessage, ReportSchedule } from './mail-repository.js';

export const REPORT_SCHEDULES: readonly ReportSchedule[] = ['off', 'daily', 'weekly'];

export const MESSAGES_LIMIT_MAX = 200;
export const CONTACTS_MAX = 10;
const CONTACT_NAME_MAX = 100;

/**
 * How long the claims are kept, in days before today. The scheduler only ever claims today (an alert)
 * or the period that ended yesterday (a report), so anything older than a day guards nothing; the margins
 * are wide so that no clock, time zone or DAY_STARTS_AT difference between replicas, nor a report run for
 * a `today` a few days back, can ever meet a forgotten row. Alerts: 30 days, as long as the mail log of
 * the messages they queued (the outbox forgets done messages after 30 days). Reports: 90 days after the
 * period ended, a quarter of what went to whom, for the operator who is asked about one.
 */
export const ALERT_CLAIMS_KEEP_DAYS = 30;
export const REPORT_CLAIMS_KEEP_DAYS = 90;
/** Rows per DELETE, and DELETEs per table in one housekeeping round (an hour): at most 20,000 rows each. */
const PRUNE_BATCH = 1_000;
const PRUNE_BATCHES_MAX = 20;

/** 503 when SMTP_URL is not set: nothing is queued. */
export function mailNotConfigured(): DomainError {
  return new DomainError(
    503,
    'E-mail is not configured',
    'e-mail is not configured: nothing was sent (the operator sets SMTP_URL and MAIL_FROM to turn it on)',
  );
}

export interface MailStatus {
  configured: boolean;
  /** MAIL_FROM, when configured. */
  from: string | null;
  organisationName: string;
}

export interface BadgeSending {
  /** Messages queued. */
  queued: number;
  /** The chosen people without an e-mail address (nothing sent to them). */
  withoutEmail: { id: number; firstname: string; lastname: string }[];
}

export interface GroupReports {
  schedule: ReportSchedule;
  /** The group's leaders with an e-mail address: whom the report goes to. */
  recipients: number;
}

export interface AlertLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export class MailService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly people: PersonService,
    private readonly groups: GroupService,
  ) {}

  get configured(): boolean {
    return this.deps.config.mail !== undefined;
  }

  private get organisation(): Organisation {
    return { name: this.deps.config.organisationName, timezone: this.deps.config.timezone, language: this.deps.config.mailLanguage };
  }

  status(actor: Actor): MailStatus {
    authorize(actor, 'mail:send');
    return { configured: this.configured, from: this.deps.config.mail?.from ?? null, organisationName: this.deps.config.organisationName };
  }

  /** The message log, newest first: to whom, what, when, and how it went (never the body). */
  async messages(
    actor: Actor,
    query: { limit?: number; cursor?: string } = {},
  ): Promise<{ items: MailMessage[]; nextCursor: string | null }> {
    authorize(actor, 'mail:send');
    const limit = query.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > MESSAGES_LIMIT_MAX) {
      throw DomainError.invalid('limit', `must be a whole number from 1 to ${MESSAGES_LIMIT_MAX}`);
    }
    const print = fingerprint({ mail: 'messages' });
    const position = decodePosition(query.cursor, print, 'message log');
    if (position !== undefined && !('before' in position)) throw DomainError.invalid('cursor', 'is not a cursor issued by this API');
    const rows = await listMessages(this.deps.db, position?.before ?? 0, limit + 1);
    const items = rows.slice(0, limit);
    return { items, nextCursor: rows.length > limit ? encodeBeforeCursor(items[items.length - 1]!.id, print) : null };
  }

  /**
   * Sends each of `personIds` who has an e-mail address their badge (QR code inline, the code in the
   * text): one message each, one change, one audit record per person (without the code or the body).
   */
  async sendBadges(actor: Actor, personIds: readonly number[]): Promise<BadgeSending> {
    authorize(actor, 'mail:send');
    authorize(actor, 'people:write');
    if (!this.configured) throw mailNotConfigured();
    const ids = [...new Set(personIds)];
    if (ids.length === 0) throw DomainError.invalid('people', 'choose at least one person');
    const org = this.organisation;
    const mails: NewMail[] = [];
    const withoutEmail: BadgeSending['withoutEmail'] = [];
    for (const id of ids) {
      const person = await this.people.get(actor, id);
      if (person.email === null || person.badge === null) {
        withoutEmail.push({ id: person.id, firstname: person.firstname, lastname: person.lastname });
        continue;
      }
      const imageCid = `badge-${person.id}@barona`;
      const content = badgeMail(org, { firstname: person.firstname, lastname: person.lastname, badge: person.badge, imageCid });
      const png = await qrPng(person.badge);
      mails.push({
        purpose: 'badge',
        recipient: person.email,
        personId: person.id,
        groupId: null,
        requestedBy: actorLabel(actor),
        body: {
          to: person.email,
          ...content,
          attachments: [{ cid: imageCid, filename: 'badge.png', contentType: 'image/png', base64: png.toString('base64') }],
        },
      });
    }
    if (mails.length > 0) {
      await this.deps.changes.run(actor, async (change) => {
        const records = [];
        for (const mail of mails) {
          const messageId = await enqueueMail(change.tx, mail);
          records.push({ action: 'send-badge', entity: 'person', entityId: mail.personId!, after: { messageId, to: mail.recipient } });
        }
        await change.auditAll(records);
      });
    }
    return { queued: mails.length, withoutEmail };
  }

  // ---- Contacts ----------------------------------------------------------------------------------

  async contacts(actor: Actor, personId: number): Promise<Contact[]> {
    await this.people.get(actor, personId); // the person's own visibility (and 404)
    return listContacts(this.deps.db, personId);
  }

  /** Replaces a person's contacts (at most CONTACTS_MAX, each address once); audited. */
  async setContacts(actor: Actor, personId: number, input: readonly { email: string; name?: string }[]): Promise<Contact[]> {
    authorize(actor, 'people:write');
    if (input.length > CONTACTS_MAX) throw DomainError.invalid('contacts', `at most ${CONTACTS_MAX} contacts`);
    const contacts: Contact[] = [];
    input.forEach((raw, index) => {
      const checked = checkEmail(raw.email);
      if ('error' in checked) throw DomainError.invalid(`contacts[${index}].email`, checked.error);
      if (checked.value === null) throw DomainError.invalid(`contacts[${index}].email`, 'is required');
      const name = (raw.name ?? '').trim();
      if ([...name].length > CONTACT_NAME_MAX || [...name].some((c) => c.charCodeAt(0) < 0x20)) {
        throw DomainError.invalid(`contacts[${index}].name`, `must be at most ${CONTACT_NAME_MAX} characters on one line`);
      }
      if (contacts.some((c) => c.email.toLowerCase() === checked.value!.toLowerCase())) {
        throw DomainError.invalid(`contacts[${index}].email`, 'is given twice');
      }
      contacts.push({ email: checked.value, name });
    });
    await this.people.get(actor, personId);
    return this.deps.changes.run(actor, async (change) => {
      const before = await listContacts(change.tx, personId);
      await replaceContacts(change.tx, personId, contacts);
      await change.audit({ action: 'set-contacts', entity: 'person', entityId: personId, before, after: contacts });
      return contacts;
    });
  }

  // ---- Absence alerts ----------------------------------------------------------------------------

  async alerts(actor: Actor, groupId: number): Promise<{ absenceAlerts: boolean }> {
    await this.groups.get(actor, groupId);
    return { absenceAlerts: await absenceAlertsOn(this.deps.db, groupId) };
  }

  /** Turns a group's absence alerts on or off (owner, manager); audited. */
  async setAlerts(actor: Actor, groupId: number, on: boolean): Promise<{ absenceAlerts: boolean }> {
    authorize(actor, 'mail:send');
    await this.groups.get(actor, groupId);
    return this.deps.changes.run(actor, async (change) => {
      const before = await absenceAlertsOn(change.tx, groupId);
      await setAbsenceAlerts(change.tx, groupId, on);
      if (before !== on) {
        await change.audit({
          action: 'set-alerts',
          entity: 'group',
          entityId: groupId,
          before: { absenceAlerts: before },
          after: { absenceAlerts: on },
        });
      }
      return { absenceAlerts: on };
    });
  }

  /**
   * One round of absence alerts, for today: answers how many messages were queued. Safe to run as often
   * as wanted, on every replica at once: each (group, person, day) is claimed once.
   */
  async runAbsenceAlerts(): Promise<{ queued: number }> {
    if (!this.configured) return { queued: 0 };
    const actor = systemActor('absence alerts');
    const org = this.organisation;
    const day = attendanceDays(this.deps.config).today();
    let queued = 0;
    for (const groupId of await groupsWithAlerts(this.deps.db)) {
      let register;
      try {
        register = await this.groups.register(actor, groupId, { from: day, to: day });
      } catch (error) {
        if (error instanceof DomainError && error.status === 404) continue; // removed meanwhile
        throw error;
      }
      const expectedBy = register.days[0]?.lateAfter ?? null;
      for (const member of register.members) {
        if (member.attendance[0]?.status !== 'absent') continue;
        const contacts = await listContacts(this.deps.db, member.person.id);
        if (contacts.length === 0) continue;
        queued += await this.deps.changes.run(actor, async (change) => {
          if (!(await claimAbsenceAlert(change.tx, groupId, member.person.id, day))) return 0;
          for (const contact of contacts) {
            const content = absenceAlertMail(org, {
              contactName: contact.name,
              firstname: member.person.firstname,
              lastname: member.person.lastname,
              groupName: register.group.name,
              day,
              expectedBy: expectedBy === null ? null : clockOf(expectedBy),
            });
            await enqueueMail(change.tx, {
              purpose: 'absence-alert',
              recipient: contact.email,
              personId: member.person.id,
              groupId,
              requestedBy: actorLabel(actor),
              body: { to: contact.email, ...content },
            });
          }
          await change.audit({
            action: 'absence-alert',
            entity: 'person',
            entityId: member.person.id,
            after: { group: groupId, day, contacts: contacts.length },
          });
          return contacts.length;
        });
      }
    }
    return { queued };
  }

  /** Absence alerts every minute in the server process; returns a function that stops them. */
  scheduleAbsenceAlerts(log: AlertLog, everyMs = 60_000): () => void {
    return every(everyMs, () => this.runAbsenceAlerts(), log, 'absence alerts');
  }

  // ---- Register reports --------------------------------------------------------------------------

  /** A group's report schedule, and how many of its leaders have an address to send it to. */
  async reports(actor: Actor, groupId: number): Promise<GroupReports> {
    await this.groups.get(actor, groupId);
    return { schedule: await reportSchedule(this.deps.db, groupId), recipients: (await leadersOf(this.deps.db, groupId)).length };
  }

  /** Sets a group's register report: off, daily or weekly (owner, manager); audited. */
  async setReports(actor: Actor, groupId: number, schedule: string): Promise<GroupReports> {
    authorize(actor, 'mail:send');
    if (!(REPORT_SCHEDULES as readonly string[]).includes(schedule)) {
      throw DomainError.invalid('schedule', `must be one of ${REPORT_SCHEDULES.join(', ')}`);
    }
    const to = schedule as ReportSchedule;
    await this.groups.get(actor, groupId);
    return this.deps.changes.run(actor, async (change) => {
      const before = await reportSchedule(change.tx, groupId);
      await setReportSchedule(change.tx, groupId, to);
      if (before !== to) {
        await change.audit({
          action: 'set-reports',
          entity: 'group',
          entityId: groupId,
          before: { schedule: before },
          after: { schedule: to },
        });
      }
      return { schedule: to, recipients: (await leadersOf(change.tx, groupId)).length };
    });
  }

  /**
   * One round of register reports: yesterday's for the daily groups, and on a Monday the last seven
   * days' for the weekly ones (`today`: the attendance day it is now; tests name another); answers how
   * many messages were queued. Safe to run as often as wanted, on every replica at once: each (group,
   * schedule, period) is claimed once.
   */
  async runRegisterReports(today = attendanceDays(this.deps.config).today()): Promise<{ queued: number }> {
    if (!this.configured) return { queued: 0 };
    const yesterday = addDays(today, -1);
    let queued = 0;
    for (const groupId of await groupsWithReports(this.deps.db, 'daily')) {
      queued += await this.reportOf(groupId, 'daily', { from: yesterday, to: yesterday });
    }
    if (isoWeekday(today) === 1) {
      for (const groupId of await groupsWithReports(this.deps.db, 'weekly')) {
        queued += await this.reportOf(groupId, 'weekly', { from: addDays(today, -7), to: yesterday });
      }
    }
    return { queued };
  }

  /** Register reports every minute in the server process; returns a function that stops them. */
  scheduleRegisterReports(log: AlertLog, everyMs = 60_000): () => void {
    return every(everyMs, () => this.runRegisterReports(), log, 'register reports');
  }

  /** Queues one group's report of one period to each of its leaders, unless it was queued before. */
  private async reportOf(groupId: number, schedule: 'daily' | 'weekly', period: { from: string; to: string }): Promise<number> {
    const actor = systemActor('register reports');
    const leaders = await leadersOf(this.deps.db, groupId);
    if (leaders.length === 0) return 0;
    let register;
    try {
      register = await this.groups.register(actor, groupId, period);
    } catch (error) {
      if (error instanceof DomainError && error.status === 404) return 0; // removed meanwhile
      throw error;
    }
    if (register.days.length === 0) return 0; // nothing scheduled: nothing to report
    const members: ReportMember[] = [];
    for (const member of register.members) {
      const cells = member.attendance.filter((cell) => cell.status !== 'not-member');
      if (cells.length === 0) continue;
      const of = (status: string) => cells.filter((cell) => cell.status === status);
      const first = cells[0]!;
      members.push({
        name: `${member.person.firstname} ${member.person.lastname}`,
        present: of('present').length,
        late: of('late').length,
        absent: of('absent').length,
        excused: of('excused').length,
        absentDays: of('absent').map((cell) => cell.date),
        lateDays: of('late').map((cell) => ({ day: cell.date, at: cell.firstIn === null ? null : clockOf(cell.firstIn) })),
        status: first.status,
        arrivedAt: first.firstIn === null ? null : clockOf(first.firstIn),
      });
    }
    const org = this.organisation;
    return this.deps.changes.run(actor, async (change) => {
      if (!(await claimRegisterReport(change.tx, groupId, schedule, period, leaders.length))) return 0;
      for (const leader of leaders) {
        const content = registerReportMail(org, {
          leaderName: leader.username,
          groupName: register.group.name,
          schedule,
          from: period.from,
          to: period.to,
          days: register.days.map((day) => day.date),
          members,
        });
        await enqueueMail(change.tx, {
          purpose: 'register-report',
          recipient: leader.email,
          personId: null,
          groupId,
          requestedBy: actorLabel(actor),
          body: { to: leader.email, ...content },
        });
      }
      await change.audit({
        action: 'register-report',
        entity: 'group',
        entityId: groupId,
        after: { schedule, from: period.from, to: period.to, leaders: leaders.length },
      });
      return leaders.length;
    });
  }

  // ---- Housekeeping ------------------------------------------------------------------------------

  /**
   * Forgets the claims that guard nothing any more: absence alerts of days before today −
   * ALERT_CLAIMS_KEEP_DAYS, register reports of periods that ended before today − REPORT_CLAIMS_KEEP_DAYS
   * (`today`: the attendance day it is now; tests name another). Today's claims, and the period's that
   * ended yesterday, are never among them, so "once" holds while it is pruned. Bounded: at most `batches`
   * DELETEs of `batch` rows per table, each its own short statement; the rest goes the next hour.
   * Bookkeeping of the schedulers, not a change of anyone's data: not audited (as the outbox's own prune).
   */
  async pruneClaims(
    options: { today?: string; batch?: number; batches?: number } = {},
  ): Promise<{ absenceAlertClaims: number; registerReportClaims: number }> {
    const today = options.today ?? attendanceDays(this.deps.config).today();
    const batch = options.batch ?? PRUNE_BATCH;
    const batches = options.batches ?? PRUNE_BATCHES_MAX;
    const db = this.deps.db;
    const alertsBefore = addDays(today, -ALERT_CLAIMS_KEEP_DAYS);
    const reportsBefore = addDays(today, -REPORT_CLAIMS_KEEP_DAYS);
    return {
      absenceAlertClaims: await inBatches(batch, batches, (limit) => pruneAbsenceAlertClaims(db, alertsBefore, limit)),
      registerReportClaims: await inBatches(batch, batches, (limit) => pruneRegisterReportClaims(db, reportsBefore, limit)),
    };
  }

  /** pruneClaims as a task of the outbox worker's hourly housekeeping (server.ts). */
  housekeeping(): Housekeeping {
    return { what: 'absence alert and register report claims long past', run: () => this.pruneClaims() };
  }
}

/** Runs `statement` (one bounded DELETE answering its count) until it deletes less than `batch`, at most `batches` times. */
async function inBatches(batch: number, batches: number, statement: (limit: number) => Promise<number>): Promise<number> {
  let total = 0;
  for (let i = 0; i < batches; i++) {
    const deleted = await statement(batch);
    total += deleted;
    if (deleted < batch) break;
  }
  return total;
}

/** Runs `run` every `everyMs` (first after at most 5 s), one round at a time; a failure is logged once and retried. */
function every(everyMs: number, run: () => Promise<{ queued: number }>, log: AlertLog, what: string): () => void {
  let stopped = false;
  let running: Promise<void> | undefined;
  let lastProblem = '';
  const check = () => {
    if (stopped || running) return;
    running = run()
      .then(({ queued }) => {
        lastProblem = '';
        if (queued > 0) log.info({ queued }, `${what} queued`);
      })
      .catch((error: Error) => {
        if (error.message !== lastProblem) log.warn({ reason: error.message }, `${what}: could not look; retrying`);
        lastProblem = error.message;
      })
      .finally(() => (running = undefined));
  };
  const timer = setInterval(check, everyMs);
  timer.unref();
  const first = setTimeout(check, Math.min(everyMs, 5_000));
  first.unref();
  return () => {
    stopped = true;
    clearTimeout(first);
    clearInterval(timer);
  };
}

/** '2026-11-24T08:15:00+01:00' → '08:15' (the register's times are in the organisation's zone already). */
function clockOf(iso: string): string {
  return /T(\d{2}:\d{2})/.exec(iso)?.[1] ?? iso;
}
