/* global process */
// A node:test reporter (plain JavaScript: node loads reporters before tsx is in place) that counts
// what `npm test` closes with: passed and failed tests, and skipped tests AND skipped suites. node's
// own summary (`# skipped`) leaves out a suite skipped as a whole (`describe(name, { skip: reason })`,
// e.g. the container image suite without Podman), so a machine without a tool would print "0 skipped"
// while whole suites never ran. Writes one JSON line:
//   {"passed":N,"failed":N,"skipped":N,"skips":["file: [suite] name — reason", ...]}

/** @param {AsyncIterable<{ type: string, data: any }>} source */
export default async function* summary(source) {
  const result = { passed: 0, failed: 0, skipped: 0, skips: /** @type {string[]} */ ([]) };
  for await (const { type, data } of source) {
    if (type !== 'test:pass' && type !== 'test:fail') continue;
    const suite = data.details?.type === 'suite';
    const skipped = data.skip !== undefined && data.skip !== false;
    const todo = data.todo !== undefined && data.todo !== false;
    if (type === 'test:pass' && (skipped || todo)) {
      result.skipped += 1;
      const reason = typeof data.skip === 'string' ? data.skip : typeof data.todo === 'string' ? data.todo : '';
      const where = data.file ? `${String(data.file).replace(`${process.cwd()}/`, '')}: ` : '';
      result.skips.push(`${where}${suite ? 'suite ' : ''}${data.name}${reason ? ` — ${reason}` : ''}`);
      continue;
    }
    if (type === 'test:pass') {
      if (!suite) result.passed += 1;
      continue;
    }
    // A suite fails with its failing tests, which are counted themselves; a suite that failed on its
    // own (its body threw, a hook failed before any test ran) counts once.
    if (!suite || data.details?.error?.failureType !== 'subtestsFailed') result.failed += 1;
  }
  yield `${JSON.stringify(result)}\n`;
}
