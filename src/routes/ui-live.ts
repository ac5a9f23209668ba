// Live updates for the attendance sheet: GET /admin/events is a server-sent-events stream that says
// "attendance changed" whenever a check-in is written or corrected; the page then reloads its data.
//
// Sources: an in-process event bus fed by every successful check-in write or correction handled by this
// process (any route: seed, /api/v1, admin pages), and, on PostgreSQL, LISTEN/NOTIFY so that writes
// handled by other replicas reach this one's viewers too. Notifications are coalesced (at most one per
// COALESCE_MS per process) and carry no personal data.
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import pg from 'pg';
import type { AppContext } from '../app.js';
import { sessionOf } from '../plugins/access-control.js';
import { findSession } from '../auth/sessions.js';

const CHANNEL = 'barona_attendance';
const COALESCE_MS = 250;
const HEARTBEAT_MS = 20_000;

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

declare module 'fastify' {
  interface FastifyInstance {
    attendanceEvents: AttendanceEvents;
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

const plugin: FastifyPluginAsync<AppContext> = async (app, context) => {
  const events = new AttendanceEvents();
  app.decorate('attendanceEvents', events);
  const streams = new Set<ServerResponse>();

  // Every successful check-in write or correction, whichever route handled it, is a change.
  app.addHook('onResponse', async (request, reply) => {
    if (reply.statusCode >= 200 && reply.statusCode < 300 && request.method !== 'GET' && request.method !== 'HEAD') {
      const access = request.routeOptions.config.access;
      if (access === 'checkin' || access === 'admin') events.changed();
    }
  });

  let stopListening: (() => Promise<void>) | undefined;
  if (context.config.database.kind === 'postgres') {
    const connectionString = context.config.database.connectionString;
    events.onLocalChange = (change) => {
      context.db.query('SELECT pg_notify($1, $2)', [CHANNEL, JSON.stringify(change)]).catch((error: Error) => {
        app.log.warn({ reason: error.message }, 'live updates: NOTIFY failed');
      });
    };
    app.addHook('onReady', async () => {
      stopListening = listenOnPostgres(app, connectionString, events);
    });
  }

  // Open streams would hold a graceful shutdown open: end them first.
  app.addHook('preClose', async () => {
    for (const stream of streams) stream.end();
  });
  app.addHook('onClose', async () => {
    events.close();
    await stopListening?.();
  });

  app.get('/admin/events', { config: { access: 'admin-page' } }, async (request, reply) => {
    const session = sessionOf(request);
    const raw = reply.raw;
    reply.hijack();
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
      'x-content-type-options': 'nosniff',
      connection: 'keep-alive',
    });
    raw.write('retry: 3000\n\n');
    raw.write(`event: ready\ndata: {}\n\n`);
    streams.add(raw);
    const unsubscribe = events.subscribe((change) => raw.write(`event: change\ndata: ${JSON.stringify({ at: change.at })}\n\n`));
    // The heartbeat also re-checks the session, so a signed-out or expired session stops receiving.
    const heartbeat = setInterval(() => {
      const cookie = request.cookies.barona_session ?? '';
      findSession(context.db, cookie, context.config.auth)
        .then((current) => {
          if (current?.tokenHash === session.tokenHash) raw.write(': ping\n\n');
          else {
            raw.write('event: signed-out\ndata: {}\n\n');
            raw.end();
          }
        })
        .catch(() => raw.write(': ping\n\n'));
    }, HEARTBEAT_MS);
    const cleanup = () => {
      clearInterval(heartbeat);
      unsubscribe();
      streams.delete(raw);
    };
    raw.on('close', cleanup);
  });
};

// Installed like a fastify-plugin: its hook and decorator apply to the whole application.
(plugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
export const uiLiveRoutes = plugin;
