// Everything under /api: the OpenAPI document (generated from the route schemas), its docs page, strict
// request validation, and a problem-details 404. Errors become RFC 9457 problem details in
// plugins/error-handler.ts. Versioned routes live in api-v1-*.ts and are registered here under /api/v1.
import { readFileSync } from 'node:fs';
import swagger from '@fastify/swagger';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../app.js';
import { declarePublic } from '../plugins/access-control.js';
import { problemDetails, sendProblem } from '../http-errors.js';
import { apiV1CheckinRoutes } from './api-v1-checkins.js';
import { apiV1DayRoutes } from './api-v1-days.js';
import { apiV1GroupRoutes } from './api-v1-groups.js';
import { apiV1PeopleRoutes } from './api-v1-people.js';
import { apiV1TokenRoutes } from './api-v1-tokens.js';

/** The API's version is the package's (the single source of truth). */
const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

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

  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, problemDetails(request, 404, 'Not found', `No API resource at ${request.method} ${request.url.split('?')[0]}.`)),
  );

  await app.register(apiV1CheckinRoutes, { ...context, prefix: '/v1' });
  await app.register(apiV1DayRoutes, { ...context, prefix: '/v1' });
  await app.register(apiV1TokenRoutes, { ...context, prefix: '/v1' });
  await app.register(apiV1PeopleRoutes, { ...context, prefix: '/v1' });
  await app.register(apiV1GroupRoutes, { ...context, prefix: '/v1' });
};
