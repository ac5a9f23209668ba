// Fault 3: more than 10,000 generated hostile requests (fast-check, so a failure shrinks to a minimal
// request): random and adversarial JSON, wrong content types and bytes, huge and deeply nested bodies,
// odd Unicode, SQL-looking strings, bad paths and dates, bad headers. Zero 5xx, the process stays up,
// its memory stays bounded, and the table holds only valid rows, exactly the ones answered 201.
//
// Requests go over raw TCP so that nothing in a client library tidies them up first.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startServer, type RunningServer } from '../support/server.js';
import { rawRequest, rssBytes, type RawAnswer } from '../support/http-load.js';

const RUNS_PER_PROPERTY = 2_600; // four properties: 10,400 requests
const RSS_GROWTH_LIMIT = 200 * 1024 * 1024;

interface Generated {
  bytes: Buffer;
  toString(): string;
  /** What the answer must be when the request is fully predictable (201 for a valid create, else 4xx). */
  expect?: 'created' | 'rejected';
  label: string;
}

let sent = 0;
const statuses: Record<string, number> = {};

function http(method: string, path: string, headers: [string, string][], body: Buffer | string = ''): Buffer {
  const payload = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const head = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close', ...headers.map(([k, v]) => `${k}: ${v}`)];
  if (!headers.some(([k]) => /^(content-length|transfer-encoding)$/i.test(k)) && (payload.length > 0 || method === 'POST')) {
    head.push(`Content-Length: ${payload.length}`);
  }
  return Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), payload]);
}

/** fast-check prints counterexamples with toString: show the request, not a byte array. */
function generated(bytes: Buffer, label: string, expect?: Generated['expect']): Generated {
  return { bytes, label, expect, toString: () => `${label}${expect ? ` (expect ${expect})` : ''}` };
}

const json = (text: string) => http('POST', '/table/create', [['Content-Type', 'application/json']], text);

// --- building blocks -------------------------------------------------------------------------------
const SQLISH = [
  "'; DROP TABLE checkins; --",
  "' OR '1'='1",
  "Robert'); DELETE FROM checkins;--",
  '$1',
  '\\x00',
  "E'\\\\'",
  '/* */',
  'pg_sleep(10)',
  '%s%s%n',
];
const ODD_UNICODE = [
  '\uD800',
  '\uDFFF',
  'a\uD83Db',
  '\u0000',
  'x\u0000y',
  '\u202Eevil\u202C',
  '\u200F\u05E9\u05DC\u05D5\u05DD',
  '\uFEFF',
  '\u200B',
  'Z\u0351\u0352\u0353',
  '😀'.repeat(60),
  '\u3000',
  ' \t\n ',
  '\uFFFF',
  '\u{10FFFF}',
];
const oddText = fc.oneof(
  fc.constantFrom(...SQLISH, ...ODD_UNICODE),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
  fc.string({ unit: 'binary', minLength: 95, maxLength: 110 }),
  fc.tuple(fc.constantFrom(...ODD_UNICODE, ...SQLISH), fc.string({ maxLength: 10 })).map(([a, b]) => a + b),
);
const fieldValue = fc.oneof(
  { weight: 6, arbitrary: oddText },
  { weight: 1, arbitrary: fc.constantFrom(null, true, 0, -1, 1e308, [], {}, ['a'], { a: 'b' }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);
const checkinBody = fc.record(
  {
    firstname: fieldValue,
    lastname: fieldValue,
    gate: fieldValue,
    login: fc.oneof(fc.string(), fc.constant('1999-01-01T00:00:00Z')),
    id: fc.integer(),
  },
  { requiredKeys: [] },
);

/** The seed's validation, restated: what a create must be answered with. */
function isValidCheckin(body: Record<string, unknown>): boolean {
  const text = (value: unknown, required: boolean) => {
    if (value === undefined || value === null) return !required;
    if (typeof value !== 'string') return false;
    const trimmed = value.trim();
    return !trimmed.includes('\u0000') && (!required || trimmed !== '') && [...trimmed].length <= 100;
  };
  return text(body.firstname, true) && text(body.lastname, true) && text(body.gate, false);
}

// --- 1. JSON bodies to POST /table/create -----------------------------------------------------------
const jsonCreate: fc.Arbitrary<Generated> = fc.oneof(
  {
    weight: 6,
    arbitrary: checkinBody.map((body) =>
      generated(json(JSON.stringify(body)), `create ${JSON.stringify(body)}`, isValidCheckin(body) ? 'created' : 'rejected'),
    ),
  },
  { weight: 2, arbitrary: fc.json({ maxDepth: 4 }).map((text) => generated(json(text), `create json ${text.slice(0, 200)}`)) },
  {
    weight: 1,
    arbitrary: fc
      .record({ depth: fc.integer({ min: 100, max: 30_000 }), kind: fc.constantFrom('array', 'object') })
      .map(({ depth, kind }) => {
        const text = kind === 'array' ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
        return generated(json(text), `nested ${kind} depth ${depth}`, 'rejected');
      }),
  },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 64 * 1024, max: 256 * 1024 })
      .map((size) =>
        generated(json(JSON.stringify({ firstname: 'x'.repeat(size), lastname: 'y' })), `huge body ${size} bytes`, 'rejected'),
      ),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(
        '{"__proto__":{"admin":true},"firstname":"A","lastname":"B"}',
        '{"constructor":{"prototype":{"x":1}},"firstname":"A","lastname":"B"}',
        '{"firstname":"A","lastname":"B"',
        '{"firstname":"A","lastname":"B"}}',
        '{"firstname":"A" "lastname":"B"}',
        '{"firstname":"\\ud800","lastname":"\\u0000"}',
        '{"firstname":"A","lastname":"B","firstname":""}',
        'null',
        '[]',
        '"text"',
        '1e999',
        '',
      )
      .map((text) => generated(json(text), `create ${text}`)),
  },
);

