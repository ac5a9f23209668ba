// What goes into the JSON log lines (pino). Names are personal data and credentials are secrets, so a
// request is logged as method + path (no query string, no body, no headers, no client address) and an
// error as its type, code, message and stack (never the driver's `detail`, which can quote a row).
import { type FastifyReply, type FastifyRequest, type FastifyServerOptions, LogController } from 'fastify';
import type { LogLevel } from './config.js';

interface LoggedRequest {
  method?: string;
  url?: string;
  routeOptions?: { url?: string };
}

function request(req: LoggedRequest) {
  return { method: req.method, path: (req.url ?? '').split('?')[0], route: req.routeOptions?.url };
}

function error(err: Error & { code?: unknown; statusCode?: unknown }) {
  return { type: err.name ?? 'Error', code: err.code, statusCode: err.statusCode, message: String(err.message), stack: err.stack ?? '' };
}

export function loggerOptions(level: LogLevel): NonNullable<Exclude<FastifyServerOptions['logger'], boolean>> {
  return {
    level,
    serializers: { req: request, err: error },
    redact: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
  };
}

/** Fastify's own request log lines, minus the query string in "route not found" (it can carry names). */
export class RequestLogController extends LogController {
  override routeNotFound(request: FastifyRequest, _reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    request.log.info({ method: request.method, path: request.url.split('?')[0] }, 'route not found');
  }
}
