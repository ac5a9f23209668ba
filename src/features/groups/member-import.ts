// Importing a group's members from CSV (firstname,lastname,externalRef,email; header required; UTF-8
// with or without BOM; `;` or `,` between fields). People are found by external reference (or, without
// one, by their name among the group's members), created or updated, then made members. Every line is
// checked first: one bad line and nothing is written. A line that repeats an earlier one exactly (every
// field the same) is imported once and reported as a warning; a line naming the same person as another
// with different data (the same external reference, or without one the same name) is refused. GroupService.importMembers runs the plan and its
// writes in one change: each person created or changed gets their own audit record (so their history and
// their privacy export show it), and the group one record of the whole import.
import { CsvError, parse } from 'csv-parse/sync';
import type { Queryable } from '../../db/database.js';
import type { Change } from '../../domain/changes.js';
import { DomainError, type LineError } from '../../domain/domain-error.js';
import { insertPeople, updatePeople, type Person } from '../people/person-repository.js';
import { checkEmail, checkText, newBadge } from '../people/person-service.js';
import { addMembers, matchImportLines, type KnownPerson } from './group-repository.js';

/** More lines than this is not a roster but a migration; split it. */
export const IMPORT_MAX_LINES = 20_000;

/** The largest CSV file a member import takes (the body limit of the routes that take one). */
export const IMPORT_MAX_BYTES = 8 * 1024 * 1024;

const COLUMNS = ['firstname', 'lastname', 'externalref', 'email'] as const;
type Column = (typeof COLUMNS)[number];
const FIELD: Record<Column, string> = { firstname: 'firstname', lastname: 'lastname', externalref: 'externalRef', email: 'email' };

export interface ImportLine {
  line: number;
  firstname: string;
  lastname: string;
  externalRef: string | null;
  /** undefined: the file has no email column (the stored e-mail is kept). */
  email: string | null | undefined;
  /** Later lines that repeat this one exactly: left out, reported as warnings. */
  repeatedOn?: number[];
}

/** Something about the file that did not stop the import (an exact repeated line, imported once). */
export interface ImportWarning {
  line: number;
  field: string;
  message: string;
}

export interface ImportOutcome {
  dryRun: boolean;
  created: number;
  updated: number;
  unchanged: number;
  added: number;
  lines: { line: number; result: 'created' | 'updated' | 'unchanged'; personId: number | null; newMember: boolean }[];
  warnings: ImportWarning[];
}

/** `;` when the header line uses it and not `,` (spreadsheets in many locales save so), else `,`. */
function delimiterOf(text: string): string {
  const header = text.split(/\r?\n/, 1)[0] ?? '';
  return header.includes(';') && !header.includes(',') ? ';' : ',';
}

