// GET /api/openapi.json and /api/docs: the OpenAPI 3.1 document generated from the route schemas, and a
// docs page whose assets are all served by Barona itself (no CDN). The document is a contract third-party
// tools (linters, client generators) rely on: every operation named, typed, with its errors and who may
// call it, the latter checked against what the running server enforces.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { api, startApiServer, type ApiServer } from '../support/api.js';

interface OpenApi {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<
    string,
    Record<string, { parameters?: { name: string; in: string }[]; requestBody?: unknown; responses: Record<string, unknown> }>
  >;
}

describe('OpenAPI document and docs page', () => {
  let app: ApiServer;
  before(async () => {
    app = await startApiServer('embedded');
  });
  after(async () => app.stop());

  test('/api/openapi.json is OpenAPI 3.1 with every /api/v1, seed and operations endpoint', async () => {
    const response = await api<OpenApi>(`${app.server.url}/api/openapi.json`);
    assert.equal(response.status, 200);
    const doc = response.body;
    assert.equal(doc.openapi, '3.1.0');
    assert.equal(doc.info.version, (await import('../../package.json', { with: { type: 'json' } })).default.version);
    const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    assert.deepEqual(operations.sort(), [
      'DELETE /api/v1/checkins/{id}',
      'DELETE /api/v1/gates/{id}',
      'DELETE /api/v1/groups/{id}',
      'DELETE /api/v1/groups/{id}/members/{personId}',
      'DELETE /api/v1/groups/{id}/members/{personId}/excuses/{date}',
      'DELETE /api/v1/groups/{id}/register/{date}/{personId}',
      'DELETE /api/v1/people/{id}',
      'DELETE /api/v1/tokens/{id}',
      'DELETE /api/v1/users/{id}',
      'DELETE /api/v1/webhooks/{id}',
      'GET /api/v1/audit',
      'GET /api/v1/checkins',
      'GET /api/v1/checkins.csv',
      'GET /api/v1/checkins/{id}',
      'GET /api/v1/days/{date}/summary',
      'GET /api/v1/gates',
      'GET /api/v1/gates/{id}',
      'GET /api/v1/groups',
      'GET /api/v1/groups/{id}',
      'GET /api/v1/groups/{id}/alerts',
      'GET /api/v1/groups/{id}/members',
      'GET /api/v1/groups/{id}/register',
      'GET /api/v1/groups/{id}/register.csv',
      'GET /api/v1/groups/{id}/reports',
      'GET /api/v1/kiosk/people',
      'GET /api/v1/kiosk/roster',
      'GET /api/v1/mail/messages',
      'GET /api/v1/occupancy',
      'GET /api/v1/people',
      'GET /api/v1/people/{id}',
      'GET /api/v1/people/{id}/attendance',
      'GET /api/v1/people/{id}/contacts',
      'GET /api/v1/people/{id}/export',
      'GET /api/v1/people/{id}/export.csv',
      'GET /api/v1/session',
      'GET /api/v1/tokens',
      'GET /api/v1/tokens/current',
      'GET /api/v1/tokens/{id}',
      'GET /api/v1/users',
      'GET /api/v1/users/{id}',
      'GET /api/v1/webhooks',
      'GET /api/v1/webhooks/{id}',
      'GET /api/v1/webhooks/{id}/deliveries',
      // The seed's API and the operations endpoints are described too; admin pages, kiosk and docs are not.
      'GET /healthz',
      'GET /metrics',
      'GET /readyz',
      'GET /table',
      'GET /table/view/{spec}',
      'PATCH /api/v1/checkins/{id}',
      'PATCH /api/v1/gates/{id}',
      'PATCH /api/v1/groups/{id}',
      'PATCH /api/v1/groups/{id}/alerts',
      'PATCH /api/v1/people/{id}',
      'PATCH /api/v1/users/{id}',
      'PATCH /api/v1/webhooks/{id}',
      'POST /api/v1/checkins',
      'POST /api/v1/gates',
      'POST /api/v1/groups',
      'POST /api/v1/groups/{id}/members/import',
      'POST /api/v1/kiosk/checkins/{id}/undo',
      'POST /api/v1/people',
      'POST /api/v1/people/{id}/badge',
      'POST /api/v1/people/{id}/badge/send',
      'POST /api/v1/people/{id}/erase',
      'POST /api/v1/tokens',
      'POST /api/v1/users',
      'POST /api/v1/webhooks',
      'POST /table/create',
      'PUT /api/v1/groups/{id}/members/{personId}',
      'PUT /api/v1/groups/{id}/members/{personId}/excuses/{date}',
      'PUT /api/v1/groups/{id}/register/{date}/{personId}',
      'PUT /api/v1/groups/{id}/reports',
      'PUT /api/v1/people/{id}/contacts',
    ]);
    const create = doc.paths['/api/v1/checkins']!.post!;
    assert.ok(
      create.parameters?.some((p) => p.name === 'idempotency-key' && p.in === 'header'),
      'Idempotency-Key documented',
    );
    assert.ok(create.requestBody, 'request body documented from the same schema that validates it');
    assert.ok(['201', '200', '400', '422'].every((code) => code in create.responses));
    const list = doc.paths['/api/v1/checkins']!.get!;
    assert.deepEqual(list.parameters?.map((p) => p.name).sort(), ['cursor', 'date', 'gate', 'limit', 'order', 'q']);
    const csv = doc.paths['/api/v1/checkins.csv']!.get!;
    assert.ok(JSON.stringify(csv.responses['200']).includes('text/csv'));
    // Problem details are documented with their field errors.
    assert.ok(JSON.stringify(create.responses['400']).includes('errors'));
    // The member import takes CSV; the register is documented with its statuses, its CSV as CSV.
    const importMembers = doc.paths['/api/v1/groups/{id}/members/import']!.post!;
    assert.ok(JSON.stringify(importMembers.requestBody).includes('text/csv'));
    assert.ok(JSON.stringify(doc.paths['/api/v1/groups/{id}/register']!.get!.responses['200']).includes('excused'));
    assert.ok(JSON.stringify(doc.paths['/api/v1/groups/{id}/register.csv']!.get!.responses['200']).includes('text/csv'));
    assert.ok(JSON.stringify(doc.paths['/api/v1/people/{id}/export.csv']!.get!.responses['200']).includes('text/csv'));
  });

  test('/api/docs is a page whose scripts and styles are served locally', async () => {
    const page = await fetch(`${app.server.url}/api/docs`, { redirect: 'follow' });
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    assert.ok(assets.length > 0);
    for (const asset of assets) {
      assert.doesNotMatch(asset, /^(https?:)?\/\//, `asset ${asset} is local`);
      const url = new URL(asset, page.url);
      const response = await fetch(url);
      assert.equal(response.status, 200, `${url.pathname} is served`);
      await response.arrayBuffer();
    }
    // The page loads the same document from /api/docs/json.
    const shown = await api(`${app.server.url}/api/docs/json`);
    assert.equal(shown.status, 200);
    assert.deepEqual(shown.body, (await api(`${app.server.url}/api/openapi.json`)).body);
  });
});

interface Schema {
  type?: string | string[];
  $ref?: string;
  maxLength?: number;
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  maxItems?: number;
  default?: unknown;
  pattern?: string;
  items?: Schema;
  properties?: Record<string, Schema>;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
}
interface Media {
  schema?: Schema;
}
interface Operation {
  operationId?: string;
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; required?: boolean; schema?: Schema }[];
  requestBody?: { content?: Record<string, Media> };
  responses: Record<string, { description?: string; content?: Record<string, Media> }>;
}
interface Contract {
  servers?: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas?: Record<string, Schema>; securitySchemes?: Record<string, Record<string, string>> };
}

