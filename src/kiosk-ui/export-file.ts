// The file staff download for an admin when check-ins cannot be delivered.
import type { OutboxItem } from './outbox.js';

const two = (n: number) => String(n).padStart(2, '0');

/** barona-kiosk-<gate>-YYYY-MM-DD-HHMM.json, in the tablet's local time; the gate made safe for a file name. */
export function exportFileName(gate: string | undefined, at: Date): string {
  const day = `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())}`;
  const time = `${two(at.getHours())}${two(at.getMinutes())}`;
  return `barona-kiosk-${(gate || 'gate').replace(/[^\w-]+/g, '_')}-${day}-${time}.json`;
}

/** The file's content: each check-in with its Idempotency-Key and, when held, why. */
export function exportFile(items: readonly OutboxItem[], gate: string | undefined, at: Date) {
  return {
    exportedAt: at.toISOString(),
    gate,
    note: 'Check-ins a Barona kiosk could not deliver. POST each body to /api/v1/checkins with its Idempotency-Key header: none is counted twice.',
    checkins: items.map((item) => ({ idempotencyKey: item.key, ...item.body, problem: item.held?.reason ?? null })),
  };
}