/** Parses and checks every line; throws one problem listing every bad line. */
export function parseMembersCsv(body: string): ImportLine[] {
  const text = body.replace(/^\uFEFF/, '');
  if (text.trim() === '') throw DomainError.invalidLines([{ line: 1, field: 'header', message: 'is missing: the file is empty' }]);
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, {
      delimiter: delimiterOf(text),
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: false,
    }) as unknown as typeof records;
  } catch (error) {
    if (error instanceof CsvError) {
      const line = (error as CsvError & { lines?: number }).lines;
      throw DomainError.invalidLines([{ line, field: 'csv', message: `is not valid CSV: ${error.message}` }]);
    }
    throw error;
  }
  const [head, ...rows] = records;
  const errors: LineError[] = [];
  const header = head!.record.map((name) =>
    name
      .trim()
      .toLowerCase()
      .replace(/[\s_-]/g, ''),
  );
  header.forEach((name, i) => {
    if (!(COLUMNS as readonly string[]).includes(name)) {
      errors.push({
        line: head!.info.lines,
        field: 'header',
        message: `column ${i + 1} "${head!.record[i]}" is not one of firstname, lastname, externalRef, email`,
      });
    } else if (header.indexOf(name) !== i)
      errors.push({ line: head!.info.lines, field: 'header', message: `column "${head!.record[i]}" appears twice` });
  });
  for (const required of ['firstname', 'lastname']) {
    if (!header.includes(required)) errors.push({ line: head!.info.lines, field: 'header', message: `needs a ${required} column` });
  }
  if (errors.length > 0) throw DomainError.invalidLines(errors);
  if (rows.length > IMPORT_MAX_LINES) {
    throw DomainError.invalidLines([
      { line: IMPORT_MAX_LINES + 2, field: 'csv', message: `has more than ${IMPORT_MAX_LINES} lines; split the file` },
    ]);
  }

  const lines: ImportLine[] = [];
  const refLines = new Map<string, number>();
  /** Each distinct record (its fields exactly as written) and the line it was first read from. */
  const seen = new Map<string, ImportLine | number>();
  for (const { record, info } of rows) {
    const line = info.lines;
    if (record.length !== header.length) {
      errors.push({ line, field: 'csv', message: `has ${record.length} fields; the header has ${header.length}` });
      continue;
    }
    const exact = JSON.stringify(record);
    const first = seen.get(exact);
    if (first !== undefined) {
      // A bad line repeated is bad once: its errors are already listed under its first line.
      if (typeof first !== 'number') (first.repeatedOn ??= []).push(line);
      continue;
    }
    seen.set(exact, line);
    const cell = (column: Column) => {
      const i = header.indexOf(column);
      return i === -1 ? undefined : record[i]!;
    };
    const value = (column: Column, required: boolean): string | null => {
      const checked = checkText(cell(column) ?? '', required);
      if ('error' in checked) {
        errors.push({ line, field: FIELD[column], message: checked.error });
        return null;
      }
      return checked.value === '' ? null : checked.value;
    };
    const firstname = value('firstname', true);
    const lastname = value('lastname', true);
    const externalRef = value('externalref', false);
    let email: string | null | undefined;
    const rawEmail = cell('email');
    if (rawEmail !== undefined) {
      const checked = checkEmail(rawEmail);
      if ('error' in checked) errors.push({ line, field: 'email', message: checked.error });
      else email = checked.value;
    }
    if (externalRef !== null) {
      const earlier = refLines.get(externalRef);
      if (earlier !== undefined) errors.push({ line, field: 'externalRef', message: `"${externalRef}" is also on line ${earlier}` });
      else refLines.set(externalRef, line);
    }
    if (firstname !== null && lastname !== null) {
      const read: ImportLine = { line, firstname, lastname, externalRef, email };
      lines.push(read);
      seen.set(exact, read);
    }
  }
  if (errors.length > 0) throw DomainError.invalidLines(errors);
  return lines;
}

/** What an import would do: its outcome (what a dry run answers) and the writes it takes. */
export interface ImportPlan {
  outcome: ImportOutcome;
  toCreate: ImportLine[];
  toUpdate: { person: KnownPerson; line: ImportLine; email: string | null }[];
}

/**
 * Who each line is: the person with its external reference; or, without one, the one member of the
 * group with the same folded name. Lines without a reference that share a folded name are refused.
 */
async function resolve(tx: Queryable, groupId: number, lines: ImportLine[]): Promise<(KnownPerson | undefined)[]> {
  const matches = await matchImportLines(tx, groupId, lines);
  const errors: LineError[] = [];
  const keyLines = new Map<string, number>();
  const known = matches.map((match, i) => {
    const line = lines[i]!;
    if (line.externalRef !== null) return match.known ?? undefined;
    const earlier = keyLines.get(match.key);
    if (earlier !== undefined) {
      errors.push({ line: line.line, field: 'externalRef', message: `is needed: line ${earlier} has the same name` });
    } else keyLines.set(match.key, line.line);
    if (match.matches > 1) {
      errors.push({ line: line.line, field: 'externalRef', message: `is needed: ${match.matches} members of the group have this name` });
    }
    return match.known ?? undefined;
  });
  if (errors.length > 0) throw DomainError.invalidLines(errors);
  return known;
}

