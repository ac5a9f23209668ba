// deploy/dashboard: valid RBAC v1 objects; read-only by default; admin only as an opt-in file.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseObjects, root, skipWithoutHelm, tools, validateObject, type K8sObject } from './support.js';

const dir = path.join(root, 'deploy/dashboard');
const load = (file: string) => parseObjects(readFileSync(path.join(dir, file), 'utf8'));

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

describe('deploy/dashboard', () => {
  it('every object is a valid Kubernetes object (RBAC v1) without unknown fields', async () => {
    const problems: string[] = [];
    for (const file of ['viewer.yaml', 'viewer-token.yaml', 'admin-opt-in.yaml']) {
      for (const o of load(file)) {
        if (o.kind.startsWith('Cluster') || o.kind.startsWith('Role')) assert.equal(o.apiVersion, 'rbac.authorization.k8s.io/v1');
        problems.push(...(await validateObject(o)).map((p) => `${file}: ${p}`));
      }
    }
    assert.deepEqual(problems, []);
  });

  it('the viewer can only read, and cannot read Secrets', () => {
    const role = load('viewer.yaml').find((o) => o.kind === 'ClusterRole') as K8sObject & { rules: Rule[] };
    assert.ok(role);
    for (const rule of role.rules) {
      assert.ok(
        rule.verbs.every((v) => ['get', 'list', 'watch'].includes(v)),
        `verbs ${rule.verbs.join(',')}`,
      );
      assert.ok(!rule.resources.includes('*') && !rule.apiGroups.includes('*'), 'no wildcards');
      assert.ok(
        !rule.resources.some((r) => r === 'secrets' || r === 'pods/exec' || r === 'pods/attach' || r === 'pods/portforward'),
        rule.resources.join(','),
      );
    }
    const binding = load('viewer.yaml').find((o) => o.kind === 'ClusterRoleBinding') as K8sObject & { roleRef: { name: string } };
    assert.equal(binding.roleRef.name, 'dashboard-viewer');
  });

  it('cluster-admin is only in the opt-in file, which warns, and kustomize leaves it out', () => {
    const adminText = readFileSync(path.join(dir, 'admin-opt-in.yaml'), 'utf8');
    assert.match(adminText, /^# WARNING: FULL CLUSTER ADMIN/m);
    const binding = load('admin-opt-in.yaml').find((o) => o.kind === 'ClusterRoleBinding') as K8sObject & { roleRef: { name: string } };
    assert.equal(binding.roleRef.name, 'cluster-admin');
    for (const file of ['viewer.yaml', 'viewer-token.yaml'])
      assert.ok(!readFileSync(path.join(dir, file), 'utf8').includes('cluster-admin'), file);
    const kustomization = readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8');
    assert.match(kustomization, /- viewer\.yaml/);
    assert.doesNotMatch(kustomization, /^\s*- admin-opt-in\.yaml/m);
  });

  it('kubectl kustomize builds the viewer only', { skip: skipWithoutHelm }, () => {
    const objects = parseObjects(execFileSync(tools!.kubectl, ['kustomize', dir], { encoding: 'utf8' }));
    assert.deepEqual(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort(), [
      'ClusterRole/dashboard-viewer',
      'ClusterRoleBinding/dashboard-viewer',
      'ServiceAccount/dashboard-viewer',
    ]);
  });

  it('the README tells how to get a token', () => {
    const readme = readFileSync(path.join(dir, 'README.md'), 'utf8');
    assert.match(readme, /kubectl -n kubernetes-dashboard create token dashboard-viewer/);
  });
});