// --- 2. wrong content types and raw bytes -----------------------------------------------------------
const contentType = fc.oneof(
  fc.constantFrom(
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/json; charset=latin1',
    'application/json; charset=utf-16',
    'application/jsonx',
    'application/xml',
    '*/*',
    'application/json, text/plain',
    'APPLICATION/JSON',
    'application/json;;;',
    '',
  ),
  fc.string({ unit: 'binary-ascii', maxLength: 40 }).map((s) => s.replace(/[\r\n]/g, '')),
);
const wrongBodies: fc.Arbitrary<Generated> = fc
  .record({
    type: fc.option(contentType, { nil: undefined }),
    body: fc.oneof(
      fc.uint8Array({ maxLength: 2_000 }).map((b) => Buffer.from(b)),
      fc.string({ unit: 'binary' }).map((s) => Buffer.from(s)),
      checkinBody.map((b) => Buffer.from(JSON.stringify(b))),
    ),
    path: fc.constantFrom('/table/create', '/table/create/', '/api/v1/checkins', '/table/view/date:today'),
    method: fc.constantFrom('POST', 'PUT', 'PATCH', 'DELETE'),
  })
  .map(({ type, body, path, method }) =>
    generated(
      http(method, path, type === undefined ? [] : [['Content-Type', type]], body),
      `${method} ${path} type=${JSON.stringify(type)} body=${body.subarray(0, 100).toString('hex')}`,
    ),
  );

