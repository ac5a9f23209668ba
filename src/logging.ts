// What goes into the log lines (pino): JSON, or on a terminal the same records made readable
// (pino-pretty) for whoever watches `npm start` (LOG_FORMAT: auto = pretty when stdout is a TTY). Names are personal data and credentials are secrets, so a
// request is logged as method + path (no query string, no body, no headers, no client address) and an
// error as its type, code, message and stack (never the driver's `detail`, which can quote a row).
import { type FastifyReply, type FastifyRequest, type FastifyServerOptions, LogController } from 'fastify';
import { type DestinationStream, pino } from 'pino';
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
    // The serializers are what keeps headers (tokens, cookies) out: a request is its method, path and
    // route, an answer its status (Fastify's). No redaction pass per line is needed on top.
    serializers: { req: request, err: error },
    stream: logsArePretty()
      ? // Synchronous, in this thread: a terminal is slow anyway, and nothing is lost at process.exit.
        pretty({ sync: true, colorize: process.stdout.isTTY === true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' })
      : collectorDestination(),
  };
}

let collector: DestinationStream | undefined;

/**
 * Lines for a collector are written to stdout once per turn of the event loop: the lines the requests
 * of one turn log leave in one write at the end of it (under load, one system call for many requests
 * instead of one in each request's path; a quiet process still writes each line within its turn).
 * The write is synchronous (pino's sonic-boom, which also waits out a full pipe), and what a turn has
 * logged before `process.exit` or a crash is written at exit. One stream per process, whatever number
 * of apps it builds.
 */
function collectorDestination(): DestinationStream {
  if (collector) return collector;
  const stdout = pino.destination({ dest: 1, sync: true });
  let pending = '';
  let scheduled = false;
  const endOfTurn = () => {
    scheduled = false;
    if (pending === '') return;
    const lines = pending;
    pending = '';
    stdout.write(lines);
  };
  process.once('exit', endOfTurn);
  collector = {
    write(line: string) {
      pending += line;
      // A turn that logs more than 16 kB writes as it goes.
      if (pending.length > 16 * 1024) endOfTurn();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(endOfTurn);
      }
    },
  };
  return collector;
}

/** Log levels by how much they let through (silent: nothing). */
const VERBOSITY: Record<LogLevel, number> = { silent: 0, fatal: 1, error: 2, warn: 3, info: 4, debug: 5, trace: 6 };

/**
 * Fastify's own request log lines, made cheaper and quieter: one line per request at `info`, "request
 * completed" with the request (method, path, route), the status and the time taken; "incoming request"
 * only at `debug`; probes (/healthz, /readyz, /metrics: a line every few seconds from each orchestrator)
 * only at `debug`; "route not found" without the query string (it can carry names). Deciding here, once
 * per line, costs less than a route-level log level, which makes every request's logger rebuild itself.
 */
export class RequestLogController extends LogController {
  private readonly debug: boolean;

  constructor(level: LogLevel) {
    super();
    this.debug = VERBOSITY[level] >= VERBOSITY.debug;
  }

  private quiet(request: FastifyRequest): boolean {
    return !this.debug && request.routeOptions?.config?.probe === true;
  }

  override incomingRequest(request: FastifyRequest): void {
    if (this.debug) request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    else if (!this.quiet(request)) reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }

  override routeNotFound(request: FastifyRequest, _reply: FastifyReply): void {
    logRouteNotFound(request);
  }
}

/** The line of a request no route answers, for Fastify's own 404 and the app's (error-handler.ts). */
export function logRouteNotFound(request: FastifyRequest): void {
  request.log.info({ method: request.method, path: request.url.split('?')[0] }, 'route not found');
}
