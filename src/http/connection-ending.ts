// Keep-alive connections during a shutdown (server.ts runs the phases): while load balancers notice the
// failing readiness (the drain), every answer ends its connection, so clients reconnect elsewhere; while
// the listener settles before it closes, answers keep their connections again, so no client opens a new
// one here that the close would catch half-accepted. Decided when a request arrives, and changed for the
// answers not sent yet when the phase changes: nothing runs per request outside a shutdown.
import type { FastifyReply } from 'fastify';
import type { Readiness } from '../readiness.js';

declare module 'fastify' {
  interface FastifyInstance {
    connectionEnding: ConnectionEnding;
  }
}

export class ConnectionEnding {
  private keeping = false;
  /** Answers told to end their connection and not finished yet. */
  private readonly closing = new Set<FastifyReply>();

  constructor(private readonly readiness: Readiness) {}

  /** Called for every request (app.ts's onRequest hook). */
  arrived(reply: FastifyReply): void {
    if (!this.readiness.isShuttingDown || this.keeping) return;
    reply.header('connection', 'close');
    this.closing.add(reply);
    reply.raw.once('close', () => this.closing.delete(reply));
  }

  /** From now on answers keep their connections (true) or end them again (false); unsent answers follow. */
  keep(on: boolean): void {
    this.keeping = on;
    if (!on) return;
    for (const reply of this.closing) if (!reply.sent) reply.removeHeader('connection');
    this.closing.clear();
  }
}
