// Per-client rate limit on writes (RATE_LIMIT_WRITES_PER_MINUTE; 0 = off, the default). Reads, probes and
// metrics are never limited. Clients are told apart by address: behind a proxy set TRUST_PROXY to its hop
// count or addresses so the address is the one the proxy saw (X-Forwarded-For), or every client shares
// the proxy's budget. TRUST_PROXY=true would let a client choose its address, and its budget, itself.
// Registered before the routes it limits.
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const writeLimit = fp(
  async (app: FastifyInstance, { writesPerMinute }: { writesPerMinute: number }) => {
    if (writesPerMinute <= 0) return;
    await app.register(rateLimit, {
      global: true,
      max: writesPerMinute,
      timeWindow: 60_000,
      keyGenerator: (request) => request.ip,
      allowList: (request) => READ_METHODS.has(request.method),
    });
  },
  { name: 'write-limit' },
);
