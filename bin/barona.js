#!/usr/bin/env node
// Entry point of the `barona` command; the compiled code lives in dist/ (npm ci builds it).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  console.error('barona: dist/ is missing; run `npm run build` (npm ci does it) first');
  process.exit(1);
}
const { run } = await import(cli.href);
await run(process.argv.slice(2));
