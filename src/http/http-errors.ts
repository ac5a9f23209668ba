// Turns any error thrown while handling a request into a clear HTTP answer: never a bare 500 for bad
// input, and a fast 503 when the database is unreachable or not migrated.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { FieldError } from '../domain/domain-error.js';
import type { Problem } from './problem-schema.js';

export interface HttpProblem {
  status: number;
  title: string;
  detail: string;
}

/**
 * SQLSTATE classes and codes that mean "the database is not available right now": admin/crash shutdown,
 * cannot connect now, too many connections, insufficient resources, and a statement cancelled by
 * statement_timeout (57014) — a bounded wait that ran out.
 */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '57014', '53300', '53000', '53100', '53200', '40001', '40P01']);
const UNAVAILABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE', 'EAI_AGAIN']);
const UNAVAILABLE_MESSAGES = [
  'timeout exceeded when trying to connect',
  'Connection terminated',
  'Query read timeout',
  'Client has encountered a connection error',
  'Cannot use a pool after calling end',
  'PGlite is closed',
];

export function isDatabaseUnavailable(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' ? e.message : '';
  return (
    UNAVAILABLE_SQLSTATES.has(code) ||
    code.startsWith('08') ||
    UNAVAILABLE_NODE_CODES.has(code) ||
    UNAVAILABLE_MESSAGES.some((text) => message.includes(text))
  );
}

export function toProblem(error: FastifyError): HttpProblem {
  const code = (error as { code?: string }).code ?? '';
  if (error.validation) {
    return { status: 400, title: 'Invalid request', detail: error.message };
  }
  if (isDatabaseUnavailable(error)) {
    return { status: 503, title: 'Service unavailable', detail: 'The database is not reachable right now; retry shortly.' };
  }
  if (code === '42P01') {
    return { status: 503, title: 'Service unavailable', detail: 'The database schema is not migrated; run `barona migrate`.' };
  }
  if (/^22[0-9A-Z]{3}$/.test(code) || code === '23502' || code === '23514') {
    // Data exceptions and check/not-null violations: the input got past validation but is still invalid.
    return { status: 400, title: 'Invalid request', detail: 'The request contains a value the database cannot store.' };
  }
  if (code === '23505' || code === '23503') {
    return { status: 409, title: 'Conflict', detail: 'The request conflicts with the stored data.' };
  }
  if (error.statusCode === 429) {
    return { status: 429, title: 'Too many requests', detail: error.message };
  }
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return { status: 413, title: 'Payload too large', detail: error.message };
  }
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return { status: 415, title: 'Unsupported media type', detail: error.message };
  }
  if (code.startsWith('FST_ERR_CTP_') || (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500)) {
    // Malformed JSON, empty JSON body, bad content-length, and other client errors fastify detected.
    return { status: error.statusCode && error.statusCode < 500 ? error.statusCode : 400, title: 'Bad request', detail: error.message };
  }
  return { status: 500, title: 'Internal server error', detail: 'An unexpected error occurred.' };
}

/** Routes under /api answer errors as RFC 9457 problem details; the seed routes and pages do not. */
export function speaksProblemDetails(request: FastifyRequest): boolean {
  return (request.routeOptions.url ?? request.url).startsWith('/api/');
}

/** The one builder of RFC 9457 problem details. */
export function problemDetails(request: FastifyRequest, status: number, title: string, detail: string, errors?: FieldError[]): Problem {
  return { type: 'about:blank', title, status, detail, instance: request.url, ...(errors && errors.length > 0 ? { errors } : {}) };
}

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  if (problem.status === 503) reply.header('retry-after', '5');
  // Serialised here, not by the route's response schema, so every problem has the same shape.
  return reply.code(problem.status).type('application/problem+json').serializer(JSON.stringify).send(problem);
}
