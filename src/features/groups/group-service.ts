// The rules for groups (rosters): a name, a schedule whose days are unambiguous (a weekly range needs
// both ends; an explicit date appears once and is not already a weekly day), members, the CSV import of
// members, excuses that only a scheduled day can have, and the attendance register. GroupService is the
// only door to them: each method takes the actor first and checks its role, and each change runs in one
// change (domain/changes.ts) with its audit record.
//
// Who may do what: 'groups:read' reads groups, members and registers (a leader only their own groups:
// another group answers 404, as if it did not exist); 'groups:write' creates, changes and removes groups
// and their members, imports included; 'register:mark' excuses and marks cells by hand (a leader only in
// their own groups). A person's attendance across their groups is read as the register is (register.ts
// computes every status, here and there).
import { type Actor, actorLabel, authorize, can, scopeOf, type Permission } from '../../domain/actor.js';
import { attendanceDays, type AttendanceDays } from '../../domain/attendance-day.js';
import { parseIsoDate } from '../../domain/calendar.js';
import type { Change } from '../../domain/changes.js';
import type { Queryable } from '../../db/database.js';
import { DomainError } from '../../domain/domain-error.js';
import { decodeCursor, fingerprint, pageOf } from '../../domain/keyset-cursor.js';
import type { ServiceDeps } from '../../services.js';
import { personFold } from '../checkins/person-name.js';
import { emitRegisterMarked } from '../webhooks/webhook-events.js';
import { findPerson } from '../people/person-repository.js';
import { checkText, seenBy, uniqueExternalRef } from '../people/person-service.js';
import {
  addMember as addMemberRow,
  deleteExcuse,
  deleteMark,
  findMembership,
  membershipsOf,
  updateMembership,
  upsertMark,
  type Mark,
  type MembershipDays,
  deleteGroup,
  findGroup,
  insertGroup,
  listGroups,
  listMembers,
  removeMember as removeMemberRow,
  updateGroup,
  upsertExcuse,
  type Excuse,
  type Group,
  type GroupFilter,
  type Member,
  type Schedule,
} from './group-repository.js';
import { applyImport, parseMembersCsv, planImport, type ImportOutcome } from './member-import.js';
import {
  dayArrivals,
  MARK_STATUSES,
  registerJson,
  type DayArrivals,
  type MarkStatus,
  type Register,
  type RegisterCell,
  type StatusTotals,
} from './register.js';

/** What the routes and other features are given. */
export type { DayArrivals, Excuse, Group, Mark, MarkStatus, Member, MembershipDays, Register, RegisterCell, Schedule };

/** A cell as marked by hand: an excuse is the status `excused`. */
export interface MarkedCell {
  groupId: number;
  personId: number;
  date: string;
  status: MarkStatus;
  reason: string | null;
  markedBy: string;
  markedAt: string;
}

/** One person's attendance in each of their groups, over a range. */
export interface PersonAttendance {
  person: { id: number; firstname: string; lastname: string; externalRef: string | null };
  from: string;
  to: string;
  timezone: string;
  groups: {
    group: { id: number; name: string };
    membership: { since: string | null; until: string | null };
    days: { date: string; startsAt: string | null; lateAfter: string | null }[];
    attendance: RegisterCell[];
    totals: StatusTotals;
    rate: number | null;
  }[];
}

/** How many days a person's attendance shows when no range is asked for (up to today). */
export const PERSON_ATTENDANCE_DAYS = 30;

/** YYYY-MM-DD plus `days` (negative: earlier). */
const plusDays = (date: string, days: number) => new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

export interface ScheduleInput {
  from?: string | null;
  to?: string | null;
  weekdays?: number[];
  dates?: string[];
  startTime?: string | null;
  graceMinutes?: number;
}

function day(field: string, value: string): string {
  const parsed = parseIsoDate(value);
  if (parsed === undefined) throw DomainError.invalid(field, `"${value}" is not a calendar date (YYYY-MM-DD)`);
  return parsed;
}