const WRITES = new Set(['post', 'put', 'patch', 'delete']);
/** Operations that answer without the database; every other one may answer 503 when it is unreachable. */
const WITHOUT_DATABASE = new Set(['get /healthz', 'get /metrics', 'get /table']);

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const READ_TOKEN = 'brn_contract-read-5b0e2c8f4a1d';
const CHECKIN_TOKEN = 'brn_contract-checkin-9c7d1e3a6b2f';

function operationsOf(doc: Contract): { method: string; path: string; key: string; op: Operation }[] {
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ method, path, key: `${method} ${path}`, op })),
  );
}

/** Request fields without bounds (OWASP API4: strings need maxLength, numbers a range, arrays maxItems). */
function unbounded(doc: Contract, schema: Schema | undefined, where: string, found: string[]): void {
  if (!schema) return;
  if (schema.$ref) schema = doc.components.schemas?.[schema.$ref.split('/').pop()!];
  if (!schema) return (found.push(`${where}: unresolved $ref`), undefined);
  for (const member of [...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])]) unbounded(doc, member, where, found);
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  if (types.includes('string') && schema.maxLength === undefined && !schema.enum && schema.const === undefined)
    found.push(`${where}: string without maxLength`);
  if ((types.includes('integer') || types.includes('number')) && (schema.minimum === undefined || schema.maximum === undefined))
    found.push(`${where}: number without minimum and maximum`);
  if (types.includes('array')) {
    if (schema.maxItems === undefined) found.push(`${where}: array without maxItems`);
    unbounded(doc, schema.items, `${where}[]`, found);
  }
  for (const [name, property] of Object.entries(schema.properties ?? {})) unbounded(doc, property, `${where}.${name}`, found);
}

