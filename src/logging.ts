// What goes into the log lines (pino): JSON, or on a terminal the same records made readable
// (pino-pretty) for whoever watches `npm start` (LOG_FORMAT: auto = pretty when stdout is a TTY). Names are personal data and credentials are secrets, so a
// request is logged as method + path (no query string, no body, no headers, no client address) and an
// error as its type, code, message and stack (never the driver's `detail`, which can quote a row).
import { type FastifyReply, type FastifyRequest, type FastifyServerOptions, LogController } from 'fastify';
import pretty from 'pino-pretty';
import type { LogFormat, LogLevel } from './config.js';

let format: LogFormat = 'auto';

/** Set once by the serve process from LOG_FORMAT, before the app is built. */
export function useLogFormat(value: LogFormat): void {
  format = value;
}

/** True when log lines are written for a person at a terminal rather than for a collector. */
export function logsArePretty(): boolean {
  return format === 'pretty' || (format === 'auto' && process.stdout.isTTY === true);
}

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
    // Synchronous, in this thread: a terminal is slow anyway, and nothing is lost at process.exit.
    ...(logsArePretty()
      ? { stream: pretty({ sync: true, colorize: process.stdout.isTTY === true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' }) }
      : {}),
  };
}

/** Fastify's own request log lines, minus the query string in "route not found" (it can carry names). */
export class RequestLogController extends LogController {
  override routeNotFound(request: FastifyRequest, _reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    request.log.info({ method: request.method, path: request.url.split('?')[0] }, 'route not found');
  }
}
