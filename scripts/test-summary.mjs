/* global process */
// node:test's TAP reporter plus the counts `npm test` closes with (plain JavaScript: node loads
// reporters before tsx is in place). It replaces `--test-reporter=tap` (one reporter more would be one
// more set of listeners on the runner's stream) and, when the TAP is complete, writes to the file named
// by BARONA_TEST_SUMMARY:
//   {"passed":N,"failed":N,"skipped":N,"skips":["file: [suite] name — reason", ...]}
// node's own summary (`# skipped`) leaves out a suite skipped as a whole (`describe(name, { skip })`,
// e.g. the container image suite without Podman), so a machine without a tool would print "0 skipped"
// while whole suites never ran; here skipped counts skipped tests and skipped suites.
import { writeFileSync } from 'node:fs';
import { tap } from 'node:test/reporters';

/** @param {AsyncIterable<{ type: string, data: any }>} source */
export default async function* tapWithSummary(source) {
  const result = { passed: 0, failed: 0, skipped: 0, skips: /** @type {string[]} */ ([]) };
  async function* counted() {
    for await (const event of source) {
      count(result, event);
      yield event;
    }
  }
  yield* tap(counted());
  if (process.env.BARONA_TEST_SUMMARY) writeFileSync(process.env.BARONA_TEST_SUMMARY, `${JSON.stringify(result)}\n`);
}

/** @param {{ passed: number, failed: number, skipped: number, skips: string[] }} result */
function count(result, { type, data }) {
  if (type !== 'test:pass' && type !== 'test:fail') return;
  const suite = data.details?.type === 'suite';
  const skipped = data.skip !== undefined && data.skip !== false;
  const todo = data.todo !== undefined && data.todo !== false;
  if (type === 'test:pass' && (skipped || todo)) {
    result.skipped += 1;
    const reason = typeof data.skip === 'string' ? data.skip : typeof data.todo === 'string' ? data.todo : '';
    const where = data.file ? `${String(data.file).replace(`${process.cwd()}/`, '')}: ` : '';
    result.skips.push(`${where}${suite ? 'suite ' : ''}${data.name}${reason ? ` — ${reason}` : ''}`);
  } else if (type === 'test:pass') {
    if (!suite) result.passed += 1;
  } else if (!suite || data.details?.error?.failureType !== 'subtestsFailed') {
    // A suite fails with its failing tests, which are counted themselves; a suite that failed on its
    // own (its body threw, a hook failed) counts once.
    result.failed += 1;
  }
}
