// Cut a release locally. Never pushes.
//
//   npm run release -- patch|minor|major|X.Y.Z   bump package.json, package-lock.json, Chart.yaml
//                                                version + appVersion, write a CHANGELOG.md section
//                                                from the commits since the last v* tag, commit, tag vX.Y.Z
//   npm run release -- notes [X.Y.Z]             print that version's CHANGELOG section (release notes)
//   npm run release -- record [X.Y.Z]            record the tagged release in releases.json (a commit of its
//                                                own, after the tag: a commit cannot name its own hash)
//
// Then: `git push --follow-tags` starts the release pipelines (image, chart, deploy).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHART_DIR, SEMVER, disagreements, readVersions } from './version-check.js';

const root = resolve(process.env.RELEASE_ROOT ?? '.');
const CHANGELOG = join(root, 'CHANGELOG.md');
const CHANGELOG_HEADER = `# Changelog

All notable changes to Barona, newest first. \`npm run release\` writes each section from the
commit subjects since the previous tag; edit the section before pushing the tag if it needs words.
`;

const git = (...args: string[]): string =>
  execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

function fail(message: string): never {
  console.error(`release: ${message}`);
  process.exit(1);
}

function bump(version: string, part: string): string {
  if (SEMVER.test(part)) return part;
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!m) fail(`package.json version "${version}" is not x.y.z`);
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  switch (part) {
    case 'major':
      return `${major + 1}.0.0`;
    case 'minor':
      return `${major}.${minor + 1}.0`;
    case 'patch':
      return `${major}.${minor}.${patch + 1}`;
    default:
      fail(`unknown bump "${part}": use patch, minor, major or an explicit x.y.z`);
  }
}

function setJsonVersion(file: string, update: (doc: Record<string, unknown>) => void): void {
  const doc = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  update(doc);
  writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
}

/** Rewrites one top-level YAML scalar in place so comments and layout stay as they are. */
function setYamlScalar(text: string, key: string, value: string, file: string): string {
  const re = new RegExp(`^(${key}:[ \\t]*)(["']?)[^"'\\s#]*\\2([ \\t]*(#.*)?)$`, 'm');
  if (!re.test(text)) fail(`${file} has no top-level "${key}:" line`);
  return text.replace(re, (_all, head: string, quote: string, tail: string) => `${head}${quote}${value}${quote}${tail}`);
}

/** The releases recorded in releases.json, newest first (empty when there is none). */
function recordedReleases(): { version: string; commit: string; date: string }[] {
  const file = join(root, 'releases.json');
  if (!existsSync(file)) return [];
  return (JSON.parse(readFileSync(file, 'utf8')) as { releases?: { version: string; commit: string; date: string }[] }).releases ?? [];
}

function changelogEntries(): string[] {
  let range = 'HEAD';
  try {
    range = `${git('describe', '--tags', '--abbrev=0', '--match', 'v[0-9]*')}..HEAD`;
  } catch {
    // No release tag here (tags may not travel with a clone): the newest release recorded in
    // releases.json marks where this section starts; without one, the first section lists everything.
    const recorded = recordedReleases()[0];
    if (recorded) range = `${recorded.commit}..HEAD`;
  }
  const log = git('log', '--no-merges', '--format=%h%x09%s', range);
  return log
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [sha, ...rest] = line.split('\t');
      return { sha, subject: rest.join('\t') };
    })
    .filter((c) => !/^Release v\d/.test(c.subject))
    .map((c) => `- ${c.subject} (${c.sha})`);
}

function insertSection(changelog: string, section: string): string {
  const body = changelog.trim() ? changelog : CHANGELOG_HEADER;
  // Notes written by hand under "## [Unreleased]" open the new section, above the commit list.
  const unreleased = /^## \[Unreleased\]\n([\s\S]*?)(?=^## |(?![\s\S]))/m.exec(body);
  if (unreleased) {
    const [heading, ...rest] = section.split('\n\n');
    const merged = `${heading}\n\n${unreleased[1]!.trim()}\n\n${rest.join('\n\n')}`;
    return `${body.slice(0, unreleased.index)}${merged}\n${body.slice(unreleased.index + unreleased[0].length)}`;
  }
  const at = body.search(/^## /m);
  if (at === -1) return `${body.trimEnd()}\n\n${section}`;
  return `${body.slice(0, at)}${section}\n${body.slice(at)}`;
}

function sectionOf(changelog: string, version: string): string | undefined {
  const lines = changelog.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`## [${version}]`));
  if (start === -1) return undefined;
  const end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  return lines
    .slice(start + 1, end === -1 ? undefined : end)
    .join('\n')
    .trim();
}

function notes(version?: string): void {
  const want = version ?? readVersions(root).packageJson ?? fail('package.json has no version');
  const text = existsSync(CHANGELOG) ? readFileSync(CHANGELOG, 'utf8') : '';
  const section = sectionOf(text, want);
  if (section === undefined) fail(`CHANGELOG.md has no section for ${want}`);
  console.log(section);
}

