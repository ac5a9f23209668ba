// scripts/security.sh run for real: the SBOM is valid CycloneDX, the licence check passes for our
// dependencies and fails on a disallowed one, npm audit against a local registry that answers 405,
// findings or a clean report, and the scan step says so when no scanner is installed.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parseSpdx, judge } from '../../scripts/license-check.js';
import { ROOT, run, runAsync } from './project.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const reports = mkdtempSync(path.join(tmpdir(), 'barona-security-'));
const sbomFile = path.join(reports, 'sbom.cdx.json');
const security = (steps: string[], env: NodeJS.ProcessEnv = {}) =>
  run('bash', ['scripts/security.sh', ...steps], { env: { REPORTS_DIR: reports, ...env } });

/** The CycloneDX JSON schema shipped with the library cyclonedx-npm is built on. */
function cycloneDxValidator(specVersion: string) {
  const nested = path.join(ROOT, 'node_modules/@cyclonedx/cyclonedx-npm/node_modules/@cyclonedx/cyclonedx-library');
  const lib = existsSync(nested) ? nested : path.join(ROOT, 'node_modules/@cyclonedx/cyclonedx-library');
  const dir = path.join(lib, 'res/schema');
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  // Internationalised variants that ajv-formats lacks: accepted as strings, as CycloneDX's own tools do.
  ajv.addFormat('iri-reference', true);
  ajv.addFormat('idn-email', true);
  // The BOM schema refers to its SPDX and JSF siblings by file name, relative to its own $id.
  for (const f of readdirSync(dir).filter((n) => /^(spdx|jsf-[\d.]+|cryptography-defs)\.SNAPSHOT\.schema\.json$/.test(n))) {
    const sibling = JSON.parse(readFileSync(path.join(dir, f), 'utf8'));
    ajv.addSchema({ ...sibling, $id: `http://cyclonedx.org/schema/${f}` });
  }
  return ajv.compile(JSON.parse(readFileSync(path.join(dir, `bom-${specVersion}.SNAPSHOT.schema.json`), 'utf8')));
}

