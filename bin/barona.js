#!/usr/bin/env -S node --max-semi-space-size=8 --heap-growing-percent=20
// Entry point of the `barona` command; the compiled code lives in dist/ (npm ci builds it).
// The node flags above keep memory close to the live heap (docs/PERFORMANCE.md, "Memory"): an 8 MB young
// generation, and an old generation that grows in 20 % steps instead of several-fold before collecting.
// They apply wherever `barona` is run as a command (the image's entrypoint, npx barona, npm start); the
// benchmark reads them from this line.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  console.error('barona: dist/ is missing; run `npm run build` (npm ci does it) first');
  process.exit(1);
}
const { run } = await import(cli.href);
await run(process.argv.slice(2));
