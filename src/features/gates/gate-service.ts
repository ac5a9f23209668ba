// Gates: the managed list kiosks and tokens choose from (a name and an optional capacity), and the
// venue's occupancy now, per gate, against capacity. Check-ins may still name a gate that is not listed
// (the seed API always could): such a gate is reported as unlisted, never refused.
// Every change to the list is audited in the same transaction as the change.
import { recordAudit } from '../audit/audit-log.js';
import type { Database, Queryable } from '../../db/database.js';
import { DomainError } from '../../domain/domain-error.js';
import { checkText } from '../people/person-service.js';

export interface Gate {
  id: number;
  name: string;
  /** How many people may be inside through this gate at once; null = no limit set. */
  capacity: number | null;
}

export interface GateFields {
  name?: string;
  capacity?: number | null;
}

const GATE_COLUMNS = `id::int AS id, name, capacity`;

export async function listGates(db: Queryable): Promise<Gate[]> {
  const { rows } = await db.query<Gate>(`SELECT ${GATE_COLUMNS} FROM gates ORDER BY name, id`);
  return rows;
}

function gateName(value: string): string {
  const checked = checkText(value, true);
  if ('error' in checked) throw DomainError.invalid('name', checked.error);
  return checked.value;
}

function capacity(value: number | null): number | null {
  if (value !== null && !(Number.isInteger(value) && value >= 1 && value <= 1_000_000)) {
    throw DomainError.invalid('capacity', 'must be a whole number from 1 to 1000000, or null for no limit');
  }
  return value;
}

/** A second gate with the same name is a 409 naming the field. */
async function uniqueName<T>(work: () => Promise<T>, name: string): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const e = error as { code?: string; constraint?: string; message?: string };
    if (e.code === '23505' && (e.constraint === 'gates_name_key' || (e.message ?? '').includes('gates_name_key'))) {
      throw DomainError.conflict('name', `a gate named "${name}" exists already`);
    }
    throw error;
  }
}

const notFound = (id: number) => new DomainError(404, 'Not found', `There is no gate with id ${id}.`);

export async function createGate(db: Database, actor: string, fields: { name: string; capacity?: number | null }): Promise<Gate> {
  const name = gateName(fields.name);
  const limit = capacity(fields.capacity ?? null);
  return uniqueName(
    () =>
      db.transaction(async (tx) => {
        const { rows } = await tx.query<Gate>(`INSERT INTO gates (name, capacity) VALUES ($1, $2) RETURNING ${GATE_COLUMNS}`, [
          name,
          limit,
        ]);
        const gate = rows[0]!;
        await recordAudit(tx, { actor, action: 'create', entity: 'gate', entityId: gate.id, after: gate });
        return gate;
      }),
    name,
  );
}

export async function changeGate(db: Database, actor: string, id: number, fields: GateFields): Promise<Gate> {
  const name = fields.name === undefined ? undefined : gateName(fields.name);
  const limit = fields.capacity === undefined ? undefined : capacity(fields.capacity);
  return uniqueName(
    () =>
      db.transaction(async (tx) => {
        const { rows: found } = await tx.query<Gate>(`SELECT ${GATE_COLUMNS} FROM gates WHERE id = $1 FOR UPDATE`, [id]);
        const before = found[0];
        if (!before) throw notFound(id);
        const after = { ...before, ...(name === undefined ? {} : { name }), ...(limit === undefined ? {} : { capacity: limit }) };
        if (after.name === before.name && after.capacity === before.capacity) return before;
        await tx.query(`UPDATE gates SET name = $2, capacity = $3 WHERE id = $1`, [id, after.name, after.capacity]);
        await recordAudit(tx, { actor, action: 'update', entity: 'gate', entityId: id, before, after });
        return after;
      }),
    name ?? '',
  );
}

/** Takes a gate off the list; its check-ins keep their gate name (it shows as unlisted). */
export async function removeGate(db: Database, actor: string, id: number): Promise<void> {
  await db.transaction(async (tx) => {
    const { rows } = await tx.query<Gate>(`DELETE FROM gates WHERE id = $1 RETURNING ${GATE_COLUMNS}`, [id]);
    if (!rows[0]) throw notFound(id);
    await recordAudit(tx, { actor, action: 'delete', entity: 'gate', entityId: id, before: rows[0] });
  });
}

// ---- Occupancy -------------------------------------------------------------------------------------

export interface GateOccupancy {
  gate: string;
  /** People whose last passage today (up to now) was a check-in through this gate. */
  inside: number;
  capacity: number | null;
  /** False for a gate that check-ins name but the managed list does not hold. */
  listed: boolean;
}

export interface Occupancy {
  date: string;
  timezone: string;
  inside: number;
  /** The sum of the listed gates' capacities, when every listed gate has one; otherwise null. */
  capacity: number | null;
  gates: GateOccupancy[];
  /** When this was counted (ISO 8601, APP_TIMEZONE). */
  at: string;
}

/**
 * Who is inside now, per gate: a person (their person id, or their folded typed name for a walk-in) is
 * inside when their last passage of the day up to now was a check-in; they count at the gate of that
 * check-in. Counts only: no name leaves this function. Listed gates appear even when nobody is inside.
 */
export async function occupancy(db: Queryable, day: string, timezone: string): Promise<Occupancy> {
  const { rows } = await db.query<{ gate: string; inside: number; capacity: number | null; listed: boolean; at: string }>(
    `WITH last AS (
       SELECT DISTINCT ON (coalesce('#' || person_id::text, name_key)) gate, direction
         FROM checkins
        WHERE login >= $1::date::timestamptz AND login < ($1::date + 1)::timestamptz AND login <= now() AND deleted_at IS NULL
        ORDER BY coalesce('#' || person_id::text, name_key), login DESC, id DESC
     ), counted AS (
       SELECT gate, count(*)::int AS inside FROM last WHERE direction = 'in' GROUP BY gate
     )
     SELECT coalesce(g.name, c.gate) AS gate, coalesce(c.inside, 0) AS inside, g.capacity, g.id IS NOT NULL AS listed,
            to_json(now()) #>> '{}' AS at
       FROM gates g FULL JOIN counted c ON c.gate = g.name
      ORDER BY g.id IS NULL, coalesce(g.name, c.gate)`,
    [day],
  );
  const listed = rows.filter((row) => row.listed);
  const at = rows[0]?.at ?? new Date().toISOString();
  return {
    date: day,
    timezone,
    inside: rows.reduce((sum, row) => sum + row.inside, 0),
    capacity:
      listed.length > 0 && listed.every((row) => row.capacity !== null) ? listed.reduce((sum, row) => sum + row.capacity!, 0) : null,
    gates: rows.map(({ gate, inside, capacity: limit, listed: isListed }) => ({ gate, inside, capacity: limit, listed: isListed })),
    at,
  };
}