/** ISO weekday (1 = Monday … 7 = Sunday) of a YYYY-MM-DD. */
export function isoWeekday(date: string): number {
  return ((new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7) + 1;
}

/** Whether `date` is one of the schedule's days. */
export function isScheduled(schedule: Schedule, date: string): boolean {
  if (schedule.dates.includes(date)) return true;
  return (
    schedule.from !== null &&
    schedule.to !== null &&
    date >= schedule.from &&
    date <= schedule.to &&
    schedule.weekdays.includes(isoWeekday(date))
  );
}

/** A local start time, HH:MM (24 h). */
const START_TIME = /^([01]\d|2[0-3]):[0-5]\d$/;
/** The longest grace period: a whole day. */
export const GRACE_MAX = 1440;

export function checkSchedule(input: ScheduleInput | undefined): Schedule {
  const from = input?.from == null ? null : day('schedule.from', input.from);
  const to = input?.to == null ? null : day('schedule.to', input.to);
  if ((from === null) !== (to === null)) {
    throw DomainError.invalid(from === null ? 'schedule.from' : 'schedule.to', 'is required with the other end of the range');
  }
  if (from !== null && to !== null && to < from) throw DomainError.invalid('schedule.to', `must not be before schedule.from (${from})`);
  const weekdays = input?.weekdays ?? [];
  weekdays.forEach((weekday, i) => {
    if (!Number.isInteger(weekday) || weekday < 1 || weekday > 7) {
      throw DomainError.invalid(`schedule.weekdays.${i}`, 'must be 1 (Monday) to 7 (Sunday)');
    }
    if (weekdays.indexOf(weekday) !== i) throw DomainError.invalid(`schedule.weekdays.${i}`, `${weekday} is listed twice`);
  });
  if (weekdays.length > 0 && from === null) throw DomainError.invalid('schedule.from', 'is required when weekdays are given');
  const weekly: Schedule = { from, to, weekdays: [...weekdays].sort((a, b) => a - b), dates: [], startTime: null, graceMinutes: 0 };
  const dates: string[] = [];
  (input?.dates ?? []).forEach((value, i) => {
    const field = `schedule.dates.${i}`;
    const date = day(field, value);
    if (dates.includes(date)) throw DomainError.invalid(field, `${date} is listed twice`);
    if (isScheduled(weekly, date)) throw DomainError.invalid(field, `${date} overlaps the weekly schedule (it is already a scheduled day)`);
    dates.push(date);
  });
  const startTime = input?.startTime ?? null;
  if (startTime !== null && !START_TIME.test(startTime))
    throw DomainError.invalid('schedule.startTime', `"${startTime}" is not a time HH:MM`);
  const graceMinutes = input?.graceMinutes ?? 0;
  if (!Number.isInteger(graceMinutes) || graceMinutes < 0 || graceMinutes > GRACE_MAX) {
    throw DomainError.invalid('schedule.graceMinutes', `must be a whole number of minutes from 0 to ${GRACE_MAX}`);
  }
  return { ...weekly, dates: dates.sort(), startTime, graceMinutes };
}

function groupName(value: string): string {
  const checked = checkText(value, true);
  if ('error' in checked) throw DomainError.invalid('name', checked.error);
  return checked.value;
}

/** The longest range one register may cover. */
export const REGISTER_MAX_DAYS = 366;

/** A register's range: real dates, in order, at most REGISTER_MAX_DAYS. */
export function registerRange(query: { from: string; to: string }): { from: string; to: string } {
  const from = day('from', query.from);
  const to = day('to', query.to);
  if (to < from) throw DomainError.invalid('to', `must not be before from (${from})`);
  const days = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000 + 1;
  if (days > REGISTER_MAX_DAYS)
    throw DomainError.invalid('to', `the range may cover at most ${REGISTER_MAX_DAYS} days (this one has ${days})`);
  return { from, to };
}

const audited = (group: Group) => ({ name: group.name, schedule: group.schedule });

/** One excuse's place: a member of a group on a day. */
export interface ExcuseTarget {
  groupId: number;
  personId: number;
  date: string;
}

/**
 * Whether a scope reaches a group. Ids are compared as numbers: a driver may hand a leader's group ids
 * (bigint[]) back as text.
 */
const reaches = (scope: 'all' | { groups: readonly number[] }, groupId: number): boolean =>
  scope === 'all' || scope.groups.some((id) => Number(id) === groupId);

const notAMember = (groupId: number, personId: number) =>
  new DomainError(404, 'Not found', `Person ${personId} is not a member of group ${groupId}.`);

export type SeenMember = Omit<Member, 'badge'> & { badge: string | null };

export class GroupService {
  constructor(private readonly deps: ServiceDeps) {}

  /** APP_TIMEZONE, in which times are written. */
  private get tz(): string {
    return this.deps.config.timezone;
  }

  /** Attendance days (DAY_STARTS_AT): register days, today. */
  private get days(): AttendanceDays {
    return attendanceDays(this.deps.config);
  }

  // ---- Reads -------------------------------------------------------------------------------------

  /**
   * The groups an actor may list and open: all, or a leader's own. A read token (attendance:read) has
   * always been able to list groups (names and schedules, no people) for the displays that choose one.
   */
  private listScope(actor: Actor): 'all' | { groups: readonly number[] } {
    return !can(actor, 'groups:read') && can(actor, 'attendance:read') ? 'all' : scopeOf(actor, 'groups:read');
  }

  /** Refuses a group outside the actor's reach as if it did not exist (a leader learns nothing of others). */
  private reach(actor: Actor, permission: Permission, groupId: number): void {
    if (!reaches(scopeOf(actor, permission), groupId)) throw DomainError.notFoundOf('group', groupId);
  }

  private static filterOf(scope: 'all' | { groups: readonly number[] }, terms?: string[]): GroupFilter {
    return { ...(scope === 'all' ? {} : { ids: scope.groups }), ...(terms ? { terms } : {}) };
  }

  /** A page of groups in id order; `q` keeps those whose name holds every word (case and accents ignored). */
  async search(
    actor: Actor,
    query: { q?: string; limit: number; cursor?: string },
  ): Promise<{ items: Group[]; nextCursor: string | null }> {
    const scope = this.listScope(actor);
    const terms = (query.q ?? '')
      .split(/[\s,;]+/)
      .map(personFold)
      .filter((term) => term !== '');
    // The same fingerprint as before for the unfiltered list, so cursors handed out earlier still work.
    const filterPrint = fingerprint(terms.length === 0 ? ['groups'] : ['groups', terms]);
    const afterId = decodeCursor(query.cursor, filterPrint);
    const rows = await listGroups(this.deps.db, this.tz, afterId, query.limit + 1, GroupService.filterOf(scope, terms));
    return pageOf(rows, query.limit, filterPrint);
  }

  /** Up to `limit` groups after `afterId`, in id order (for choosers that show every group at once). */
  async list(actor: Actor, afterId: number, limit: number): Promise<Group[]> {
    return listGroups(this.deps.db, this.tz, afterId, limit, GroupService.filterOf(this.listScope(actor)));
  }

  /** One group; 404 when there is none or the actor may not see it. */
  async get(actor: Actor, id: number): Promise<Group> {
    const group = reaches(this.listScope(actor), id) ? await findGroup(this.deps.db, this.tz, id) : undefined;
    if (!group) throw DomainError.notFoundOf('group', id);
    return group;
  }

  /** Every member of a group, by last and first name. */
  /** The members, by name; their badge codes only for those who may change people (seenBy). */
  async members(actor: Actor, groupId: number): Promise<SeenMember[]> {
    this.reach(actor, 'groups:read', groupId);
    if (!(await findGroup(this.deps.db, this.tz, groupId))) throw DomainError.notFoundOf('group', groupId);
    return (await listMembers(this.deps.db, this.tz, groupId)).map((member) => seenBy(actor, member));
  }

  /** The register from `from` to `to` as JSON text, as PostgreSQL built it (sent without parsing it again). */
  async registerJson(actor: Actor, groupId: number, query: { from: string; to: string }): Promise<string> {
    this.reach(actor, 'groups:read', groupId);
    const { from, to } = registerRange(query);
    const json = await registerJson(this.deps.db, this.days, groupId, from, to);
    if (json === undefined) throw DomainError.notFoundOf('group', groupId);
    return json;
  }

  async register(actor: Actor, groupId: number, query: { from: string; to: string }): Promise<Register> {
    return JSON.parse(await this.registerJson(actor, groupId, query)) as Register;
  }

  /**
   * A person's attendance in each of their groups the actor may read (a leader: their groups; a person in
   * none of them is a 404, as if there were none), from `from` to `to` (default: the last
   * PERSON_ATTENDANCE_DAYS days up to today). The same statuses as the register: one statement computes both.
   */
  async personAttendance(actor: Actor, personId: number, query: { from?: string; to?: string } = {}): Promise<PersonAttendance> {
    const scope = scopeOf(actor, 'groups:read');
    const today = this.today();
    const to = query.to ?? (query.from !== undefined && query.from > today ? query.from : today);
    const range = registerRange({ from: query.from ?? plusDays(to, 1 - PERSON_ATTENDANCE_DAYS), to });
    const person = await findPerson(this.deps.db, personId);
    const memberships = person ? (await membershipsOf(this.deps.db, personId)).filter((m) => reaches(scope, m.groupId)) : [];
    if (!person || (scope !== 'all' && memberships.length === 0)) throw DomainError.notFoundOf('person', personId);
    const groups: PersonAttendance['groups'] = [];
    let timezone = this.deps.config.timezone;
    for (const membership of memberships) {
      const json = await registerJson(this.deps.db, this.days, membership.groupId, range.from, range.to, personId);
      if (json === undefined) continue; // deleted meanwhile
      const register = JSON.parse(json) as Register;
      const row = register.members[0];
      if (!row) continue; // no longer a member
      timezone = register.timezone;
      groups.push({
        group: register.group,
        membership: row.membership,
        days: register.days.map(({ date, startsAt, lateAfter }) => ({ date, startsAt, lateAfter })),
        attendance: row.attendance,
        totals: row.totals,
        rate: row.rate,
      });
    }
    return {
      person: { id: person.id, firstname: person.firstname, lastname: person.lastname, externalRef: person.externalRef },
      ...range,
      timezone,
      groups,
    };
  }

  /** Who of a group has not arrived on `day`; undefined when there is no such group (or the actor may not see it). */
  async dayArrivals(actor: Actor, groupId: number, day: string): Promise<DayArrivals | undefined> {
    if (!reaches(scopeOf(actor, 'groups:read'), groupId)) return undefined;
    return dayArrivals(this.deps.db, this.days, groupId, day);
  }

  // ---- Groups ------------------------------------------------------------------------------------

  async create(actor: Actor, input: { name: string; schedule?: ScheduleInput }): Promise<Group> {
    authorize(actor, 'groups:write');
    const name = groupName(input.name);
    const schedule = checkSchedule(input.schedule);
    return this.deps.changes.run(actor, async (change) => {
      const group = await insertGroup(change.tx, this.tz, name, schedule);
      await change.audit({ action: 'create', entity: 'group', entityId: group.id, after: audited(group) });
      return group;
    });
  }

  /** Renames a group or replaces its schedule. */
  async change(actor: Actor, id: number, changes: { name?: string; schedule?: ScheduleInput }): Promise<Group> {
    authorize(actor, 'groups:write');
    const name = changes.name === undefined ? undefined : groupName(changes.name);
    const schedule = changes.schedule === undefined ? undefined : checkSchedule(changes.schedule);
    return this.deps.changes.run(actor, async (change) => {
      const current = await findGroup(change.tx, this.tz, id, true);
      if (!current) throw DomainError.notFoundOf('group', id);
      const updated = await updateGroup(change.tx, this.tz, id, name ?? current.name, schedule ?? current.schedule);
      if (!updated) throw DomainError.notFoundOf('group', id);
      await change.audit({ action: 'update', entity: 'group', entityId: id, before: audited(current), after: audited(updated) });
      // Which days are scheduled, and when they start, decide who the sheet lists as not arrived yet.
      change.announce('attendance');
      return updated;
    });
  }

  /** Removes a group with its memberships and excuses; people and check-ins stay. */
  async remove(actor: Actor, id: number): Promise<void> {
    authorize(actor, 'groups:write');
    await this.deps.changes.run(actor, async (change) => {
      const current = await findGroup(change.tx, this.tz, id, true);
      if (!current || !(await deleteGroup(change.tx, id))) throw DomainError.notFoundOf('group', id);
      await change.audit({ action: 'delete', entity: 'group', entityId: id, before: audited(current) });
      change.announce('attendance');
    });
  }

  // ---- Members -----------------------------------------------------------------------------------

  /**
   * Makes a person a member, counted from `since` (default: today) to `until` (default: no end). Adding a
   * member again changes only the days given (`added: false`, the API answers 200); nothing given, nothing
   * changes. A day null leaves that end open.
   */
  async addMember(actor: Actor, groupId: number, personId: number, days: MembershipDays = {}): Promise<{ added: boolean; member: Member }> {
    authorize(actor, 'groups:write');
    const since = days.since == null ? days.since : day('since', days.since);
    const until = days.until == null ? days.until : day('until', days.until);
    return this.deps.changes.run(actor, async (change) => {
      if (!(await findGroup(change.tx, this.tz, groupId))) throw DomainError.notFoundOf('group', groupId);
      if (!(await findPerson(change.tx, personId))) throw DomainError.notFoundOf('person', personId);
      const current = await findMembership(change.tx, groupId, personId);
      const next = {
        since: since !== undefined ? since : current ? current.since : this.today(),
        until: until !== undefined ? until : (current?.until ?? null),
      };
      if (next.since !== null && next.until !== null && next.until < next.since) {
        throw DomainError.invalid('until', `must not be before since (${next.since})`);
      }
      if (!current) {
        await addMemberRow(change.tx, groupId, personId, next);
        await change.audit({ action: 'add-member', entity: 'group', entityId: groupId, after: { personId, ...next } });
        change.announce('attendance');
      } else if (current.since !== next.since || current.until !== next.until) {
        await updateMembership(change.tx, groupId, personId, next);
        await change.audit({
          action: 'change-membership',
          entity: 'group',
          entityId: groupId,
          before: { personId, ...current },
          after: { personId, ...next },
        });
        change.announce('attendance');
      }
      const member = (await listMembers(change.tx, this.tz, groupId)).find((m) => m.id === personId)!;
      return { added: !current, member };
    });
  }

  /** Removes a member (their excuses in the group go too); 404 when they are not one. */
  async removeMember(actor: Actor, groupId: number, personId: number): Promise<void> {
    authorize(actor, 'groups:write');
    await this.deps.changes.run(actor, async (change) => {
      if (!(await findGroup(change.tx, this.tz, groupId))) throw DomainError.notFoundOf('group', groupId);
      if (!(await removeMemberRow(change.tx, groupId, personId))) throw notAMember(groupId, personId);
      await change.audit({ action: 'remove-member', entity: 'group', entityId: groupId, before: { personId } });
      change.announce('attendance');
    });
  }

  /**
   * Imports members from CSV (member-import.ts): every line checked first, then all of it or nothing.
   * A dry run answers what the import would do and writes nothing.
   */
  async importMembers(actor: Actor, groupId: number, csv: string, dryRun: boolean): Promise<ImportOutcome> {
    authorize(actor, 'groups:write');
    const lines = parseMembersCsv(csv);
    if (dryRun) {
      return this.deps.db.transaction(async (tx) => {
        await this.groupIn(tx, groupId, false);
        return (await planImport(tx, groupId, lines, true)).outcome;
      });
    }
    return uniqueExternalRef(
      () =>
        this.deps.changes.run(actor, async (change) => {
          // Held until commit, so two imports into one group do not both create the same new people.
          await this.groupIn(change.tx, groupId, true);
          const outcome = await applyImport(change, groupId, await planImport(change.tx, groupId, lines, false), this.today());
          if (outcome.added > 0) change.announce('attendance');
          return outcome;
        }),
      null,
    );
  }

  /** The group as the transaction sees it (`lock`: held until it ends); 404 when there is none. */
  private async groupIn(tx: Queryable, groupId: number, lock: boolean): Promise<Group> {
    const group = await findGroup(tx, this.tz, groupId, lock);
    if (!group) throw DomainError.notFoundOf('group', groupId);
    return group;
  }

  // ---- Excuses -----------------------------------------------------------------------------------

  /** Excuses a member from one scheduled day (or changes the reason); `created` tells which. */
  async excuse(actor: Actor, target: ExcuseTarget, reasonInput: string): Promise<{ excuse: Excuse; created: boolean }> {
    this.reach(actor, 'register:mark', target.groupId);
    const date = day('date', target.date);
    const checked = checkText(reasonInput, true, 500);
    if ('error' in checked) throw DomainError.invalid('reason', checked.error);
    return this.deps.changes.run(actor, async (change) => {
      await memberOfScheduledDay(change, this.tz, target.groupId, target.personId, date);
      const result = await upsertExcuse(change.tx, this.tz, { ...target, date, reason: checked.value, excusedBy: actorLabel(actor) });
      await change.audit({
        action: 'excuse',
        entity: 'group',
        entityId: target.groupId,
        after: { personId: target.personId, date, reason: checked.value },
      });
      change.announce('attendance');
      return result;
    });
  }

  async withdrawExcuse(actor: Actor, target: ExcuseTarget): Promise<void> {
    this.reach(actor, 'register:mark', target.groupId);
    const date = day('date', target.date);
    await this.deps.changes.run(actor, async (change) => {
      const removed = await deleteExcuse(change.tx, this.tz, target.groupId, target.personId, date);
      if (!removed) {
        if (!(await findGroup(change.tx, this.tz, target.groupId))) throw DomainError.notFoundOf('group', target.groupId);
        throw new DomainError(404, 'Not found', `Person ${target.personId} has no excuse for ${date} in group ${target.groupId}.`);
      }
      await change.audit({ action: 'withdraw-excuse', entity: 'group', entityId: target.groupId, before: removed });
      change.announce('attendance');
    });
  }

  // ---- Marking by hand ---------------------------------------------------------------------------

  /** The attendance day containing now (DAY_STARTS_AT in APP_TIMEZONE). */
  private today(): string {
    return this.days.today();
  }

  /**
   * Sets a member's cell on a past or today's scheduled day within their membership to present, late,
   * absent or excused, whatever the check-ins say; `excused` needs a reason and is an excuse (the table
   * the previous release reads), the others are marks. The one door of marking: whoever may mark the
   * group's register (a leader in their groups). `created`: the cell was not marked before.
   */
  async mark(
    actor: Actor,
    target: ExcuseTarget,
    input: { status: string; reason?: string | null },
  ): Promise<{ cell: MarkedCell; created: boolean }> {
    this.reach(actor, 'register:mark', target.groupId);
    const date = day('date', target.date);
    if (date > this.today()) throw DomainError.invalid('date', `${date} is in the future: only today and earlier days can be marked`);
    const status = MARK_STATUSES.find((s) => s === input.status);
    if (!status) throw DomainError.invalid('status', `must be one of ${MARK_STATUSES.join(', ')}`);
    let reason: string | null = null;
    if (input.reason != null && input.reason.trim() !== '') {
      const checked = checkText(input.reason, true, 500);
      if ('error' in checked) throw DomainError.invalid('reason', checked.error);
      reason = checked.value;
    }
    if (status === 'excused' && reason === null) throw DomainError.invalid('reason', 'an excused day needs a reason');
    const markedBy = actorLabel(actor);
    return this.deps.changes.run(actor, async (change) => {
      await memberOfScheduledDay(change, this.tz, target.groupId, target.personId, date, true);
      const before = await clearCell(change, this.tz, target.groupId, target.personId, date);
      let cell: MarkedCell;
      if (status === 'excused') {
        const { excuse } = await upsertExcuse(change.tx, this.tz, { ...target, date, reason: reason!, excusedBy: markedBy });
        cell = { ...target, date, status, reason: excuse.reason, markedBy: excuse.excusedBy, markedAt: excuse.excusedAt };
      } else {
        const mark = await upsertMark(change.tx, this.tz, { ...target, date, status, reason, markedBy });
        cell = { ...target, date, status, reason: mark.reason, markedBy: mark.markedBy, markedAt: mark.markedAt };
      }
      await change.audit({
        action: 'mark',
        entity: 'group',
        entityId: target.groupId,
        ...(before ? { before: { personId: target.personId, date, status: before.status, reason: before.reason } } : {}),
        after: { personId: target.personId, date, status, reason },
      });
      await emitRegisterMarked(change, { groupId: target.groupId, day: date, personId: target.personId, mark: status, reason });
      change.announce('attendance');
      return { cell, created: before === undefined };
    });
  }

  /** Returns a cell to what the check-ins say; 404 when it was not marked (nor excused). */
  async unmark(actor: Actor, target: ExcuseTarget): Promise<void> {
    this.reach(actor, 'register:mark', target.groupId);
    const date = day('date', target.date);
    await this.deps.changes.run(actor, async (change) => {
      const before = await clearCell(change, this.tz, target.groupId, target.personId, date);
      if (!before) {
        if (!(await findGroup(change.tx, this.tz, target.groupId))) throw DomainError.notFoundOf('group', target.groupId);
        throw new DomainError(
          404,
          'Not found',
          `The cell of person ${target.personId} on ${date} in group ${target.groupId} is not marked.`,
        );
      }
      await change.audit({
        action: 'unmark',
        entity: 'group',
        entityId: target.groupId,
        before: { personId: target.personId, date, status: before.status, reason: before.reason },
      });
      await emitRegisterMarked(change, { groupId: target.groupId, day: date, personId: target.personId, mark: null, reason: null });
      change.announce('attendance');
    });
  }
}

/** Removes a cell's mark and excuse; answers what it was (undefined: neither). */
async function clearCell(
  change: Change,
  timezone: string,
  groupId: number,
  personId: number,
  date: string,
): Promise<{ status: MarkStatus; reason: string | null } | undefined> {
  const excuse = await deleteExcuse(change.tx, timezone, groupId, personId, date);
  const mark = await deleteMark(change.tx, timezone, groupId, personId, date);
  if (excuse) return { status: 'excused', reason: excuse.reason };
  return mark ? { status: mark.status, reason: mark.reason } : undefined;
}

/**
 * Refuses a day that is not a scheduled day of a member; `withinMembership`: also a day outside their
 * since–until (marking; an excuse, as before, may be given for any scheduled day of a member).
 */
async function memberOfScheduledDay(
  change: Change,
  timezone: string,
  groupId: number,
  personId: number,
  date: string,
  withinMembership = false,
): Promise<void> {
  const group = await findGroup(change.tx, timezone, groupId);
  if (!group) throw DomainError.notFoundOf('group', groupId);
  const membership = await findMembership(change.tx, groupId, personId);
  if (!membership) throw notAMember(groupId, personId);
  if (!isScheduled(group.schedule, date)) throw DomainError.invalid('date', `${date} is not a scheduled day of this group`);
  if (!withinMembership) return;
  if (membership.since !== null && date < membership.since) {
    throw DomainError.invalid('date', `${date} is before person ${personId} became a member (${membership.since})`);
  }
  if (membership.until !== null && date > membership.until) {
    throw DomainError.invalid('date', `${date} is after person ${personId}'s membership ended (${membership.until})`);
  }
}
