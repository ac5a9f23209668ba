// GET /admin/events: a server-sent-events stream telling the attendance sheet "attendance changed"
// (from the live-update bus, plugins/live-updates.ts); the page then reloads its data.
import type { ServerResponse } from 'node:http';
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../app.js';
import { sessionOf } from '../plugins/access-control.js';
import { findSession } from '../auth/sessions.js';

const HEARTBEAT_MS = 20_000;

export const adminEventRoutes: FastifyPluginAsync<AppContext> = async (app, context) => {
  const events = app.attendanceEvents;
  const streams = new Set<ServerResponse>();

  // Open streams would hold a graceful shutdown open: end them first.
  app.addHook('preClose', async () => {
    for (const stream of streams) stream.end();
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
