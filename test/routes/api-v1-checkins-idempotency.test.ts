// Idempotency-Keys belong to their caller and expire: a key sent by another gate token is another key
// (no replay of someone else's entry, no 422 revealing that the key exists), a key older than 24 hours
// is forgotten, and expired keys are cleaned up as writes go by. Through HTTP in AUTH_MODE=token with two
// gate tokens, on PostgreSQL and PGlite (the expiry, which needs to age rows, on PostgreSQL).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { api, BACKENDS, backendName, startApiServer, uniqueName, type ApiServer } from '../support/api.js';

interface Entry {
  id: number;
  firstname: string;
  lastname: string;
  gate: string;
}

const TOKEN_A = 'brn_idempotency-test-token-a-0123456789abcdef-xyz';
const TOKEN_B = 'brn_idempotency-test-token-b-0123456789abcdef-xyz';
const hex = (text: string) => createHash('sha256').update(text).digest('hex');
const SEED_TOKEN_B = `INSERT INTO gate_tokens (name, gate, token_hash, token_prefix, created_by)
  VALUES ('kiosk B', '', '${hex(TOKEN_B)}', '${TOKEN_B.slice(0, 10)}', 'test');`;

for (const backend of BACKENDS) {
  describe(`Idempotency-Keys per caller on ${backendName(backend)}`, () => {
    let app: ApiServer;
    let base: string;
    const post = (token: string, key: string, body: object) =>
      api<Entry>(`${base}/checkins`, { body, headers: { authorization: `Bearer ${token}`, 'idempotency-key': key } });

    before(async () => {
      app = await startApiServer(backend, { AUTH_MODE: 'token', BOOTSTRAP_API_TOKEN: TOKEN_A }, SEED_TOKEN_B);
      base = `${app.server.url}/api/v1`;
    });
    after(async () => {
      await app.stop();
    });

    test('the same key from another token is that token’s own key: no replay, no 422', async () => {
      const key = `shared-key-${uniqueName().lastname}`;
      const bodyA = { ...uniqueName('KeyA'), gate: 'A' };
      const bodyB = { ...uniqueName('KeyB'), gate: 'A' };
      const first = await post(TOKEN_A, key, bodyA);
      assert.equal(first.status, 201, first.text);
      const other = await post(TOKEN_B, key, bodyB);
      assert.equal(other.status, 201, `another caller's key is not theirs to replay or probe: ${other.text}`);
      assert.equal(other.headers.get('idempotent-replayed'), null);
      assert.notEqual(other.body.id, first.body.id);
      assert.equal(other.body.lastname, bodyB.lastname);
      // Each caller's retry still replays its own first answer.
      const retryA = await post(TOKEN_A, key, bodyA);
      assert.equal(retryA.headers.get('idempotent-replayed'), 'true');
      assert.equal(retryA.body.id, first.body.id);
      const retryB = await post(TOKEN_B, key, bodyB);
      assert.equal(retryB.headers.get('idempotent-replayed'), 'true');
      assert.equal(retryB.body.id, other.body.id);
    });

    if (backend === 'postgres') {
      test('a key older than 24 hours is forgotten; expired keys are cleaned up by later writes', async () => {
        const database = app.database!;
        const key = `expiring-${uniqueName().lastname}`;
        const first = await post(TOKEN_A, key, { ...uniqueName('Old'), gate: 'A' });
        assert.equal(first.status, 201);
        const young = await post(TOKEN_A, key, { ...uniqueName('Young'), gate: 'A' });
        assert.equal(young.status, 422, 'within 24 hours another body is still a reuse');

        await database.query(`UPDATE checkin_idempotency_keys SET created_at = now() - interval '24 hours 1 minute'`);
        const aged = await database.query<{ n: number }>(`SELECT count(*)::int AS n FROM checkin_idempotency_keys`);
        assert.ok(aged[0]!.n >= 3);
        const later = await post(TOKEN_A, key, { ...uniqueName('Later'), gate: 'A' });
        assert.equal(later.status, 201, `an expired key is a new request: ${later.text}`);
        assert.equal(later.headers.get('idempotent-replayed'), null);
        assert.notEqual(later.body.id, first.body.id);
        const left = await database.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM checkin_idempotency_keys WHERE created_at < now() - interval '24 hours'`,
        );
        assert.equal(left[0]!.n, 0, 'expired keys were removed');
      });
    }
  });
}