// --- 3. paths, methods and dates ---------------------------------------------------------------------
const dateLike = fc.oneof(
  fc.constantFrom(
    '20261301',
    '20260230',
    '00000101',
    '99991231',
    '2026011',
    '202601011',
    '-2026010',
    '２０２６０１０１',
    '٢٠٢٦٠١٠١',
    'today',
    'TODAY',
    'yesterday',
    '2026-01-01',
    '',
    '%00',
    '%ff',
    '1e10',
    '20260101%00',
    '20240229',
    '21000229',
  ),
  fc.integer({ min: -1e9, max: 1e9 }).map(String),
  fc.string({ unit: 'binary-ascii', maxLength: 12 }).map(encodeURIComponent),
);
const segment = fc.oneof(
  fc.constantFrom(
    'table',
    'view',
    'create',
    'api',
    'v1',
    'checkins',
    'admin',
    'metrics',
    '..',
    '.',
    '%2e%2e',
    '%00',
    '%zz',
    '%',
    '%c0%af',
    ';',
    '*',
    '~',
    'date:today',
    '\u00e9',
    'x'.repeat(300),
  ),
  fc.string({ unit: 'binary', maxLength: 20 }).map(encodeURIComponent),
);
const paths: fc.Arbitrary<Generated> = fc
  .record({
    method: fc.constantFrom('GET', 'HEAD', 'OPTIONS', 'DELETE', 'POST', 'PUT', 'TRACE', 'PROPFIND', 'CONNECT'),
    path: fc.oneof(
      dateLike.map((d) => `/table/view/date:${d}`),
      dateLike.map((d) => `/table/view/${d}`),
      fc.array(segment, { minLength: 0, maxLength: 6 }).map((segments) => `/${segments.join('/')}`),
      fc
        .tuple(
          fc.constantFrom('/table/view/date:today', '/table/', '/readyz', '/metrics', '/admin'),
          fc.string({ unit: 'binary-ascii', maxLength: 30 }),
        )
        .map(([p, q]) => `${p}?${encodeURIComponent(q)}=${encodeURIComponent(q)}`),
      fc.constantFrom('//', '/..', '/table/../table/', 'http://127.0.0.1/table/', '*', '/table/view/date:' + '9'.repeat(2_000)),
    ),
  })
  .map(({ method, path }) => generated(http(method, path, []), `${method} ${path.slice(0, 200)}`));

// --- 4. bad headers and framing ------------------------------------------------------------------------
const headerName = fc.oneof(
  fc.constantFrom(
    'X-Request-Id',
    'Content-Type',
    'Content-Length',
    'Transfer-Encoding',
    'Host',
    'Expect',
    'Authorization',
    'Cookie',
    'Accept',
    'Accept-Encoding',
    'X-Forwarded-For',
    'If-None-Match',
    'Range',
  ),
  fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 20 }).map((s) => s.replace(/[\r\n]/g, '')),
);
const headerValue = fc.oneof(
  fc.string({ unit: 'binary-ascii', maxLength: 60 }).map((s) => s.replace(/[\r\n]/g, '')),
  fc.string({ unit: 'binary', maxLength: 30 }).map((s) =>
    Buffer.from(s, 'utf8')
      .toString('latin1')
      .replace(/[\r\n]/g, ''),
  ),
  fc.constantFrom(
    '-1',
    '1e3',
    'abc',
    '0x10',
    '99999999999999999999',
    'chunked',
    'gzip, chunked',
    'identity',
    '100-continue',
    'bytes=0-0',
    'a'.repeat(20_000),
    '../../etc/passwd',
    "'; DROP TABLE checkins; --",
  ),
);
const headers: fc.Arbitrary<Generated> = fc
  .record({
    list: fc.array(fc.tuple(headerName, headerValue), { minLength: 1, maxLength: 6 }),
    body: fc.constantFrom('', '{"firstname":"Head","lastname":"Er","gate":"H"}', '5\r\nhello\r\n0\r\n\r\n', 'zz\r\nbad\r\n'),
    path: fc.constantFrom('/table/create', '/table/view/date:today', '/healthz', '/readyz'),
    method: fc.constantFrom('GET', 'POST'),
  })
  .map(({ list, body, path, method }) => {
    // A declared length the body does not match would leave the server waiting for bytes that never come
    // (that is the request timeout's job, tested separately): declared lengths here are always truthful.
    const cleaned = list.filter(
      ([name, value]) =>
        !(/^content-length$/i.test(name.trim()) && value.trim() !== String(Buffer.byteLength(body))) && !/^expect$/i.test(name.trim()),
    );
    return generated(
      http(method, path, cleaned, body),
      `${method} ${path} headers=${JSON.stringify(cleaned).slice(0, 300)} body=${JSON.stringify(body)}`,
    );
  });

