// The Jenkinsfile: the seed's stages in the seed's order, each a thin call of project scripts that
// exist, credentials through bindings, deploys only from main or a tag, reports archived.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { type Block, child, parseJenkinsfile, shellSteps, stageName, walk } from './jenkinsfile.js';
import { ROOT, projectCalls } from './project.js';

const SEED_STAGES = ['Build', 'Test', 'Security', 'Image', 'Smoke', 'Release', 'Deploy'];
const source = readFileSync(path.join(ROOT, 'Jenkinsfile'), 'utf8');

describe('Jenkinsfile', () => {
  const root = parseJenkinsfile(source);
  const pipeline = child(root, 'pipeline');
  const stages = pipeline ? child(pipeline, 'stages') : undefined;
  const stageBlocks = (stages?.children ?? []).filter((b) => stageName(b));
  const stage = (name: string): Block => {
    const b = stageBlocks.find((s) => stageName(s) === name);
    assert.ok(b, `stage ${name}`);
    return b;
  };

  it('is a declarative pipeline with the seed stages in order', () => {
    assert.ok(pipeline, 'pipeline { } at the top level');
    assert.ok(pipeline.statements.some((s) => s.text === 'agent any') || child(pipeline, /^agent/), 'agent');
    assert.deepEqual(stageBlocks.map(stageName), SEED_STAGES);
    for (const s of stageBlocks) assert.ok(child(s, 'steps'), `stage ${stageName(s)} has steps`);
  });

  it('every sh step calls a project script or npm script that exists', () => {
    for (const s of stageBlocks) {
      const steps = shellSteps(s);
      assert.ok(steps.length > 0, `stage ${stageName(s)} runs something`);
      for (const { command, line } of steps) {
        const calls = projectCalls(command);
        const npmBuiltin = /^npm ci\b/.test(command);
        assert.ok(calls.scripts.length + calls.npmScripts.length > 0 || npmBuiltin, `line ${line}: "${command}" calls no project script`);
        assert.deepEqual(calls.problems, [], `line ${line}: "${command}"`);
      }
    }
  });

  it('stages call the scripts of their step of the flow', () => {
    const commands = (name: string): string =>
      shellSteps(stage(name))
        .map((s) => s.command)
        .join('\n');
    assert.match(commands('Build'), /npm ci/);
    assert.match(commands('Test'), /npm test/);
    assert.match(commands('Security'), /scripts\/security\.sh/);
    assert.match(commands('Image'), /scripts\/image-build\.sh/);
    assert.match(commands('Smoke'), /scripts\/pipeline-smoke\.sh/);
    assert.match(commands('Release'), /scripts\/publish\.sh/);
    assert.match(commands('Deploy'), /scripts\/deploy\.sh/);
  });

  it('releases and deploys only from main or a tag, with credentials from bindings', () => {
    for (const name of ['Release', 'Deploy']) {
      const when = child(stage(name), 'when');
      assert.ok(when, `${name} has a when gate`);
      const gate = [...walk(when)].flatMap((b) => b.statements.map((s) => s.text));
      assert.ok(gate.includes("branch 'main'"), `${name}: branch 'main'`);
      assert.ok(gate.includes('buildingTag()'), `${name}: buildingTag()`);
    }
    const headers = (name: string): string[] => [...walk(stage(name))].map((b) => b.header);
    assert.ok(headers('Release').some((h) => /withCredentials\(\[usernamePassword\(credentialsId: 'barona-registry'/.test(h)));
    assert.ok(
      headers('Deploy').some((h) => /withCredentials\(\[file\(credentialsId: 'barona-kubeconfig', variable: 'KUBECONFIG'\)/.test(h)),
    );
    assert.doesNotMatch(source, /REGISTRY_PASSWORD\s*=/, 'no password assigned in the file');
  });

  it('archives the SBOM and the test report', () => {
    const archived = [...walk(root)].flatMap((b) => b.statements.map((s) => s.text)).filter((t) => t.startsWith('archiveArtifacts'));
    assert.ok(
      archived.some((t) => t.includes('reports/sbom.cdx.json')),
      'SBOM',
    );
    assert.ok(
      archived.some((t) => t.includes('reports/tests.tap')),
      'test report',
    );
  });

  it('the reader rejects broken Groovy', () => {
    assert.throws(() => parseJenkinsfile("pipeline { stages { stage('X') { steps { sh 'x' } }"), /unclosed block/);
    assert.throws(() => parseJenkinsfile("pipeline { sh 'unterminated }"), /string/);
    assert.throws(() => parseJenkinsfile('pipeline { } }'), /without a block/);
  });
});
