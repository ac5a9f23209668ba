// The previous release (releases.json), built from git history into a temporary folder, to run beside
// this version: `git archive` of its commit, its dependencies (this checkout's node_modules when the
// release's lockfile pins nothing this one lacks, otherwise `npm ci` from the cache), `npm run build` (without the type check).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readReleases, type Release } from '../../scripts/migration-check.js';
import { ROOT } from './server.js';

export interface BuiltRelease extends Release {
  root: string;
  /** How its dependencies were provided. */
  dependencies: 'linked' | 'npm ci';
  remove(): void;
}

type Lockfile = { packages: Record<string, { version?: string; link?: boolean }> };

/** Whether every package the release's lockfile installs is installed here at the same version. */
function sameDependencies(release: Lockfile, current: Lockfile): boolean {
  return Object.entries(release.packages).every(
    ([key, entry]) => key === '' || entry.link === true || current.packages[key]?.version === entry.version,
  );
}

export function buildPreviousRelease(release = readReleases()[0]!): BuiltRelease {
  const root = mkdtempSync(path.join(os.tmpdir(), `barona-release-${release.version}-`));
  const run = (command: string, args: string[], cwd: string) =>
    execFileSync(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 64 << 20 });
  try {
    run('sh', ['-c', `git archive --format=tar "$0" | tar -x -C "$1"`, release.commit, root], ROOT);
    const lock = (text: string) => JSON.parse(text) as Lockfile;
    const linked = sameDependencies(
      lock(readFileSync(path.join(root, 'package-lock.json'), 'utf8')),
      lock(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')),
    );
    if (linked) symlinkSync(path.join(ROOT, 'node_modules'), path.join(root, 'node_modules'), 'dir');
    else run('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'], root);
    // Type-checked when it was released; emitting alone is several times faster.
    run('npm', ['run', '--silent', 'build', '--', '--noCheck'], root);
    return { ...release, root, dependencies: linked ? 'linked' : 'npm ci', remove: () => rmSync(root, { recursive: true, force: true }) };
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    const e = error as { stderr?: string; message: string };
    throw new Error(`could not build release ${release.version} (${release.commit}): ${e.stderr || e.message}`, { cause: error });
  }
}
