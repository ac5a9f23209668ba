// NOT THE PRODUCT. The benchmark's peer: what a developer writes in an afternoon with Fastify and
// node-postgres for the seed's routes — one INSERT per request, rows fetched and turned into JSON in
// Node — plus a bare Fastify route for /healthz. bench/run.ts runs it beside `barona serve` against the
// same database so that ratios compare two programs in the same runtime on the same machine, in one run.
// Environment: DATABASE_URL, PORT, HOST (default 127.0.0.1), POOL_MAX (default 10, as barona's pool).
import process from 'node:process';
import Fastify from 'fastify';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.POOL_MAX ?? 10) });
const app = Fastify({ logger: false });

app.get('/healthz', async () => ({ status: 'ok' }));

app.post('/table/create', async (request, reply) => {
  const { firstname, lastname, gate = '' } = request.body ?? {};
  if (typeof firstname !== 'string' || !firstname.trim() || typeof lastname !== 'string' || !lastname.trim()) {
    return reply.code(400).send({ firstname: ['This field is required.'] });
  }
  const { rows } = await pool.query(
    'INSERT INTO checkins (firstname, lastname, gate) VALUES ($1, $2, $3) RETURNING id, login, firstname, lastname, gate',
    [firstname.trim(), lastname.trim(), String(gate)],
  );
  return reply.code(201).send(rows[0]);
});

app.get('/table/view/:date', async (request, reply) => {
  const match = /^date:(\d{4})(\d{2})(\d{2})$/.exec(request.params.date);
  if (!match) return reply.code(400).send({ detail: 'Invalid date. Use YYYYMMDD.' });
  const day = `${match[1]}-${match[2]}-${match[3]}`;
  const { rows } = await pool.query(
    `SELECT id, login, lastname, firstname, gate FROM checkins
      WHERE login >= $1::date::timestamptz AND login < ($1::date + 1)::timestamptz AND deleted_at IS NULL
      ORDER BY id`,
    [day],
  );
  return rows;
});

await app.listen({ port: Number(process.env.PORT ?? 8001), host: process.env.HOST ?? '127.0.0.1' });
const stop = async () => {
  await app.close();
  await pool.end();
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
