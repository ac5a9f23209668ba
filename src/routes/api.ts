// Everything under /api: the OpenAPI document (generated from the route schemas), its docs page, and
// RFC 9457 problem details for every error, validation errors naming the field. Versioned routes live
// in api-v1-*.ts and are registered here under /api/v1.
import { readFileSync } from 'node:fs';
import swagger from '@fastify/swagger';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../app.js';
import { declarePublic } from '../plugins/access-control.js';
import { CheckinProblem, type FieldError } from '../checkins/checkin-problem.js';
import { toProblem } from '../http-errors.js';
import type { Problem } from '../schemas/problem.js';
import { apiV1CheckinRoutes } from './api-v1-checkins.js';
import { apiV1DayRoutes } from './api-v1-days.js';
import { apiV1GroupRoutes } from './api-v1-groups.js';
import { apiV1PeopleRoutes } from './api-v1-people.js';
import { apiV1TokenRoutes } from './api-v1-tokens.js';

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** The API's version is the package's (the single source of truth). */
const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

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

function problemOf(error: FastifyError | CheckinProblem, request: FastifyRequest): Problem {
  if (error instanceof CheckinProblem) {
    const problem: Problem = { type: 'about:blank', title: error.title, status: error.status, detail: error.detail, instance: request.url };
    if (error.errors.length > 0) problem.errors = error.errors;
    return problem;
  }
  if (error.validation) {
    const errors = (error.validation as AjvError[]).map((e) => fieldError(e, error.validationContext));
    const detail = errors.map((e) => `${e.field}: ${e.message}`).join('; ');
    return { type: 'about:blank', title: 'Invalid request', status: 400, detail, instance: request.url, errors };
  }
  const { status, title, detail } = toProblem(error);
  return { type: 'about:blank', title, status, detail, instance: request.url };
}

function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  if (problem.status === 503) reply.header('retry-after', '5');
  // Serialised here, not by the route's response schema, so every problem has the same shape.
  return reply.code(problem.status).type('application/problem+json').serializer(JSON.stringify).send(problem);
}

/**
 * Request bodies are JSON and validated strictly: no type coercion (42 is not a name), unknown fields
 * are an error (a misspelt "occuredAt" must not silently fall back to the server time), every error is
 * reported. Query strings, path parameters and headers are text: they keep fastify's usual coercion.
 */
function validators(): { body: Ajv; text: Ajv } {
  const body = new Ajv({ coerceTypes: false, useDefaults: true, removeAdditional: false, allErrors: true, strict: false });
  const text = new Ajv({ coerceTypes: 'array', useDefaults: true, removeAdditional: true, allErrors: false, strict: false });
  addFormats.default(body);
  addFormats.default(text);
  return { body, text };
}

export const apiRoutes: FastifyPluginAsync<AppContext> = async (app, context) => {
  const ajv = validators();
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? ajv.body : ajv.text).compile(schema));

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Barona attendance API',
        version: PACKAGE_VERSION,
        description:
          'Check-ins at event gates. Errors are RFC 9457 problem details (application/problem+json) naming the field at fault. Days and hours are counted in the server time zone (APP_TIMEZONE).',
      },
      tags: [
        { name: 'checkins', description: 'Record, list, correct and export check-ins' },
        { name: 'days', description: 'Day summaries' },
        { name: 'tokens', description: 'Check the credentials a kiosk or client presents' },
        { name: 'people', description: 'People, their badges and external references' },
        { name: 'groups', description: 'Groups (rosters), schedules, members, excuses and the attendance register' },
      ],
    },
    // Only the versioned API is described; the docs routes themselves are not part of it.
    transform: ({ schema, url, route }) => ({
      schema: url.startsWith('/api/v1/') ? schema : { ...schema, hide: true },
      url,
      route,
    }),
  });
  // indexPrefix: the page's asset links must include the /api prefix this plugin is mounted under.
  await app.register(async (docs) => {
    declarePublic(docs);
    await docs.register(swaggerUi, { routePrefix: '/docs', indexPrefix: '/api', uiConfig: { deepLinking: true }, staticCSP: true });
  });

  app.get('/openapi.json', { schema: { hide: true }, config: { access: 'public' } }, async () => app.swagger());

  app.setErrorHandler((error: FastifyError | CheckinProblem, request, reply) => {
    const problem = problemOf(error, request);
    // Only message, code and stack: some drivers attach the query parameters (names) to their errors.
    if (problem.status >= 500)
      request.log.error({ err: { message: error.message, code: (error as { code?: string }).code, stack: error.stack } }, problem.title);
    // The detail of a client error can quote the request (names): only the status and title are logged.
    else request.log.info({ status: problem.status }, problem.title);
    return sendProblem(reply, problem);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, {
      type: 'about:blank',
      title: 'Not found',
      status: 404,
      detail: `No API resource at ${request.method} ${request.url.split('?')[0]}.`,
      instance: request.url,
    }),
  );

  await app.register(apiV1CheckinRoutes, { ...context, prefix: '/v1' });
  await app.register(apiV1DayRoutes, { ...context, prefix: '/v1' });
  await app.register(apiV1TokenRoutes, { ...context, prefix: '/v1' });
  await app.register(apiV1PeopleRoutes, { ...context, prefix: '/v1' });
  await app.register(apiV1GroupRoutes, { ...context, prefix: '/v1' });
};
