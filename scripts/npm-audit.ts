// `npm audit` of the production dependencies that never passes falsely: it tells apart
//   - findings at or above AUDIT_LEVEL (default "low": any finding)   → exit 1, each one named;
//   - a clean report                                                  → exit 0;
//   - a registry without the audit endpoint (some mirrors answer 405) → a loud "UNAVAILABLE" line,
//     exit 3 ("skipped", so callers can say so), or exit 1 when AUDIT_REQUIRED=true (set it where
//     the registry is known to support audits, as the GitHub workflows do).
//
//   node --import tsx scripts/npm-audit.ts [--report reports/npm-audit.json]
// The registry is npm's own setting (npm_config_registry / .npmrc), as for any npm command.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';

const LEVELS = ['info', 'low', 'moderate', 'high', 'critical'] as const;
type Level = (typeof LEVELS)[number];

interface AuditVulnerability {
  name: string;
  severity: Level;
  isDirect: boolean;
  range: string;
  fixAvailable: unknown;
  via: Array<string | { title?: string; url?: string; severity?: Level; range?: string }>;
}
interface AuditReport {
  auditReportVersion?: number;
  vulnerabilities?: Record<string, AuditVulnerability>;
  metadata?: { vulnerabilities?: Record<string, number> };
  // Present when npm could not get an answer from the registry.
  statusCode?: number;
  message?: string;
  uri?: string;
  error?: { summary?: string; detail?: string; code?: string };
}

const { values } = parseArgs({ options: { report: { type: 'string', default: 'reports/npm-audit.json' } } });
const level = (process.env.AUDIT_LEVEL ?? 'low') as Level;
if (!LEVELS.includes(level)) {
  console.error(`npm-audit: AUDIT_LEVEL must be one of ${LEVELS.join(', ')}, got "${level}"`);
  process.exit(2);
}
const required = /^(1|true|yes)$/i.test(process.env.AUDIT_REQUIRED ?? '');

const run = spawnSync('npm', ['audit', '--omit=dev', '--json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
if (run.error) {
  console.error(`npm-audit: could not run npm: ${run.error.message}`);
  process.exit(2);
}
let report: AuditReport;
try {
  report = JSON.parse(run.stdout) as AuditReport;
} catch {
  console.error(`npm-audit: npm audit gave no JSON report (exit ${run.status}):\n${run.stderr.trim()}`);
  process.exit(2);
}

const save = (body: object): void => {
  mkdirSync(dirname(values.report), { recursive: true });
  writeFileSync(values.report, `${JSON.stringify(body, null, 2)}\n`);
};

if (report.auditReportVersion === undefined) {
  const why = report.statusCode
    ? `the registry answered ${report.message ?? report.statusCode}`
    : report.error?.summary || report.message || 'no audit report came back';
  save({ status: 'unavailable', reason: why });
  console.error(`npm-audit: UNAVAILABLE: ${why}`);
  console.error('npm-audit: no vulnerability data was checked; this registry does not support npm audit.');
  if (required) {
    console.error('npm-audit: FAILED because AUDIT_REQUIRED is set');
    process.exit(1);
  }
  console.log('npm-audit: SKIPPED (set AUDIT_REQUIRED=true where the registry supports audits to make this fatal)');
  process.exit(3);
}

const threshold = LEVELS.indexOf(level);
const findings = Object.values(report.vulnerabilities ?? {}).filter((v) => LEVELS.indexOf(v.severity) >= threshold);
save({ status: findings.length ? 'findings' : 'clean', level, counts: report.metadata?.vulnerabilities, findings });
const counts = Object.entries(report.metadata?.vulnerabilities ?? {})
  .filter(([k]) => k !== 'total')
  .map(([k, n]) => `${k} ${n}`)
  .join(', ');
console.log(`npm-audit: production dependencies audited (${counts})`);
for (const v of findings) {
  const advisories = v.via
    .filter((x): x is Exclude<typeof x, string> => typeof x !== 'string')
    .map((x) => `${x.title ?? 'advisory'}${x.url ? ` <${x.url}>` : ''}`);
  const through = v.via.filter((x): x is string => typeof x === 'string');
  const detail = advisories.length ? advisories.join('; ') : `through ${through.join(', ')}`;
  console.error(`npm-audit: ${v.severity.toUpperCase()} ${v.name}${v.range ? ` ${v.range}` : ''}: ${detail}`);
}
if (findings.length) {
  console.error(`npm-audit: FAILED, ${findings.length} vulnerable package(s) at or above "${level}"`);
  process.exit(1);
}
console.log(`npm-audit: passed, no vulnerabilities at or above "${level}"`);
