// The rules for groups (rosters): a name, a schedule whose days are unambiguous (a weekly range needs
// both ends; an explicit date appears once and is not already a weekly day), members, and excuses that
// only a scheduled day can have. Every change is audited in the same transaction as the change.
import { recordAudit } from '../audit/audit-log.js';
import { parseIsoDate } from '../../domain/calendar.js';
import type { Database, Queryable } from '../../db/database.js';
import { decodeCursor, fingerprint, pageOf } from '../../domain/keyset-cursor.js';
import { findPerson } from '../people/person-repository.js';
import { checkText } from '../people/person-service.js';
import { DomainError } from '../../domain/domain-error.js';
import {
  addMember as addMemberRow,
  deleteExcuse,
  deleteGroup,
  findGroup,
  insertGroup,
  isMember,
  listGroups,
  listMembers,
  removeMember as removeMemberRow,
  updateGroup,
  upsertExcuse,
  type Excuse,
  type Group,
  type Member,
  type Schedule,
} from './group-repository.js';

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

const audited = (group: Group) => ({ name: group.name, schedule: group.schedule });

export async function createGroup(db: Database, actor: string, input: { name: string; schedule?: ScheduleInput }): Promise<Group> {
  const name = groupName(input.name);
  const schedule = checkSchedule(input.schedule);
  return db.transaction(async (tx) => {
    const group = await insertGroup(tx, name, schedule);
    await recordAudit(tx, { actor, action: 'create', entity: 'group', entityId: group.id, after: audited(group) });
    return group;
  });
}

export async function getGroup(db: Queryable, id: number): Promise<Group> {
  const group = await findGroup(db, id);
  if (!group) throw DomainError.notFoundOf('group', id);
  return group;
}

export async function searchGroups(db: Queryable, query: { limit: number; cursor?: string }) {
  const filterPrint = fingerprint(['groups']);
  const afterId = decodeCursor(query.cursor, filterPrint);
  return pageOf(await listGroups(db, afterId, query.limit + 1), query.limit, filterPrint);
}

export async function changeGroup(
  db: Database,
  actor: string,
  id: number,
  changes: { name?: string; schedule?: ScheduleInput },
): Promise<Group> {
  const name = changes.name === undefined ? undefined : groupName(changes.name);
  const schedule = changes.schedule === undefined ? undefined : checkSchedule(changes.schedule);
  return db.transaction(async (tx) => {
    const current = await findGroup(tx, id, true);
    if (!current) throw DomainError.notFoundOf('group', id);
    const updated = await updateGroup(tx, id, name ?? current.name, schedule ?? current.schedule);
    if (!updated) throw DomainError.notFoundOf('group', id);
    await recordAudit(tx, { actor, action: 'update', entity: 'group', entityId: id, before: audited(current), after: audited(updated) });
    return updated;
  });
}

export async function removeGroup(db: Database, actor: string, id: number): Promise<void> {
  await db.transaction(async (tx) => {
    const current = await findGroup(tx, id, true);
    if (!current || !(await deleteGroup(tx, id))) throw DomainError.notFoundOf('group', id);
    await recordAudit(tx, { actor, action: 'delete', entity: 'group', entityId: id, before: audited(current) });
  });
}

// ---- Members -------------------------------------------------------------------------------------

/**
 * Makes a person a member. Idempotent: adding a member again changes nothing and answers
 * `added: false` (the API answers 200 instead of 201).
 */
export async function addMember(
  db: Database,
  actor: string,
  groupId: number,
  personId: number,
): Promise<{ added: boolean; member: Member }> {
  return db.transaction(async (tx) => {
    if (!(await findGroup(tx, groupId))) throw DomainError.notFoundOf('group', groupId);
    if (!(await findPerson(tx, personId))) throw DomainError.notFoundOf('person', personId);
    const added = await addMemberRow(tx, groupId, personId);
    if (added) await recordAudit(tx, { actor, action: 'add-member', entity: 'group', entityId: groupId, after: { personId } });
    const member = (await listMembers(tx, groupId)).find((m) => m.id === personId)!;
    return { added, member };
  });
}

export async function removeMember(db: Database, actor: string, groupId: number, personId: number): Promise<void> {
  await db.transaction(async (tx) => {
    if (!(await findGroup(tx, groupId))) throw DomainError.notFoundOf('group', groupId);
    if (!(await removeMemberRow(tx, groupId, personId))) {
      throw new DomainError(404, 'Not found', `Person ${personId} is not a member of group ${groupId}.`);
    }
    await recordAudit(tx, { actor, action: 'remove-member', entity: 'group', entityId: groupId, before: { personId } });
  });
}

export async function members(db: Queryable, groupId: number): Promise<Member[]> {
  if (!(await findGroup(db, groupId))) throw DomainError.notFoundOf('group', groupId);
  return listMembers(db, groupId);
}

// ---- Excuses -------------------------------------------------------------------------------------

async function memberOfScheduledDay(tx: Queryable, groupId: number, personId: number, date: string): Promise<void> {
  const group = await findGroup(tx, groupId);
  if (!group) throw DomainError.notFoundOf('group', groupId);
  if (!(await isMember(tx, groupId, personId))) {
    throw new DomainError(404, 'Not found', `Person ${personId} is not a member of group ${groupId}.`);
  }
  if (!isScheduled(group.schedule, date)) throw DomainError.invalid('date', `${date} is not a scheduled day of this group`);
}

/** Excuses a member from one scheduled day (or changes the reason); `created` tells which. */
export async function excuse(
  db: Database,
  actor: string,
  target: { groupId: number; personId: number; date: string },
  reasonInput: string,
): Promise<{ excuse: Excuse; created: boolean }> {
  const date = day('date', target.date);
  const checked = checkText(reasonInput, true, 500);
  if ('error' in checked) throw DomainError.invalid('reason', checked.error);
  return db.transaction(async (tx) => {
    await memberOfScheduledDay(tx, target.groupId, target.personId, date);
    const result = await upsertExcuse(tx, { ...target, date, reason: checked.value, excusedBy: actor });
    await recordAudit(tx, {
      actor,
      action: 'excuse',
      entity: 'group',
      entityId: target.groupId,
      after: { personId: target.personId, date, reason: checked.value },
    });
    return result;
  });
}

export async function withdrawExcuse(
  db: Database,
  actor: string,
  target: { groupId: number; personId: number; date: string },
): Promise<void> {
  const date = day('date', target.date);
  await db.transaction(async (tx) => {
    const removed = await deleteExcuse(tx, target.groupId, target.personId, date);
    if (!removed) {
      if (!(await findGroup(tx, target.groupId))) throw DomainError.notFoundOf('group', target.groupId);
      throw new DomainError(404, 'Not found', `Person ${target.personId} has no excuse for ${date} in group ${target.groupId}.`);
    }
    await recordAudit(tx, { actor, action: 'withdraw-excuse', entity: 'group', entityId: target.groupId, before: removed });
  });
}
