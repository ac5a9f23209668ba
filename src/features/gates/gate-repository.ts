// The SQL of gates: the managed list, and who is inside now per gate (counts only).
import type { Queryable } from '../../db/database.js';
import type { AttendanceDays, DayBounds } from '../../domain/attendance-day.js';

export interface Gate {
  id: number;
  name: string;
  /** How many people may be inside through this gate at once; null = no limit set. */
  capacity: number | null;
}

const GATE_COLUMNS = `id::int AS id, name, capacity`;

export async function listGates(db: Queryable): Promise<Gate[]> {
  const { rows } = await db.query<Gate>(`SELECT ${GATE_COLUMNS} FROM gates ORDER BY name, id`);
  return rows;
}

export async function insertGate(tx: Queryable, name: string, capacity: number | null): Promise<Gate> {
  const { rows } = await tx.query<Gate>(`INSERT INTO gates (name, capacity) VALUES ($1, $2) RETURNING ${GATE_COLUMNS}`, [name, capacity]);
  return rows[0]!;
}

/** The gate (`lock`: held until the transaction ends); undefined when there is none. */
export async function findGate(db: Queryable, id: number, lock = false): Promise<Gate | undefined> {
  const { rows } = await db.query<Gate>(`SELECT ${GATE_COLUMNS} FROM gates WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
  return rows[0];
}

export async function updateGate(tx: Queryable, gate: Gate): Promise<void> {
  await tx.query(`UPDATE gates SET name = $2, capacity = $3 WHERE id = $1`, [gate.id, gate.name, gate.capacity]);
}

/** The removed gate; undefined when there was none. */
export async function deleteGate(tx: Queryable, id: number): Promise<Gate | undefined> {
  const { rows } = await tx.query<Gate>(`DELETE FROM gates WHERE id = $1 RETURNING ${GATE_COLUMNS}`, [id]);
  return rows[0];
}

/** A gate's name that is taken already (PostgreSQL's unique violation on gates.name). */
export function isTakenName(error: unknown): boolean {
  const e = error as { code?: string; constraint?: string; message?: string };
  return e.code === '23505' && (e.constraint === 'gates_name_key' || (e.message ?? '').includes('gates_name_key'));
}

export interface GateCount {
  gate: string;
  inside: number;
  capacity: number | null;
  listed: boolean;
  /** When this was counted (ISO 8601, the database's clock). */
  at: string;
}

/**
 * Who is inside now, per gate: a person (their person id, or their folded typed name for a walk-in) is
 * inside when their last passage of the attendance day `day` up to now was a check-in; they count at the
 * gate of that check-in. Counts only: no name leaves this function. Listed gates appear even when nobody
 * is inside.
 */
export async function countInside(db: Queryable, days: AttendanceDays, day: DayBounds): Promise<GateCount[]> {
  const { rows } = await db.query<GateCount>(
    `WITH last AS (
       SELECT DISTINCT ON (coalesce('#' || person_id::text, name_key)) gate, direction
         FROM checkins
        WHERE login >= $1::timestamptz AND login < $2::timestamptz AND login <= now() AND deleted_at IS NULL
        ORDER BY coalesce('#' || person_id::text, name_key), login DESC, id DESC
     ), counted AS (
       SELECT gate, count(*)::int AS inside FROM last WHERE direction = 'in' GROUP BY gate
     )
     SELECT coalesce(g.name, c.gate) AS gate, coalesce(c.inside, 0) AS inside, g.capacity, g.id IS NOT NULL AS listed,
            ${days.isoSql('now()')} AS at
       FROM gates g FULL JOIN counted c ON c.gate = g.name
      ORDER BY g.id IS NULL, coalesce(g.name, c.gate)`,
    [day.start, day.end],
  );
  return rows;
}
