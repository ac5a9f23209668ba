// What the gate kiosk asks besides recording check-ins (which it does through the check-in service, with
// an Idempotency-Key on every request): the roster it keeps for scanning offline, the roster search for
// someone without their badge, and taking back the check-in it just made.
//
// The roster a kiosk keeps holds ids, names and badge codes, nothing else: with it the tablet names a
// scanned badge and refuses an unknown one without the network. Whoever may record check-ins may already
// check anyone in by badge, so the codes tell them nothing they could not do; gates are not limited to
// groups, so it is everyone. It carries a strong ETag (a hash of what is answered), so a kiosk refreshing
// an unchanged roster is told 304.
// The search answers only ids and names, and searches only names: the kiosk stands in public, so a
// reference number or e-mail address typed into it must not reveal whose it is.
//
// Undo is a deletion by the check-in service, with the kiosk's token as the actor. A token may take back
// only an entry that token recorded itself (its Idempotency-Key, stored per caller, says so: see
// checkin-service.ts), at its gate, within UNDO_WINDOW_SECONDS; every other entry is answered exactly as
// a missing one, so a token learns nothing of entries that are not its own. Staff who may correct
// attendance (and anonymous callers of AUTH_MODE=open, who may too) undo at the kiosk's gate within the
// same window. The check and the deletion are one transaction.
import { createHash } from 'node:crypto';
import { type Actor, authorize } from '../../domain/actor.js';
import { DomainError } from '../../domain/domain-error.js';
import type { ServiceDeps } from '../../services.js';
import type { CheckinEntry } from '../checkins/checkin-repository.js';
import type { CheckinService } from '../checkins/checkin-service.js';
import { personFold } from '../checkins/person-name.js';
import { findByName, listRoster, type RosterEntry, type RosterName } from './kiosk-repository.js';

export type { RosterEntry } from './kiosk-repository.js';

export interface Roster {
  people: RosterEntry[];
  /** Strong validator of exactly this list (quoted, as sent in the ETag header). */
  etag: string;
}

/** How long after it was recorded a kiosk may take a check-in back. */
export const UNDO_WINDOW_SECONDS = 120;
/** How many people the roster search answers at most. */
export const ROSTER_MATCHES = 10;

export class KioskService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly checkins: CheckinService,
  ) {}

  /** The people a kiosk may scan (see the module comment), with the ETag of the list. */
  async roster(actor: Actor): Promise<Roster> {
    authorize(actor, 'attendance:record');
    const people = await listRoster(this.deps.db);
    const hash = createHash('sha256');
    for (const person of people) hash.update(JSON.stringify([person.id, person.firstname, person.lastname, person.badge]));
    return { people, etag: `"${hash.digest('base64url').slice(0, 32)}"` };
  }

  /**
   * At most ROSTER_MATCHES people whose names hold every word of `q` (folded like every people search:
   * case, accents and punctuation aside, either name order), by last and first name; ids and names only.
   */
  async search(actor: Actor, q: string): Promise<RosterName[]> {
    authorize(actor, 'attendance:record');
    if (q.replace(/[\s\p{P}\p{S}]/gu, '').length < 2) throw DomainError.invalid('q', 'needs at least 2 letters or digits');
    // Words split at spaces, commas and semicolons, as the people search splits them.
    const terms = q
      .split(/[\s,;]+/)
      .map(personFold)
      .filter((term) => term !== '');
    if (terms.length === 0) return [];
    const found = await findByName(this.deps.db, terms, ROSTER_MATCHES);
    const byName = new Intl.Collator(undefined, { sensitivity: 'base' });
    return found.sort((a, b) => byName.compare(a.lastname, b.lastname) || byName.compare(a.firstname, b.firstname) || a.id - b.id);
  }

  /**
   * Takes back entry `id`, just recorded at the kiosk standing at `gate` (a token bound to a gate is at
   * that gate whatever it names). See the module comment for who may; answers the entry as it was.
   */
  async undo(actor: Actor, id: number, gate: string): Promise<CheckinEntry> {
    if (actor.kind === 'token') {
      authorize(actor, 'attendance:record');
      const at = actor.gate !== '' ? actor.gate : gate.trim();
      return this.checkins.delete(actor, id, async (entry, tx) => {
        // One answer for "not this token's" and "no such entry": the same 404 the deletion gives.
        if (entry.gate !== at || !(await this.checkins.recordedBy(tx, actor, entry.id))) throw DomainError.notFound(id);
        this.withinWindow(entry);
      });
    }
    authorize(actor, 'attendance:correct');
    const at = gate.trim();
    return this.checkins.delete(actor, id, async (entry) => {
      if (entry.gate !== at) {
        throw DomainError.forbidden(`Check-in ${entry.id} was recorded at gate "${entry.gate}"; a kiosk at gate "${at}" cannot undo it.`);
      }
      this.withinWindow(entry);
    });
  }

  private withinWindow(entry: CheckinEntry): void {
    if (Date.now() - Date.parse(entry.recordedAt) > UNDO_WINDOW_SECONDS * 1000) {
      throw new DomainError(
        409,
        'Too late to undo',
        `Check-in ${entry.id} was recorded more than ${UNDO_WINDOW_SECONDS / 60} minutes ago; only an admin can delete it now.`,
      );
    }
  }
}