describe('fault: hostile input', { timeout: 240_000 }, () => {
  let database: TestDatabase;
  let server: RunningServer;

  before(async () => {
    database = await createTestDatabase();
    server = await startServer({ env: { DATABASE_URL: database.url, LOG_LEVEL: 'warn' } });
  });
  after(async () => {
    assert.equal(await server.stop(), 0, 'clean exit after the onslaught');
    await database.drop();
  });

  test('≥ 10,000 generated requests: zero 5xx, still up, memory bounded, only valid rows', async () => {
    const pid = server.process.pid!;
    const rssBefore = rssBytes(pid);
    let rssMax = rssBefore;
    const sampler = setInterval(() => (rssMax = Math.max(rssMax, rssBytes(pid))), 250);
    const started = Date.now();

    const check = async (request: Generated) => {
      sent++;
      const answer: RawAnswer = await rawRequest(server.port, request.bytes);
      const key = String(answer.status ?? answer.error);
      statuses[key] = (statuses[key] ?? 0) + 1;
      if (answer.status === undefined) throw new Error(`no answer (${answer.error}) to ${request.label}`);
      if (answer.status >= 500) throw new Error(`${answer.status} for ${request.label}\n${answer.head}`);
      if (request.expect === 'created' && answer.status !== 201) throw new Error(`expected 201, got ${answer.status} for ${request.label}`);
      if (request.expect === 'rejected' && !(answer.status >= 400 && answer.status < 500))
        throw new Error(`expected 4xx, got ${answer.status} for ${request.label}`);
    };
    // Each property sends one request per run, so a failure shrinks to the one smallest request.
    const property = (arbitrary: fc.Arbitrary<Generated>) =>
      fc.assert(fc.asyncProperty(arbitrary, check), { numRuns: RUNS_PER_PROPERTY, includeErrorInReport: true });
    try {
      await Promise.all([property(jsonCreate), property(wrongBodies), property(paths), property(headers)]);
    } finally {
      clearInterval(sampler);
    }
    const seconds = (Date.now() - started) / 1000;

    const health = await fetch(`${server.url}/healthz`);
    const rows = await database.query<{ id: number; firstname: string; lastname: string; gate: string; login: Date }>(
      'SELECT id::int AS id, firstname, lastname, gate, login FROM checkins ORDER BY id',
    );
    const invalid = rows.filter(
      (row) =>
        !isValidCheckin(row) ||
        row.firstname !== row.firstname.trim() ||
        row.lastname !== row.lastname.trim() ||
        Math.abs(row.login.getTime() - Date.now()) > 10 * 60_000,
    );
    const createdCount = statuses['201'] ?? 0;

    console.log(
      [
        `hostile input: ${sent} requests in ${seconds.toFixed(1)} s (${Math.round(sent / seconds)}/s)`,
        `  answers by status: ${JSON.stringify(statuses)}`,
        `  rows in the table: ${rows.length} (201 answers: ${createdCount}); invalid rows: ${invalid.length}`,
        `  server RSS: ${(rssBefore / 2 ** 20).toFixed(0)} MiB before, ${(rssMax / 2 ** 20).toFixed(0)} MiB peak, ${(rssBytes(pid) / 2 ** 20).toFixed(0)} MiB after`,
      ].join('\n'),
    );
    assert.ok(sent >= 10_000, `${sent} requests sent`);
    assert.equal(
      Object.keys(statuses).filter((s) => !/^\d+$/.test(s) || Number(s) >= 500).length,
      0,
      'every request got an answer, none 5xx',
    );
    assert.equal(health.status, 200, 'the process is up');
    assert.equal(server.process.exitCode, null);
    assert.ok(rssMax - rssBefore < RSS_GROWTH_LIMIT, `RSS grew by ${((rssMax - rssBefore) / 2 ** 20).toFixed(0)} MiB`);
    assert.equal(invalid.length, 0, `invalid rows: ${JSON.stringify(invalid.slice(0, 3))}`);
    assert.equal(rows.length, createdCount, 'the table holds exactly the check-ins answered 201');
    assert.ok(createdCount > 100, 'valid creates were among the generated requests');
  });
});
