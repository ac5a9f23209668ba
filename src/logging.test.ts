// The collector's log stream (logging.ts): lines of one turn leave together, none is lost at exit, and
// a quiet process writes each line within its turn. Run in a child process whose stdout is a pipe, as
// under a container runtime.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const logging = fileURLToPath(new URL('./logging.ts', import.meta.url));
const pinoPath = createRequire(import.meta.url).resolve('pino');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'barona-logging-'));

/** Runs `body` (TypeScript, with `log` a pino logger on the collector stream); collects stdout by arrival. */
function run(body: string): Promise<{ code: number | null; chunks: { at: number; text: string }[] }> {
  const file = path.join(scratch, `script-${Math.random().toString(36).slice(2)}.ts`);
  writeFileSync(
    file,
    `import pino from ${JSON.stringify(pinoPath)};
     import { loggerOptions, useLogFormat } from ${JSON.stringify(logging)};
     useLogFormat('json');
     const { stream, ...options } = loggerOptions('info') as { stream: pino.DestinationStream };
     const log = pino(options as pino.LoggerOptions, stream);
     ${body}`,
  );
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: path.dirname(logging), stdio: ['ignore', 'pipe', 'ignore'] });
    const chunks: { at: number; text: string }[] = [];
    child.stdout.setEncoding('utf8').on('data', (text: string) => chunks.push({ at: performance.now() - started, text }));
    child.on('close', (code) => resolve({ code, chunks }));
  });
}

const lines = (chunks: { text: string }[]) =>
  chunks
    .map((c) => c.text)
    .join('')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { msg: string; n?: number });

describe('the collector log stream', () => {
  after(() => rmSync(scratch, { recursive: true, force: true }));

  test('what one turn logs before process.exit is all written, in order', async () => {
    const { code, chunks } = await run(`for (let n = 0; n < 500; n++) log.info({ n }, 'line'); process.exit(3);`);
    assert.equal(code, 3);
    assert.deepEqual(
      lines(chunks).map((l) => l.n),
      Array.from({ length: 500 }, (_, n) => n),
    );
  });

  test('a crash keeps the lines of its turn', async () => {
    const { code, chunks } = await run(`log.info('before'); log.fatal('about to crash'); throw new Error('boom');`);
    assert.notEqual(code, 0);
    assert.deepEqual(
      lines(chunks).map((l) => l.msg),
      ['before', 'about to crash'],
    );
  });

  test('a quiet process writes a line within its turn, long before it exits', async () => {
    const { code, chunks } = await run(`log.info('first'); setTimeout(() => log.info('second'), 1500);`);
    assert.equal(code, 0);
    const first = chunks.find((c) => c.text.includes('"first"'));
    const second = chunks.find((c) => c.text.includes('"second"'));
    assert.ok(first && second, 'both lines arrived');
    assert.ok(second.at - first.at > 1000, `the first line came when logged (${Math.round(first.at)} ms), not with the second`);
  });
});