/** A value of the right shape for a path parameter: the answer may be 400 or 404, never a routing miss. */
function pathValue(name: string, schema: Schema | undefined): string {
  if (name === 'spec') return 'date:today';
  if (schema?.type === 'integer') return '1';
  if (schema?.pattern?.includes('\\d{4}')) return '2026-01-05';
  return 'x';
}

describe('the API contract: named, typed, secured and with its errors, as generated clients and linters need', () => {
  let app: ApiServer;
  let doc: Contract;
  before(async () => {
    const tokens = [
      ['contract reader', READ_TOKEN, '{read}'],
      ['contract kiosk', CHECKIN_TOKEN, '{checkin}'],
    ]
      .map(([name, token, scopes]) => `('${name}', '', '${sha256(token!)}', '${token!.slice(0, 10)}', 'test', '${scopes}')`)
      .join(', ');
    app = await startApiServer(
      'postgres',
      { AUTH_MODE: 'token', ADMIN_PASSWORD: 'correct horse battery staple' },
      `INSERT INTO gate_tokens (name, gate, token_hash, token_prefix, created_by, scopes) VALUES ${tokens}`,
    );
    const response = await api<Contract>(`${app.server.url}/api/openapi.json`);
    assert.equal(response.status, 200);
    doc = response.body;
  });
  after(async () => app.stop());

  test('servers are given, relative, and every operation has a unique operationId a client can use as a name', () => {
    assert.ok(doc.servers && doc.servers.length > 0, 'servers');
    for (const server of doc.servers) assert.match(server.url, /^\//, 'a relative server URL works behind any host');
    const ids = operationsOf(doc).map(({ key, op }) => {
      assert.match(op.operationId ?? '', /^[a-z][A-Za-z0-9]*$/, `${key}: operationId`);
      return op.operationId;
    });
    assert.equal(new Set(ids).size, ids.length, `operationIds are unique: ${ids.join(', ')}`);
    assert.equal(doc.paths['/api/v1/checkins']!.get!.operationId, 'getCheckins');
    assert.equal(doc.paths['/api/v1/checkins/{id}']!.patch!.operationId, 'patchCheckinsById');
  });

  test('parameters, bodies and answers are typed, with their content types; optional parameters are optional', () => {
    const problems: string[] = [];
    for (const { key, path, op } of operationsOf(doc)) {
      for (const parameter of op.parameters ?? []) {
        if (!parameter.schema) problems.push(`${key}: parameter ${parameter.name} has no schema`);
        if (parameter.required && parameter.schema?.default !== undefined)
          problems.push(`${key}: parameter ${parameter.name} has a default but is required`);
      }
      for (const [, name] of path.matchAll(/\{(\w+)\}/g))
        if (!op.parameters?.some((p) => p.in === 'path' && p.name === name && p.required)) problems.push(`${key}: path parameter ${name}`);
      if (op.requestBody) {
        const media = Object.entries(op.requestBody.content ?? {});
        if (media.length === 0 || media.some(([, m]) => !m.schema)) problems.push(`${key}: request body without a typed content`);
      }
      for (const [status, response] of Object.entries(op.responses)) {
        if (!response.description) problems.push(`${key} ${status}: no description`);
        // No content by definition: 204 No Content, 304 Not Modified.
        if (status === '204' || status === '304') continue;
        const media = Object.entries(response.content ?? {});
        if (media.length === 0 || media.some(([, m]) => !m.schema)) problems.push(`${key} ${status}: no typed content`);
      }
      if (!Object.keys(op.responses).some((status) => status.startsWith('2'))) problems.push(`${key}: no success answer`);
    }
    assert.deepEqual(problems, []);
    const limit = doc.paths['/api/v1/checkins']!.get!.parameters!.find((p) => p.name === 'limit')!;
    assert.equal(limit.required, false, 'limit has a default: it is optional');
    assert.equal(limit.schema?.default, 50);
  });

  test('request fields are bounded: strings, numbers and arrays', () => {
    const found: string[] = [];
    for (const { key, op } of operationsOf(doc)) {
      for (const parameter of op.parameters ?? []) unbounded(doc, parameter.schema, `${key} ${parameter.in} ${parameter.name}`, found);
      for (const [type, media] of Object.entries(op.requestBody?.content ?? {}))
        unbounded(doc, media.schema, `${key} body (${type})`, found);
    }
    assert.deepEqual(found, []);
  });

  test('error answers are documented: 401/403 when protected, 429 for writes, 503 when the database is needed; problem details under /api', () => {
    const missing: string[] = [];
    for (const { key, method, path, op } of operationsOf(doc)) {
      const expected = ['400'].filter(() => (op.parameters?.length ?? 0) > 0 || op.requestBody !== undefined);
      if ((op.security ?? []).length > 0) expected.push('401', '403');
      if (WRITES.has(method)) expected.push('429');
      if (!WITHOUT_DATABASE.has(key)) expected.push('503');
      for (const status of expected) {
        const response = op.responses[status];
        if (!response) missing.push(`${key}: ${status}`);
        else if (path.startsWith('/api/') && !response.content?.['application/problem+json']?.schema)
          missing.push(`${key}: ${status} is not application/problem+json`);
      }
      if (path.startsWith('/api/'))
        for (const [status, response] of Object.entries(op.responses))
          if (Number(status) >= 400 && !response.content?.['application/problem+json']) missing.push(`${key}: ${status} is not a problem`);
    }
    assert.deepEqual(missing, []);
    assert.ok(doc.paths['/api/v1/checkins']!.post!.responses['422'], 'an idempotency key reused with another body');
    assert.ok(doc.paths['/api/v1/checkins/{id}']!.get!.responses['404']);
  });

  test('security schemes: gate tokens (bearer) and the admin session cookie with its CSRF header', () => {
    const schemes = doc.components.securitySchemes ?? {};
    assert.deepEqual(
      { type: schemes.gateToken?.type, scheme: schemes.gateToken?.scheme },
      { type: 'http', scheme: 'bearer' },
      'Authorization: Bearer brn_…',
    );
    assert.deepEqual(
      { ...schemes.adminSession, description: undefined },
      { type: 'apiKey', in: 'cookie', name: 'barona_session', description: undefined },
    );
    assert.deepEqual(
      { ...schemes.csrfToken, description: undefined },
      { type: 'apiKey', in: 'header', name: 'X-CSRF-Token', description: undefined },
    );
    for (const { key, method, op } of operationsOf(doc)) {
      assert.ok(Array.isArray(op.security), `${key}: security stated (public: [])`);
      for (const requirement of op.security!) {
        for (const name of Object.keys(requirement)) assert.ok(schemes[name], `${key}: scheme ${name} is declared`);
        // A session changes nothing without its CSRF token; a read needs none.
        if ('adminSession' in requirement) assert.equal('csrfToken' in requirement, WRITES.has(method), `${key}: CSRF with the session`);
      }
    }
  });

  test('each operation’s security is what the server enforces (no credentials, a read token, a check-in token)', async () => {
    const mismatches: string[] = [];
    for (const { key, method, path, op } of operationsOf(doc)) {
      const url = path.replace(/\{(\w+)\}/g, (_, name: string) =>
        pathValue(name, op.parameters?.find((p) => p.in === 'path' && p.name === name)?.schema),
      );
      const tokenScopes = op.security?.find((requirement) => 'gateToken' in requirement)?.gateToken;
      const cases: [string, Record<string, string>, boolean][] = [
        ['anonymous', {}, op.security?.length === 0],
        ['read token', { authorization: `Bearer ${READ_TOKEN}` }, op.security?.length === 0 || !!tokenScopes?.includes('read')],
        ['check-in token', { authorization: `Bearer ${CHECKIN_TOKEN}` }, op.security?.length === 0 || !!tokenScopes?.includes('checkin')],
      ];
      for (const [who, headers, allowed] of cases) {
        // Writes carry an empty body: allowed callers get a validation answer, nothing is written.
        const body = WRITES.has(method) && method !== 'delete' ? '{}' : undefined;
        const response = await fetch(`${app.server.url}${url}`, {
          method: method.toUpperCase(),
          headers: body ? { ...headers, 'content-type': 'application/json' } : headers,
          body,
        });
        await response.arrayBuffer();
        const refused = response.status === 401 || response.status === 403;
        if (refused === allowed) mismatches.push(`${key} as ${who}: ${response.status}, documented ${allowed ? 'allowed' : 'refused'}`);
      }
    }
    assert.deepEqual(mismatches, []);
  });
});
