// Default deny: every route says who may call it, and a route without a declaration stops the start.
// In-process (buildApp + inject) against a real PostgreSQL database.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../src/app.js';
import { build as buildTestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

describe('access declarations', () => {
  let database: TestDatabase;

  before(async () => {
    database = await createTestDatabase();
  });
  after(async () => {
    await database.drop();
  });

  const build = (env: Record<string, string>, routes: FastifyPluginAsync<AppContext>[]) => buildTestApp(env, { routes, database });

  test('a route registered without an access declaration makes buildApp throw, naming it', async () => {
    const undeclared: FastifyPluginAsync<AppContext> = async (app) => {
      app.get('/api/v1/secrets', async () => ({ secret: true }));
    };
    await assert.rejects(build({ AUTH_MODE: 'token' }, [undeclared]), /without an access declaration.*GET \/api\/v1\/secrets/);
  });

  test('an unknown access level is refused as well', async () => {
    const misspelt: FastifyPluginAsync<AppContext> = async (app) => {
      app.get('/x', { config: { access: 'everyone' as never } }, async () => ({}));
    };
    await assert.rejects(build({ AUTH_MODE: 'token' }, [misspelt]), /unknown access "everyone"/);
  });

  test('a declared route gets its checks, in token mode and in open mode', async () => {
    const declared: FastifyPluginAsync<AppContext> = async (app) => {
      app.get('/api/v1/declared', { config: { access: 'attendance:read' } }, async () => ({ ok: true }));
      app.post('/api/v1/declared', { config: { access: 'admin' } }, async () => ({ ok: true }));
      app.get('/declared/public', { config: { access: 'public' } }, async () => ({ ok: true }));
    };
    const token = await build({ AUTH_MODE: 'token' }, [declared]);
    try {
      assert.equal((await token.app.inject('/api/v1/declared')).statusCode, 401);
      assert.equal((await token.app.inject('/api/v1/%64eclared')).statusCode, 401);
      assert.equal((await token.app.inject({ method: 'POST', url: '/api/v1/declared', payload: {} })).statusCode, 401);
      assert.equal((await token.app.inject('/declared/public')).statusCode, 200);
    } finally {
      await token.close();
    }
    const open = await build({ AUTH_MODE: 'open' }, [declared]);
    try {
      assert.equal((await open.app.inject('/api/v1/declared')).statusCode, 200);
      assert.equal((await open.app.inject({ method: 'POST', url: '/api/v1/declared', payload: {} })).statusCode, 200);
      const invalid = await open.app.inject({ url: '/api/v1/declared', headers: { authorization: 'Bearer brn_nope' } });
      assert.equal(invalid.statusCode, 401, 'a presented but unknown token is refused in open mode too');
    } finally {
      await open.close();
    }
  });
});
