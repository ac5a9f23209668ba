// Gates: the managed list kiosks and tokens choose from (a name and an optional capacity), and the
// venue's occupancy now, per gate, against capacity. Check-ins may still name a gate that is not listed
// (the seed API always could): such a gate is reported as unlisted, never refused.
//
// Who may do what: the list is for whoever reads attendance or records check-ins (kiosks choose their
// gate from it); changing it needs 'gates:write' (owners and managers); the occupancy is counts only, so
// it needs no role at all (the venue's big screen shows it without credentials). Every change to the
// list is audited in the same transaction as the change.
import { type Actor, authorize, can } from '../../domain/actor.js';
import { attendanceDays } from '../../domain/attendance-day.js';
import { DomainError } from '../../domain/domain-error.js';
import type { ServiceDeps } from '../../services.js';
import { checkText } from '../people/person-service.js';
import { countInside, deleteGate, findGate, type Gate, insertGate, isTakenName, listGates, updateGate } from './gate-repository.js';

export type { Gate } from './gate-repository.js';

export interface GateFields {
  name?: string;
  capacity?: number | null;
}

export interface GateOccupancy {
  gate: string;
  /** People whose last passage today (up to now) was a check-in through this gate. */
  inside: number;
  capacity: number | null;
  /** False for a gate that check-ins name but the managed list does not hold. */
  listed: boolean;
}

export interface Occupancy {
  /** The attendance day counted (DAY_STARTS_AT in APP_TIMEZONE). */
  date: string;
  timezone: string;
  dayStartsAt: string;
  inside: number;
  /** The sum of the listed gates' capacities, when every listed gate has one; otherwise null. */
  capacity: number | null;
  gates: GateOccupancy[];
  /** When this was counted (ISO 8601). */
  at: string;
}

/** However many screens ask, the occupancy is counted at most once per this many milliseconds per process. */
export const OCCUPANCY_TTL_MS = 2000;

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
    if (isTakenName(error)) throw DomainError.conflict('name', `a gate named "${name}" exists already`);
    throw error;
  }
}

/** The gates with their capacities: for those who read attendance or record check-ins (kiosks). */
function authorizeRead(actor: Actor): void {
  if (!can(actor, 'attendance:read') && !can(actor, 'attendance:record')) {
    throw DomainError.forbidden('Only those who read attendance or record check-ins see the list of gates.');
  }
}

export class GateService {
  private counted: { at: number; value: Promise<Occupancy> } | undefined;

  constructor(private readonly deps: ServiceDeps) {}

  /** The managed list, by name: for whoever reads attendance or records check-ins. */
  async list(actor: Actor): Promise<Gate[]> {
    authorizeRead(actor);
    return listGates(this.deps.db);
  }

  async get(actor: Actor, id: number): Promise<Gate> {
    authorizeRead(actor);
    const gate = await findGate(this.deps.db, id);
    if (!gate) throw DomainError.notFoundOf('gate', id);
    return gate;
  }

  /**
   * The gates' names, for anyone: the venue's public big screen shows them too, and a kiosk being set up
   * offers them before it has a token.
   */
  async names(): Promise<string[]> {
    return (await listGates(this.deps.db)).map((gate) => gate.name);
  }

  async create(actor: Actor, fields: { name: string; capacity?: number | null }): Promise<Gate> {
    authorize(actor, 'gates:write');
    const name = gateName(fields.name);
    const limit = capacity(fields.capacity ?? null);
    return uniqueName(
      () =>
        this.deps.changes.run(actor, async (change) => {
          const gate = await insertGate(change.tx, name, limit);
          await change.audit({ action: 'create', entity: 'gate', entityId: gate.id, after: gate });
          return gate;
        }),
      name,
    );
  }

  /** Renames a gate or changes its capacity; earlier check-ins keep the name they were made with. */
  async change(actor: Actor, id: number, fields: GateFields): Promise<Gate> {
    authorize(actor, 'gates:write');
    const name = fields.name === undefined ? undefined : gateName(fields.name);
    const limit = fields.capacity === undefined ? undefined : capacity(fields.capacity);
    return uniqueName(
      () =>
        this.deps.changes.run(actor, async (change) => {
          const before = await findGate(change.tx, id, true);
          if (!before) throw DomainError.notFoundOf('gate', id);
          const after = { ...before, ...(name === undefined ? {} : { name }), ...(limit === undefined ? {} : { capacity: limit }) };
          if (after.name === before.name && after.capacity === before.capacity) return before;
          await updateGate(change.tx, after);
          await change.audit({ action: 'update', entity: 'gate', entityId: id, before, after });
          return after;
        }),
      name ?? '',
    );
  }

  /** Takes a gate off the list; its check-ins keep their gate name (it shows as unlisted). */
  async remove(actor: Actor, id: number): Promise<void> {
    authorize(actor, 'gates:write');
    await this.deps.changes.run(actor, async (change) => {
      const removed = await deleteGate(change.tx, id);
      if (!removed) throw DomainError.notFoundOf('gate', id);
      await change.audit({ action: 'delete', entity: 'gate', entityId: id, before: removed });
    });
  }

  /**
   * Who is inside now, per gate, against capacity: counts only, no personal data, so it asks for no
   * role (the big screen and /api/v1/occupancy are public). Counted at most once per OCCUPANCY_TTL_MS,
   * for the screens that keep asking; `fresh` counts now (a page rendered once, after a change).
   */
  async occupancy(options: { fresh?: boolean } = {}): Promise<Occupancy> {
    const now = Date.now();
    if (options.fresh || !this.counted || now - this.counted.at >= OCCUPANCY_TTL_MS) {
      const value = this.count();
      const counted = { at: now, value };
      this.counted = counted;
      // A failed count is not kept.
      value.catch(() => {
        if (this.counted === counted) this.counted = undefined;
      });
    }
    return this.counted.value;
  }

  /** Counts within the attendance day containing now (DAY_STARTS_AT), so an overnight event keeps its people inside past midnight. */
  private async count(): Promise<Occupancy> {
    const { timezone, dayStartsAt } = this.deps.config;
    const days = attendanceDays(this.deps.config);
    const today = days.current();
    const day = today.day;
    const rows = await countInside(this.deps.db, days, today);
    const listed = rows.filter((row) => row.listed);
    return {
      date: day,
      timezone,
      dayStartsAt,
      inside: rows.reduce((sum, row) => sum + row.inside, 0),
      capacity:
        listed.length > 0 && listed.every((row) => row.capacity !== null) ? listed.reduce((sum, row) => sum + row.capacity!, 0) : null,
      gates: rows.map(({ gate, inside, capacity: limit, listed: isListed }) => ({ gate, inside, capacity: limit, listed: isListed })),
      at: rows[0]?.at ?? new Date().toISOString(),
    };
  }
}
