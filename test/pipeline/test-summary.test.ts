// The closing line of `npm test` ("tests: N passed, N failed, N skipped") comes from
// scripts/test-summary.mjs, node's TAP reporter plus counts. A suite skipped as a whole (a missing tool) must be
// counted as skipped: node's own summary leaves it out.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ROOT } from './project.js';

describe('npm test summary reporter', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'barona-summary-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  function summarise(source: string) {
    const file = path.join(dir, `case-${Math.random().toString(36).slice(2)}.test.mjs`);
    writeFileSync(file, `import { describe, it, before } from 'node:test';\n${source}\n`);
    // Without NODE_TEST_CONTEXT: inside a test file it makes a nested runner report to its parent instead.
    const summary = `${file}.json`;
    const env: NodeJS.ProcessEnv = { ...process.env, BARONA_TEST_SUMMARY: summary };
    delete env.NODE_TEST_CONTEXT;
    const r = spawnSync(process.execPath, ['--test', `--test-reporter=${path.join(ROOT, 'scripts/test-summary.mjs')}`, file], {
      cwd: ROOT,
      env,
      encoding: 'utf8',
    });
    assert.match(r.stdout, /^TAP version 13$/m, 'the TAP output is still there');
    return JSON.parse(readFileSync(summary, 'utf8')) as {
      passed: number;
      failed: number;
      skipped: number;
      skips: string[];
    };
  }

  it('counts a suite skipped as a whole as skipped, with its reason', () => {
    const s = summarise(`
      describe('needs a tool', { skip: 'tool is not installed' }, () => { it('a', () => {}); it('b', () => {}); });
      describe('runs', () => { it('c', () => {}); it('d', { skip: 'not today' }, () => {}); it.todo('e'); });
    `);
    assert.equal(s.passed, 1);
    assert.equal(s.failed, 0);
    assert.equal(s.skipped, 3, JSON.stringify(s));
    assert.ok(
      s.skips.some((line) => line.includes('suite needs a tool — tool is not installed')),
      s.skips.join('\n'),
    );
  });

  it('counts failing tests, and a suite that failed on its own, as failed', () => {
    const s = summarise(`
      describe('one fails', () => { it('f', () => { throw new Error('f'); }); it('g', () => {}); });
      describe('body throws', () => { throw new Error('broken suite'); });
    `);
    assert.equal(s.passed, 1);
    assert.equal(s.failed, 2, JSON.stringify(s));
    assert.equal(s.skipped, 0);
  });
});
