// The live-update bus: "attendance changed" events for the attendance sheet's viewers. The check-in
// service announces every committed change (creation, correction, deletion, restore) with
// `app.attendanceEvents.changed()`; routes/admin-events.ts streams them to browsers.
//
// Within a process the bus coalesces changes (at most one event per COALESCE_MS); on PostgreSQL each
// coalesced change is also sent with NOTIFY and received with LISTEN, so that changes handled by other
// replicas reach this one's viewers too. Events carry no personal data.
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import pg from 'pg';
import type { PluginContext } from '../app.js';

const CHANNEL = 'barona_attendance';
const COALESCE_MS = 250;

export interface AttendanceChange {
  /** Which process saw the write (replicas ignore their own notifications). */
  origin: string;
  at: string;
}

type Listener = (change: AttendanceChange) => void;

/** Coalescing publish/subscribe for "attendance changed" within one process. */
export class AttendanceEvents {
  readonly origin = randomUUID();
  private readonly listeners = new Set<Listener>();
  private pending: NodeJS.Timeout | undefined;
  /** Called with each coalesced local change (used to NOTIFY other replicas). */
  onLocalChange: ((change: AttendanceChange) => void) | undefined;

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get subscribers(): number {
    return this.listeners.size;
  }

  /** A write happened in this process. */
  changed(): void {
    if (this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      const change = { origin: this.origin, at: new Date().toISOString() };
      this.deliver(change);
      this.onLocalChange?.(change);
    }, COALESCE_MS);
  }

  /** A change reported by another replica. */
  remoteChanged(change: AttendanceChange): void {
    if (change.origin !== this.origin) this.deliver(change);
  }

  private deliver(change: AttendanceChange): void {
    for (const listener of this.listeners) listener(change);
  }

  close(): void {
    clearTimeout(this.pending);
    this.listeners.clear();
  }
}

/** How long a page told to reconnect waits before it does (EventSource's `retry:`), in milliseconds. */
export const RECONNECT_RETRY_MS = 1_000;

/**
 * The server-sent-events streams open in this process. A stream holds its connection for as long as the
 * page is open, so a shutdown would otherwise wait for its timeout: `endAll()` (called as soon as the
 * shutdown begins) sends each a last `reconnect` event with a short `retry:` and closes it, and a stream
 * opened after that gets the same at once. The page reconnects, through the load balancer, to a replica
 * that is not stopping (public/sheet.js).
 */
export class LiveStreams {
  private readonly open = new Set<ServerResponse>();
  private ending = false;

  get size(): number {
    return this.open.size;
  }

  /** Whether the process is ending its streams (a new one is told to reconnect elsewhere at once). */
  get closing(): boolean {
    return this.ending;
  }

  /** Keeps `stream` (its headers already written) until it closes; false when it was ended at once. */
  add(stream: ServerResponse): boolean {
    if (this.ending) {
      LiveStreams.sendOff(stream);
      return false;
    }
    this.open.add(stream);
    stream.once('close', () => this.open.delete(stream));
    return true;
  }

  /** Tells every open stream to reconnect, closes it, and refuses to keep new ones. Returns how many. */
  endAll(): number {
    this.ending = true;
    const count = this.open.size;
    for (const stream of this.open) LiveStreams.sendOff(stream);
    this.open.clear();
    return count;
  }

  private static sendOff(stream: ServerResponse): void {
    if (stream.writableEnded) return;
    stream.write(`retry: ${RECONNECT_RETRY_MS}\nevent: reconnect\ndata: {}\n\n`);
    // End the response and its connection too: a kept-alive idle connection would hold the shutdown.
    stream.end(() => stream.socket?.end());
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    attendanceEvents: AttendanceEvents;
    liveStreams: LiveStreams;
  }
}

/** LISTEN on PostgreSQL with a dedicated connection, reconnecting with backoff until closed. */
function listenOnPostgres(app: FastifyInstance, connectionString: string, events: AttendanceEvents): () => Promise<void> {
  let client: pg.Client | undefined;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  const connect = async (delay: number) => {
    if (closed) return;
    const candidate = new pg.Client({ connectionString, application_name: 'barona-live' });
    const retry = () => {
      if (closed || client !== candidate) return;
      client = undefined;
      candidate.end().catch(() => {});
      timer = setTimeout(() => void connect(Math.min(delay * 2, 30_000)), delay);
    };
    client = candidate;
    candidate.on('error', retry);
    candidate.on('end', retry);
    candidate.on('notification', (message) => {
      try {
        events.remoteChanged(JSON.parse(message.payload ?? '{}') as AttendanceChange);
      } catch {
        // not ours
      }
    });
    try {
      await candidate.connect();
      await candidate.query(`LISTEN ${CHANNEL}`);
      delay = 1_000;
    } catch (error) {
      app.log.warn({ reason: (error as Error).message }, 'live updates: LISTEN failed; retrying');
      retry();
    }
  };
  void connect(1_000);
  return async () => {
    closed = true;
    clearTimeout(timer);
    await client?.end().catch(() => {});
  };
}

export const liveUpdates = fp(
  async (app: FastifyInstance, context: PluginContext) => {
    const events = new AttendanceEvents();
    app.decorate('attendanceEvents', events);
    const streams = new LiveStreams();
    app.decorate('liveStreams', streams);
    let stopListening: (() => Promise<void>) | undefined;
    if (context.config.database.kind === 'postgres') {
      // LISTEN needs a session of its own: the direct connection, not a pooler in transaction mode.
      const connectionString = context.config.database.directConnectionString ?? context.config.database.connectionString;
      events.onLocalChange = (change) => {
        context.db.query('SELECT pg_notify($1, $2)', [CHANNEL, JSON.stringify(change)]).catch((error: Error) => {
          app.log.warn({ reason: error.message }, 'live updates: NOTIFY failed');
        });
      };
      app.addHook('onReady', async () => {
        stopListening = listenOnPostgres(app, connectionString, events);
      });
    }
    // Whatever is still open when the app closes (a test's app, a shutdown that skipped endAll).
    app.addHook('preClose', async () => {
      streams.endAll();
    });
    app.addHook('onClose', async () => {
      events.close();
      await stopListening?.();
    });
  },
  { name: 'live-updates' },
);
