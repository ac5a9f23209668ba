// GET /api/openapi.json and /api/docs: the OpenAPI 3.1 document generated from the route schemas, and a
// docs page whose assets are all served by Barona itself (no CDN).
import assert from 'node:assert/strict';
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

  test('/api/openapi.json is OpenAPI 3.1 with every /api/v1 operation', async () => {
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
      'DELETE /api/v1/groups/{id}',
      'DELETE /api/v1/groups/{id}/members/{personId}',
      'DELETE /api/v1/groups/{id}/members/{personId}/excuses/{date}',
      'DELETE /api/v1/people/{id}',
      'GET /api/v1/checkins',
      'GET /api/v1/checkins.csv',
      'GET /api/v1/checkins/{id}',
      'GET /api/v1/days/{date}/summary',
      'GET /api/v1/groups',
      'GET /api/v1/groups/{id}',
      'GET /api/v1/groups/{id}/members',
      'GET /api/v1/groups/{id}/register',
      'GET /api/v1/groups/{id}/register.csv',
      'GET /api/v1/people',
      'GET /api/v1/people/{id}',
      'GET /api/v1/tokens/current',
      'PATCH /api/v1/checkins/{id}',
      'PATCH /api/v1/groups/{id}',
      'PATCH /api/v1/people/{id}',
      'POST /api/v1/checkins',
      'POST /api/v1/groups',
      'POST /api/v1/groups/{id}/members/import',
      'POST /api/v1/people',
      'POST /api/v1/people/{id}/badge',
      'PUT /api/v1/groups/{id}/members/{personId}',
      'PUT /api/v1/groups/{id}/members/{personId}/excuses/{date}',
    ]);
    const create = doc.paths['/api/v1/checkins']!.post!;
    assert.ok(
      create.parameters?.some((p) => p.name === 'idempotency-key' && p.in === 'header'),
      'Idempotency-Key documented',
    );
    assert.ok(create.requestBody, 'request body documented from the same schema that validates it');
    assert.ok(['201', '200', '400', '422'].every((code) => code in create.responses));
    const list = doc.paths['/api/v1/checkins']!.get!;
    assert.deepEqual(list.parameters?.map((p) => p.name).sort(), ['cursor', 'date', 'gate', 'limit', 'q']);
    const csv = doc.paths['/api/v1/checkins.csv']!.get!;
    assert.ok(JSON.stringify(csv.responses['200']).includes('text/csv'));
    // Problem details are documented with their field errors.
    assert.ok(JSON.stringify(create.responses['400']).includes('errors'));
    // The member import takes CSV; the register is documented with its statuses, its CSV as CSV.
    const importMembers = doc.paths['/api/v1/groups/{id}/members/import']!.post!;
    assert.ok(JSON.stringify(importMembers.requestBody).includes('text/csv'));
    assert.ok(JSON.stringify(doc.paths['/api/v1/groups/{id}/register']!.get!.responses['200']).includes('excused'));
    assert.ok(JSON.stringify(doc.paths['/api/v1/groups/{id}/register.csv']!.get!.responses['200']).includes('text/csv'));
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
