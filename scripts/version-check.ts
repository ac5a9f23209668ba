// One version for everything: package.json is the source; package-lock.json, the chart's
// `version` and `appVersion`, and the chart's default image tag ("" = appVersion) must follow it.
//
//   node --import tsx scripts/version-check.ts [--root DIR] [--tag vX.Y.Z]
//
// --tag (or RELEASE_TAG) also checks that a release tag names this version (the release workflow
// passes the pushed tag). Exit 0 when all agree, 1 naming each file that does not.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { parse as parseYaml } from 'yaml';

export const CHART_DIR = 'charts/barona';
export const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

export interface VersionSources {
  packageJson: string | undefined;
  lockVersion: string | undefined;
  lockRootPackage: string | undefined;
  chartVersion: string | undefined;
  chartAppVersion: string | undefined;
  /** values.yaml image.tag: "" (or absent) means "use appVersion". */
  imageTagDefault: string | undefined;
  missing: string[];
}

function readJson(path: string): Record<string, unknown> | undefined {
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>) : undefined;
}
function readYaml(path: string): Record<string, unknown> | undefined {
  return existsSync(path) ? ((parseYaml(readFileSync(path, 'utf8')) ?? {}) as Record<string, unknown>) : undefined;
}
const str = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : String(v));

export function readVersions(root: string): VersionSources {
  const missing: string[] = [];
  const pkg = readJson(join(root, 'package.json'));
  const lock = readJson(join(root, 'package-lock.json'));
  const chart = readYaml(join(root, CHART_DIR, 'Chart.yaml'));
  const values = readYaml(join(root, CHART_DIR, 'values.yaml'));
  if (!pkg) missing.push('package.json');
  if (!lock) missing.push('package-lock.json');
  if (!chart) missing.push(`${CHART_DIR}/Chart.yaml`);
  if (!values) missing.push(`${CHART_DIR}/values.yaml`);
  const lockPackages = lock?.packages as Record<string, { version?: string }> | undefined;
  const image = values?.image as Record<string, unknown> | undefined;
  return {
    packageJson: str(pkg?.version),
    lockVersion: str(lock?.version),
    lockRootPackage: str(lockPackages?.['']?.version),
    chartVersion: str(chart?.version),
    chartAppVersion: str(chart?.appVersion),
    imageTagDefault: str(image?.tag) ?? '',
    missing,
  };
}

/** Each line names one place that disagrees with package.json; empty when all agree. */
export function disagreements(v: VersionSources, tag?: string): string[] {
  const out = v.missing.map((f) => `${f}: missing`);
  const want = v.packageJson;
  if (!want) return [...out, 'package.json: no "version"'];
  if (!SEMVER.test(want)) out.push(`package.json: version "${want}" is not semantic (x.y.z)`);
  const check = (where: string, got: string | undefined, present: boolean): void => {
    if (present && got !== want) out.push(`${where}: ${got ?? '(none)'} (package.json says ${want})`);
  };
  const has = (f: string): boolean => !v.missing.includes(f);
  check('package-lock.json version', v.lockVersion, has('package-lock.json'));
  check('package-lock.json packages[""].version', v.lockRootPackage, has('package-lock.json'));
  check(`${CHART_DIR}/Chart.yaml version`, v.chartVersion, has(`${CHART_DIR}/Chart.yaml`));
  check(`${CHART_DIR}/Chart.yaml appVersion`, v.chartAppVersion, has(`${CHART_DIR}/Chart.yaml`));
  if (has(`${CHART_DIR}/values.yaml`) && v.imageTagDefault !== '' && v.imageTagDefault !== want) {
    out.push(`${CHART_DIR}/values.yaml image.tag: ${v.imageTagDefault} (must be "" = appVersion, or ${want})`);
  }
  if (tag !== undefined && tag !== `v${want}`) out.push(`release tag: ${tag} (package.json says v${want})`);
  return out;
}

function main(): void {
  const { values } = parseArgs({
    options: { root: { type: 'string', default: '.' }, tag: { type: 'string' } },
  });
  const root = resolve(values.root);
  const tag = values.tag ?? (process.env.RELEASE_TAG || undefined);
  const v = readVersions(root);
  const problems = disagreements(v, tag);
  if (problems.length) {
    for (const p of problems) console.error(`version-check: ${p}`);
    console.error(`version-check: FAILED, ${problems.length} disagreement(s); \`npm run release\` bumps them together`);
    process.exit(1);
  }
  const image = v.imageTagDefault === '' ? 'appVersion' : v.imageTagDefault;
  console.log(
    `version-check: ${v.packageJson} everywhere (package.json, package-lock.json, Chart.yaml version ` +
      `${v.chartVersion} and appVersion ${v.chartAppVersion}, default image tag = ${image}${tag ? `, tag ${tag}` : ''})`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