/** What importing `lines` into the group would do; reads only. */
export async function planImport(tx: Queryable, groupId: number, lines: ImportLine[], dryRun: boolean): Promise<ImportPlan> {
  const known = await resolve(tx, groupId, lines);
  const warnings = lines
    .flatMap((line) =>
      (line.repeatedOn ?? []).map((repeat) => ({
        line: repeat,
        field: 'csv',
        message: `repeats line ${line.line} exactly: imported once`,
      })),
    )
    .sort((a, b) => a.line - b.line);
  const outcome: ImportOutcome = { dryRun, created: 0, updated: 0, unchanged: 0, added: 0, lines: [], warnings };
  const plan: ImportPlan = { outcome, toCreate: [], toUpdate: [] };
  lines.forEach((line, i) => {
    const person = known[i];
    if (!person) {
      plan.toCreate.push(line);
      outcome.lines.push({ line: line.line, result: 'created', personId: null, newMember: true });
      return;
    }
    const email = line.email === undefined ? person.email : line.email;
    const same = person.firstname === line.firstname && person.lastname === line.lastname && person.email === email;
    if (!same) plan.toUpdate.push({ person, line, email });
    outcome.lines.push({ line: line.line, result: same ? 'unchanged' : 'updated', personId: person.id, newMember: !person.member });
  });
  outcome.created = plan.toCreate.length;
  outcome.updated = plan.toUpdate.length;
  outcome.unchanged = lines.length - plan.toCreate.length - plan.toUpdate.length;
  outcome.added = outcome.lines.filter((l) => l.newMember).length;
  return plan;
}

/** What a person's audit record holds of them (the fields an erasure blanks). */
const audited = (person: Pick<Person, 'firstname' | 'lastname' | 'externalRef' | 'email'>) => ({
  firstname: person.firstname,
  lastname: person.lastname,
  externalRef: person.externalRef,
  email: person.email,
});

/** Makes the plan's writes in the change: people created and updated (each audited), then the memberships. */
/** `since`: the day new members count from (today's attendance day). */
export async function applyImport(change: Change, groupId: number, plan: ImportPlan, since: string): Promise<ImportOutcome> {
  const { outcome } = plan;
  // One statement for the people created, one for those changed, one for their audit records: a
  // 20,000-line roster is one transaction of a few statements, not 40,000 round trips.
  const creating = plan.toCreate.map((line) => ({
    line: line.line,
    fields: { firstname: line.firstname, lastname: line.lastname, externalRef: line.externalRef, email: line.email ?? null },
    badge: newBadge(),
  }));
  const inserted = new Map((await insertPeople(change.tx, creating)).map((person) => [person.badge, person]));
  const createdIds = new Map(creating.map(({ line, badge }) => [line, inserted.get(badge)!.id]));
  for (const entry of outcome.lines) if (entry.personId === null) entry.personId = createdIds.get(entry.line) ?? null;

  const changing = plan.toUpdate.map(({ person, line, email }) => ({
    person,
    id: person.id,
    fields: { firstname: line.firstname, lastname: line.lastname, externalRef: person.externalRef, email },
  }));
  const changed = new Map((await updatePeople(change.tx, changing)).map((person) => [person.id, person]));
  for (const { id } of changing) if (!changed.has(id)) throw DomainError.notFoundOf('person', id);
  await change.auditAll([
    ...creating.map(({ badge }) => {
      const person = inserted.get(badge)!;
      return { action: 'create', entity: 'person', entityId: person.id, after: audited(person) };
    }),
    ...changing.map(({ person, id }) => ({
      action: 'update',
      entity: 'person',
      entityId: id,
      before: audited(person),
      after: audited(changed.get(id)!),
    })),
  ]);
  await addMembers(
    change.tx,
    groupId,
    outcome.lines.map((l) => l.personId!),
    since,
  );
  const { created, updated, unchanged, added } = outcome;
  const repeated = outcome.warnings.length;
  await change.audit({
    action: 'import-members',
    entity: 'group',
    entityId: groupId,
    after: { created, updated, unchanged, added, ...(repeated > 0 ? { repeated } : {}) },
  });
  return outcome;
}
