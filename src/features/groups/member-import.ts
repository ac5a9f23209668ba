// Importing a group's members from CSV (firstname,lastname,externalRef,email; header required; UTF-8
// with or without BOM; `;` or `,` between fields). People are found by external reference (or, without
// one, by their name among the group's members), created or updated, then made members. Every line is
// checked first: one bad line and nothing is written. The writes happen in one transaction.
import { CsvError, parse } from 'csv-parse/sync';
import { recordAudit } from '../audit/audit-log.js';
import type { Database, Queryable } from '../../db/database.js';
import { checkEmail, checkText, newBadge, uniqueExternalRef } from '../people/person-service.js';
import { DomainError, type LineError } from '../../domain/domain-error.js';
import { findGroup } from './group-repository.js';

/** More lines than this is not a roster but a migration; split it. */
export const IMPORT_MAX_LINES = 20_000;

const COLUMNS = ['firstname', 'lastname', 'externalref', 'email'] as const;
type Column = (typeof COLUMNS)[number];
const FIELD: Record<Column, string> = { firstname: 'firstname', lastname: 'lastname', externalref: 'externalRef', email: 'email' };

interface ImportLine {
  line: number;
  firstname: string;
  lastname: string;
  externalRef: string | null;
  /** undefined: the file has no email column (the stored e-mail is kept). */
  email: string | null | undefined;
}

export interface ImportOutcome {
  dryRun: boolean;
  created: number;
  updated: number;
  unchanged: number;
  added: number;
  lines: { line: number; result: 'created' | 'updated' | 'unchanged'; personId: number | null; newMember: boolean }[];
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
  for (const { record, info } of rows) {
    const line = info.lines;
    if (record.length !== header.length) {
      errors.push({ line, field: 'csv', message: `has ${record.length} fields; the header has ${header.length}` });
      continue;
    }
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
    if (firstname !== null && lastname !== null) lines.push({ line, firstname, lastname, externalRef, email });
  }
  if (errors.length > 0) throw DomainError.invalidLines(errors);
  return lines;
}

interface Known {
  id: number;
  firstname: string;
  lastname: string;
  email: string | null;
  member: boolean;
}

/**
 * Who each line is: the person with its external reference; or, without one, the one member of the
 * group with the same folded name. Lines without a reference that share a folded name are refused.
 */
async function resolve(tx: Queryable, groupId: number, lines: ImportLine[]): Promise<(Known | undefined)[]> {
  const { rows } = await tx.query<{ ord: number; key: string; known: Known | null; matches: number }>(
    `WITH input AS (
       SELECT r.ord::int AS ord, r.ref, person_fold(r.fn || ' ' || r.ln) AS key
         FROM unnest($2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS r(fn, ln, ref, ord)
     )
     SELECT i.ord, i.key,
            (SELECT count(*)::int FROM group_members m JOIN people p ON p.id = m.person_id
              WHERE i.ref IS NULL AND m.group_id = $1 AND p.match_key = i.key) AS matches,
            (SELECT json_build_object('id', p.id, 'firstname', p.firstname, 'lastname', p.lastname, 'email', p.email,
                                      'member', EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = $1 AND m.person_id = p.id))
               FROM people p
              WHERE (i.ref IS NOT NULL AND p.external_ref = i.ref)
                 OR (i.ref IS NULL AND p.match_key = i.key AND p.id IN (SELECT person_id FROM group_members WHERE group_id = $1))
              ORDER BY p.id LIMIT 1) AS known
       FROM input i ORDER BY i.ord`,
    [groupId, lines.map((l) => l.firstname), lines.map((l) => l.lastname), lines.map((l) => l.externalRef)],
  );
  const errors: LineError[] = [];
  const keyLines = new Map<string, number>();
  const known = rows.map((row) => {
    const line = lines[row.ord - 1]!;
    if (line.externalRef !== null) return row.known ?? undefined;
    const earlier = keyLines.get(row.key);
    if (earlier !== undefined) {
      errors.push({ line: line.line, field: 'externalRef', message: `is needed: line ${earlier} has the same name` });
    } else keyLines.set(row.key, line.line);
    if (row.matches > 1) {
      errors.push({ line: line.line, field: 'externalRef', message: `is needed: ${row.matches} members of the group have this name` });
    }
    return row.known ?? undefined;
  });
  if (errors.length > 0) throw DomainError.invalidLines(errors);
  return known;
}

