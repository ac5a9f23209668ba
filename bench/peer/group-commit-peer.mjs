// NOT THE PRODUCT. The benchmark's floor for writes: the seed POST as a bare Fastify route with group
// commit and nothing else — no logging, metrics, security headers, access checks, time zones, duplicate
// detection or Idempotency-Keys. The requests of one turn of the event loop share one multi-row INSERT
// (at most 100 rows, at most 5 statements in flight on a pool of 10, as barona's defaults), each answered
// after its commit with its own row. bench/peers.ts runs it beside `barona serve` and the naive peer on the
// same database, so that one run shows what group commit alone reaches on that machine: how far the
// naive peer's rate is from what batching can do, and how much of that Barona's per-request work costs.
// Environment: DATABASE_URL, PORT, HOST (default 127.0.0.1).
import process from 'node:process';
import { setImmediate } from 'node:timers';
import Fastify from 'fastify';
import pg from 'pg';

const MAX_ROWS = 100;
const MAX_IN_FLIGHT = 5;
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const app = Fastify({ logger: false });

// Ids are drawn before the insert and each row is matched back to its request by id (RETURNING promises
// no order); the table's trigger fills name_key.
const INSERT = {
  name: 'group_commit_insert',
  text: `WITH input AS MATERIALIZED (
           SELECT nextval(pg_get_serial_sequence('checkins', 'id')::regclass) AS id, r.*
             FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS r(firstname, lastname, gate, ord)
         ), inserted AS (
           INSERT INTO checkins (id, firstname, lastname, gate) SELECT id, firstname, lastname, gate FROM input
           RETURNING id, login, firstname, lastname, gate
         )
         SELECT inserted.* FROM inserted JOIN input USING (id) ORDER BY input.ord`,
};

let queue = [];
let inFlight = 0;
let scheduled = false;

function drain() {
  scheduled = false;
  while (queue.length > 0 && inFlight < MAX_IN_FLIGHT) {
    const batch = queue.splice(0, MAX_ROWS);
    inFlight++;
    pool
      .query({ ...INSERT, values: [batch.map((r) => r.firstname), batch.map((r) => r.lastname), batch.map((r) => r.gate)] })
      .then(
        ({ rows }) => batch.forEach((request, i) => request.resolve(rows[i])),
        (error) => batch.forEach((request) => request.reject(error)),
      )
      .finally(() => {
        inFlight--;
        drain();
      });
  }
}

app.post('/table/create', async (request, reply) => {
  const { firstname, lastname, gate = '' } = request.body ?? {};
  if (typeof firstname !== 'string' || !firstname.trim() || typeof lastname !== 'string' || !lastname.trim()) {
    return reply.code(400).send({ firstname: ['This field is required.'] });
  }
  const row = await new Promise((resolve, reject) => {
    queue.push({ firstname: firstname.trim(), lastname: lastname.trim(), gate: String(gate), resolve, reject });
    if (!scheduled && inFlight < MAX_IN_FLIGHT) {
      scheduled = true;
      setImmediate(drain);
    }
  });
  return reply.code(201).send(row);
});

app.get('/healthz', async () => ({ status: 'ok' }));

await app.listen({ port: Number(process.env.PORT ?? 8002), host: process.env.HOST ?? '127.0.0.1' });
const stop = async () => {
  await app.close();
  await pool.end();
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