function release(part: string): void {
  if (git('status', '--porcelain', '--untracked-files=no')) {
    fail('the work tree has uncommitted changes; commit or stash them first');
  }
  const before = readVersions(root);
  const problems = disagreements(before);
  if (problems.length) fail(`versions disagree before the bump:\n  ${problems.join('\n  ')}`);
  const current = before.packageJson as string;
  const next = bump(current, part);
  const tag = `v${next}`;
  if (git('tag', '--list', tag)) fail(`tag ${tag} already exists`);

  const entries = changelogEntries();
  setJsonVersion(join(root, 'package.json'), (doc) => {
    doc.version = next;
  });
  setJsonVersion(join(root, 'package-lock.json'), (doc) => {
    doc.version = next;
    const packages = doc.packages as Record<string, { version?: string }> | undefined;
    if (packages?.['']) packages[''].version = next;
  });
  const chartFile = join(root, CHART_DIR, 'Chart.yaml');
  let chart = readFileSync(chartFile, 'utf8');
  chart = setYamlScalar(chart, 'version', next, 'Chart.yaml');
  chart = setYamlScalar(chart, 'appVersion', next, 'Chart.yaml');
  writeFileSync(chartFile, chart);
  const changed = ['package.json', 'package-lock.json', `${CHART_DIR}/Chart.yaml`, 'CHANGELOG.md'];
  // A pinned default image tag (instead of "" = appVersion) follows the version too.
  if (before.imageTagDefault === current) {
    const valuesFile = join(root, CHART_DIR, 'values.yaml');
    const text = readFileSync(valuesFile, 'utf8');
    writeFileSync(valuesFile, text.replace(/^(\s+tag:\s*)(["']?)[^"'\s#]+\2/m, `$1$2${next}$2`));
    changed.push(`${CHART_DIR}/values.yaml`);
  }

  // The plain manifests carry the chart's version in their labels: rendered again, so they never drift.
  if (existsSync(join(root, 'deploy/kubernetes/values.yaml'))) {
    execFileSync('bash', [fileURLToPath(new URL('chart-render.sh', import.meta.url))], {
      env: { ...process.env, CHART_ROOT: root },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    changed.push('deploy/kubernetes');
  }

  const date = new Date().toISOString().slice(0, 10);
  const lines = entries.length ? entries : ['- No changes since the previous release.'];
  const section = `## [${next}] - ${date}\n\n${lines.join('\n')}\n`;
  writeFileSync(CHANGELOG, insertSection(existsSync(CHANGELOG) ? readFileSync(CHANGELOG, 'utf8') : '', section));

  const after = disagreements(readVersions(root), tag);
  if (after.length) fail(`versions still disagree after the bump (nothing committed):\n  ${after.join('\n  ')}`);

  git('add', '--', ...changed);
  git('commit', '--quiet', '-m', `Release ${tag}`, '-m', lines.join('\n'));
  git('tag', '--annotate', tag, '-m', `barona ${next}`);
  console.log(`release: ${current} → ${next}: bumped ${changed.join(', ')}`);
  console.log(`release: committed "Release ${tag}" and created tag ${tag} (${entries.length} change(s) listed)`);
  console.log('release: nothing was pushed. Publish with: git push --follow-tags');
}

/**
 * Records a cut release in releases.json (newest first): its version, the commit its tag points at and
 * the date. The expand/contract check, the mixed-version test and the chart upgrade test read the first
 * entry as the previous release, so they compare against it from the next commit on.
 */
function record(version?: string): void {
  if (git('status', '--porcelain', '--untracked-files=no')) fail('the work tree has uncommitted changes; commit or stash them first');
  const want = version ?? readVersions(root).packageJson ?? fail('package.json has no version');
  const tag = `v${want}`;
  let commit: string;
  try {
    commit = git('rev-list', '-n', '1', tag);
  } catch {
    fail(`there is no tag ${tag}: cut the release first (npm run release -- minor)`);
  }
  const file = join(root, 'releases.json');
  const doc = JSON.parse(readFileSync(file, 'utf8')) as {
    $comment?: string;
    releases: { version: string; commit: string; date: string }[];
  };
  if (doc.releases.some((r) => r.version === want)) fail(`releases.json already records ${want}`);
  doc.releases.unshift({ version: want, commit, date: git('log', '-1', '--format=%cs', commit) });
  const entries = doc.releases.map(
    (r) => `    ${JSON.stringify(r).replaceAll('":', '": ').replaceAll(',"', ', "').replace(/^\{/, '{ ').replace(/\}$/, ' }')}`,
  );
  writeFileSync(file, `{\n  "$comment": ${JSON.stringify(doc.$comment ?? '')},\n  "releases": [\n${entries.join(',\n')}\n  ]\n}\n`);
  git('add', '--', 'releases.json');
  git('commit', '--quiet', '-m', `Record ${tag} in releases.json (commit ${commit.slice(0, 7)})`);
  console.log(`release: releases.json now names ${want} (commit ${commit.slice(0, 7)}) as the previous release`);
}

const [command, arg] = process.argv.slice(2);
if (!command) fail('usage: release.ts patch|minor|major|X.Y.Z   or   release.ts notes [X.Y.Z]   or   release.ts record [X.Y.Z]');
if (command === 'notes') notes(arg);
else if (command === 'record') record(arg);
else release(command);