export async function importMembers(db: Database, actor: string, groupId: number, body: string, dryRun: boolean): Promise<ImportOutcome> {
  const lines = parseMembersCsv(body);
  return uniqueExternalRef(
    () =>
      db.transaction(async (tx) => {
        if (!(await findGroup(tx, groupId, true))) throw DomainError.notFoundOf('group', groupId);
        const known = await resolve(tx, groupId, lines);
        const outcome: ImportOutcome = { dryRun, created: 0, updated: 0, unchanged: 0, added: 0, lines: [] };
        const toCreate: ImportLine[] = [];
        const toUpdate: { id: number; line: ImportLine; email: string | null }[] = [];
        lines.forEach((line, i) => {
          const person = known[i];
          if (!person) {
            toCreate.push(line);
            outcome.lines.push({ line: line.line, result: 'created', personId: null, newMember: true });
            return;
          }
          const email = line.email === undefined ? person.email : line.email;
          const same = person.firstname === line.firstname && person.lastname === line.lastname && person.email === email;
          if (!same) toUpdate.push({ id: person.id, line, email });
          outcome.lines.push({ line: line.line, result: same ? 'unchanged' : 'updated', personId: person.id, newMember: !person.member });
        });
        outcome.created = toCreate.length;
        outcome.updated = toUpdate.length;
        outcome.unchanged = lines.length - toCreate.length - toUpdate.length;
        outcome.added = outcome.lines.filter((l) => l.newMember).length;
        if (dryRun) return outcome;

        const { rows: created } = await tx.query<{ id: number }>(
          `WITH input AS MATERIALIZED (
             SELECT nextval((SELECT pg_get_serial_sequence('people', 'id'))::regclass) AS id, r.*
               FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS r(fn, ln, ref, email, badge, ord)
           ), inserted AS (
             INSERT INTO people (id, firstname, lastname, external_ref, email, badge)
             SELECT id, fn, ln, ref, email, badge FROM input ORDER BY ord RETURNING id
           )
           SELECT input.id FROM input JOIN inserted USING (id) ORDER BY input.ord`,
          [
            toCreate.map((l) => l.firstname),
            toCreate.map((l) => l.lastname),
            toCreate.map((l) => l.externalRef),
            toCreate.map((l) => l.email ?? null),
            toCreate.map(() => newBadge()),
          ],
        );
        const createdIds = new Map(toCreate.map((line, i) => [line.line, Number(created[i]!.id)]));
        for (const entry of outcome.lines) if (entry.personId === null) entry.personId = createdIds.get(entry.line) ?? null;

        if (toUpdate.length > 0) {
          await tx.query(
            `UPDATE people p SET firstname = u.fn, lastname = u.ln, email = u.email, updated_at = now()
               FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) AS u(id, fn, ln, email)
              WHERE p.id = u.id`,
            [
              toUpdate.map((u) => u.id),
              toUpdate.map((u) => u.line.firstname),
              toUpdate.map((u) => u.line.lastname),
              toUpdate.map((u) => u.email),
            ],
          );
        }
        await tx.query(
          `INSERT INTO group_members (group_id, person_id) SELECT $1, p FROM unnest($2::bigint[]) AS p ON CONFLICT DO NOTHING`,
          [groupId, outcome.lines.map((l) => l.personId)],
        );
        await recordAudit(tx, {
          actor,
          action: 'import-members',
          entity: 'group',
          entityId: groupId,
          after: { created: outcome.created, updated: outcome.updated, unchanged: outcome.unchanged, added: outcome.added },
        });
        return outcome;
      }),
    null,
  );
}
