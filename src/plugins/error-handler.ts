// Every error thrown while handling a request, whichever route or hook threw it, becomes one clear
// answer here: RFC 9457 problem details on /api (naming the fields at fault), the seed's {"detail": …}
// elsewhere. What status an error deserves is decided in http-errors.ts.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { DomainError, type FieldError } from '../domain/domain-error.js';
import { problemDetails, sendProblem, speaksProblemDetails, toProblem } from '../http/http-errors.js';
import { NO_NUL_PATTERN } from '../http/text-schema.js';
import { logRouteNotFound } from '../logging.js';
import { html } from '../views/html.js';
import { homeOf, page } from '../views/layout.js';

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

const LOCATION: Record<string, string> = { body: 'body', querystring: 'query', params: 'path', headers: 'header' };

/** Ajv's error as a field name and a message a person understands. */
function fieldError(error: AjvError, context: string | undefined): FieldError {
  let field = error.instancePath.replace(/^\//, '').replaceAll('/', '.');
  if (error.keyword === 'required') field = [field, String(error.params.missingProperty)].filter(Boolean).join('.');
  if (error.keyword === 'additionalProperties') field = [field, String(error.params.additionalProperty)].filter(Boolean).join('.');
  if (field === '') field = LOCATION[context ?? ''] ?? 'request';
  if (field === 'idempotency-key') field = 'Idempotency-Key';
  let message = error.message ?? 'is invalid';
  if (error.keyword === 'pattern' && String(error.params.pattern).includes('\\d{4}-\\d{2}-\\d{2}')) message = 'must be a date YYYY-MM-DD';
  else if (error.keyword === 'pattern' && error.params.pattern === NO_NUL_PATTERN) message = 'must not contain NUL characters';
  else if (error.keyword === 'format' && error.params.format === 'date-time')
    message = 'must be an RFC 3339 date-time with offset, e.g. 2026-03-29T08:15:00+02:00';
  else if (error.keyword === 'required') message = 'is required';
  else if (error.keyword === 'enum') message = `must be one of ${(error.params.allowedValues as unknown[]).join(', ')}`;
  else if (error.keyword === 'type' && error.instancePath === '' && context === 'body')
    message = 'must be a JSON object (Content-Type: application/json)';
  else if (error.keyword === 'additionalProperties') message = 'is not a known field';
  else if (error.keyword === 'minProperties') message = 'must contain at least one field to change';
  return { field, message };
}

/** Status, title, detail and the fields at fault of any error. */
function describe(error: FastifyError | DomainError): { status: number; title: string; detail: string; errors?: FieldError[] } {
  if (error instanceof DomainError) {
    return { status: error.status, title: error.title, detail: error.detail, ...(error.errors.length > 0 ? { errors: error.errors } : {}) };
  }
  if (error.validation) {
    const errors = (error.validation as AjvError[]).map((e) => fieldError(e, error.validationContext));
    return { status: 400, title: 'Invalid request', detail: errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors };
  }
  return toProblem(error);
}

function log(request: FastifyRequest, error: Error, status: number, title: string) {
  // Only message, code and stack: some drivers attach the query parameters (names) to their errors.
  if (status >= 500)
    request.log.error({ err: { message: error.message, code: (error as { code?: string }).code, stack: error.stack } }, title);
  // The detail of a client error can quote the request body (names, a JSON syntax error): not logged.
  else request.log.info({ code: (error as { code?: string }).code, status }, title);
}

/** A person in a browser on an admin page gets a page, not JSON. */
function wantsPage(request: FastifyRequest): boolean {
  return request.routeOptions.config?.access === 'admin-page' && (request.headers.accept ?? '').includes('text/html');
}

function errorPage(request: FastifyRequest, status: number, title: string, detail: string): string {
  const principal = request.principal;
  const user =
    principal?.kind === 'session'
      ? { username: principal.session.username, csrfToken: principal.session.csrfToken, actor: principal.actor }
      : undefined;
  return page({
    title,
    user,
    body: html`<div class="page-head">
        <h1>${title}</h1>
        <p class="lede">${detail}</p>
      </div>
      <p>
        <a class="button" href="${user ? homeOf(user) : '/admin'}">Back to the start</a
        >${status === 403 ? html` <span class="hint">Ask an owner if you need this.</span>` : ''}
      </p>`,
  });
}

/**
 * An unknown path: Fastify's own 404 answer, without the query string (it can carry names), logged as
 * Fastify's own is (logging.ts). Set in the context of the application's routes (app.ts), so its hooks
 * (security headers, request metrics) apply to 404s too.
 */
export function notFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  logRouteNotFound(request);
  const path = request.url.split('?')[0];
  return reply.code(404).send({ message: `Route ${request.method}:${path} not found`, error: 'Not Found', statusCode: 404 });
}

export const errorHandler = fp(
  async (app: FastifyInstance) => {
    app.setErrorHandler((error: FastifyError | DomainError, request, reply) => {
      const { status, title, detail, errors } = describe(error);
      log(request, error, status, title);
      if (speaksProblemDetails(request)) return sendProblem(reply, problemDetails(request, status, title, detail, errors));
      if (status === 503) reply.header('retry-after', '5');
      if (wantsPage(request))
        return reply
          .code(status)
          .type('text/html; charset=utf-8')
          .send(errorPage(request, status, title, detail));
      return reply.code(status).send({ detail });
    });
  },
  { name: 'error-handler' },
);
