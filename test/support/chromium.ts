// Real headless Chromium (Debian's `chromium`, driven by playwright-core) for the browser tests and the
// screenshot script. A machine without it skips the browser tests with a clear message; under CI=true a
// missing browser is a failure (.ci/run installs it with scripts/install-chromium.sh).
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Why the browser tests cannot run here, or undefined when they can. Throws under CI=true. */
export function chromiumMissing(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  const message = `Chromium not found at ${CHROMIUM}: browser tests skipped (install it with scripts/install-chromium.sh)`;
  if (process.env.CI === 'true') throw new Error(`${message}; under CI=true this is a failure`);
  console.warn(`⚠ ${message}`);
  return message;
}

/** `extraArgs`: more command-line flags, e.g. a fake camera fed from a file. */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...FLAGS, ...extraArgs], timeout: 60_000 });
}