describe('security.sh', () => {
  after(() => rmSync(reports, { recursive: true, force: true }));

  it('writes a CycloneDX SBOM of the production dependencies that validates against the schema', () => {
    const r = security(['sbom']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    type Cdx = { name: string; group?: string; components?: Cdx[] };
    const bom = JSON.parse(readFileSync(sbomFile, 'utf8')) as { bomFormat: string; specVersion: string; components: Cdx[] };
    assert.equal(bom.bomFormat, 'CycloneDX');
    const validate = cycloneDxValidator(bom.specVersion);
    assert.ok(validate(bom), JSON.stringify(validate.errors?.slice(0, 5)));
    const names = new Set<string>();
    const walk = (list: Cdx[] = []): void => {
      for (const c of list) {
        names.add(c.group ? `${c.group}/${c.name}` : c.name);
        walk(c.components);
      }
    };
    walk(bom.components);
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    for (const dep of Object.keys(pkg.dependencies)) assert.ok(names.has(dep), `SBOM lists ${dep}`);
    for (const dev of ['typescript', 'eslint', 'tsx']) assert.ok(!names.has(dev), `SBOM omits dev dependency ${dev}`);
  });

  it('licence check passes for our dependencies', () => {
    const r = security(['licenses']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /license-check: \d+ production components .*\nlicense-check: passed/);
    const report = JSON.parse(readFileSync(path.join(reports, 'licenses.json'), 'utf8'));
    assert.equal(report.ok, true);
  });

  it('licence check fails on a synthetic disallowed licence, naming the package', () => {
    const bom = JSON.parse(readFileSync(sbomFile, 'utf8'));
    bom.components.push({
      type: 'library',
      name: 'copyleft-thing',
      version: '1.0.0',
      licenses: [{ license: { id: 'GPL-3.0-only' } }],
    });
    const bad = path.join(reports, 'bad.cdx.json');
    writeFileSync(bad, JSON.stringify(bom));
    const r = run(process.execPath, [
      '--import',
      'tsx',
      'scripts/license-check.ts',
      '--sbom',
      bad,
      '--report',
      path.join(reports, 'bad.json'),
    ]);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /DISALLOWED copyleft-thing@1\.0\.0: "GPL-3\.0-only"/);

    // ...and passes again once that exact package@version is accepted with a reason.
    const config = JSON.parse(readFileSync(path.join(ROOT, 'scripts/license-allowlist.json'), 'utf8'));
    config.packages = { 'copyleft-thing@1.0.0': 'used only as a separate process; reviewed' };
    const accepted = path.join(reports, 'allow.json');
    writeFileSync(accepted, JSON.stringify(config));
    const ok = run(process.execPath, [
      '--import',
      'tsx',
      'scripts/license-check.ts',
      '--sbom',
      bad,
      '--config',
      accepted,
      '--report',
      path.join(reports, 'ok.json'),
    ]);
    assert.equal(ok.code, 0, ok.stderr);
  });

  it('licence expressions: OR needs one allowed branch, AND needs all', () => {
    const list = { allowed: ['MIT', 'Apache-2.0'] };
    const verdict = (license: string) => judge({ name: 'x', version: '1', license }, list).ok;
    assert.equal(verdict('(MIT OR GPL-3.0-only)'), true);
    assert.equal(verdict('MIT AND GPL-3.0-only'), false);
    assert.equal(verdict('(GPL-2.0-only OR (MIT AND Apache-2.0))'), true);
    assert.equal(verdict('Apache-2.0 WITH LLVM-exception'), true);
    assert.equal(verdict(''), false);
    assert.equal(verdict('SEE LICENSE IN LICENSE.txt'), false);
    assert.throws(() => parseSpdx('(MIT OR'), /end of licence expression/);
  });

  it('scan says clearly that it was skipped when no scanner is installed', () => {
    // PATH without trivy or grype: only what bash, node and the script need.
    const r = security(['scan'], { PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin` });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /scan: skipped: no scanner/);
    assert.match(r.stdout, /SKIPPED: scan/);
  });
});

describe('npm audit step against a local registry', () => {
  let server: Server;
  let registry: string;
  let mode: '405' | 'vulnerable' | 'clean' = '405';

  before(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (!req.url?.startsWith('/-/npm/v1/security/advisories/bulk')) {
          res.writeHead(404, { 'content-type': 'application/json' }).end('{}');
          return;
        }
        if (mode === '405') {
          res.writeHead(405, { allow: 'GET, HEAD' }).end();
          return;
        }
        const advisories =
          mode === 'vulnerable'
            ? {
                fastify: [
                  {
                    id: 990001,
                    url: 'https://advisories.example.invalid/990001',
                    title: 'Synthetic advisory for the test',
                    severity: 'high',
                    vulnerable_versions: '<999.0.0',
                    cwe: [],
                    cvss: { score: 7.5, vectorString: null },
                  },
                ],
              }
            : {};
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(advisories));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    registry = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  // Asynchronous: the fake registry answers from this process's event loop.
  const audit = (env: NodeJS.ProcessEnv = {}) =>
    runAsync('bash', ['scripts/security.sh', 'audit'], { env: { REPORTS_DIR: reports, npm_config_registry: registry, ...env } });

  it('a registry that answers 405 is reported as UNAVAILABLE and SKIPPED, never as passed', async () => {
    mode = '405';
    const r = await audit();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /npm-audit: UNAVAILABLE: .*405/);
    assert.match(r.stdout, /SKIPPED: audit/);
    assert.doesNotMatch(r.stdout, /passed: [^;]*audit/);
  });

  it('with AUDIT_REQUIRED=true an unavailable audit fails the stage', async () => {
    mode = '405';
    const r = await audit({ AUDIT_REQUIRED: 'true' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /FAILED because AUDIT_REQUIRED is set/);
  });

  it('a finding fails the stage and is named', async () => {
    mode = 'vulnerable';
    const r = await audit();
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /npm-audit: HIGH fastify\b.*Synthetic advisory for the test/);
    assert.match(r.stdout, /FAILED: audit/);
  });

  it('a clean report passes', async () => {
    mode = 'clean';
    const r = await audit();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /npm-audit: passed, no vulnerabilities/);
  });
});
