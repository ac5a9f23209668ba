// GET /admin/events: a server-sent-events stream telling the attendance sheet "attendance changed"
// (from the live-update bus, plugins/live-updates.ts); the page then reloads its data.
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../app.js';
import { sessionOf } from '../../plugins/access-control.js';

/** Open streams per session (a few tabs) and per process: each holds a connection and a subscription. */
export const LIVE_STREAMS_PER_SESSION = 5;
export const LIVE_STREAMS_TOTAL = 200;

export const adminEventRoutes: FastifyPluginAsync<AppContext> = async (app, context) => {
  const events = app.attendanceEvents;
  const streams = app.liveStreams;
  const perSession = new Map<string, number>();

  app.get('/admin/events', { config: { access: 'admin-page' } }, async (request, reply) => {
    const session = sessionOf(request);
    const open = perSession.get(session.tokenHash) ?? 0;
    if (open >= LIVE_STREAMS_PER_SESSION || streams.size >= LIVE_STREAMS_TOTAL) {
      return reply
        .code(429)
        .header('retry-after', '30')
        .send({
          detail:
            open >= LIVE_STREAMS_PER_SESSION
              ? `At most ${LIVE_STREAMS_PER_SESSION} live updates per session: close another tab of the sheet.`
              : 'Too many live-update streams are open on this server; try again shortly.',
        });
    }
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
    // A shutdown under way (app.liveStreams.endAll): told to reconnect, to another replica, at once.
    if (!streams.add(raw)) return;
    perSession.set(session.tokenHash, open + 1);
    raw.write(`event: ready\ndata: {}\n\n`);
    const unsubscribe = events.subscribe((change) => raw.write(`event: change\ndata: ${JSON.stringify({ at: change.at })}\n\n`));
    // The heartbeat also re-checks the session, so a signed-out or expired session stops receiving. It
    // only looks: an open tab is not activity, so an unattended sheet still times out.
    const heartbeat = setInterval(() => {
      const cookie = request.cookies.barona_session ?? '';
      context.services.staff
        .currentSession(cookie)
        .then((current) => {
          if (raw.writableEnded) return;
          if (current?.tokenHash === session.tokenHash) raw.write(': ping\n\n');
          else {
            raw.write('event: signed-out\ndata: {}\n\n');
            raw.end();
          }
        })
        .catch(() => raw.writableEnded || raw.write(': ping\n\n'));
    }, context.config.auth.liveHeartbeatSeconds * 1000);
    const cleanup = () => {
      clearInterval(heartbeat);
      unsubscribe();
      const left = (perSession.get(session.tokenHash) ?? 1) - 1;
      if (left > 0) perSession.set(session.tokenHash, left);
      else perSession.delete(session.tokenHash);
    };
    raw.on('close', cleanup);
  });
};
