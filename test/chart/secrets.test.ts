// Generated passwords survive `helm upgrade`: the chart looks the live Secret up. helm renders
// with `--dry-run=server` against a small stand-in for the Kubernetes API (discovery plus
// GET of Secrets), the same calls helm makes to a real cluster for `lookup`.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { chartDir, parseObjects, render, skipWithoutHelm, tools, type K8sObject } from './support.js';

const NAMESPACE = 'events';
const RELEASE = 'gate';

describe('generated secrets', { skip: skipWithoutHelm }, () => {
  const live = new Map<string, Record<string, string>>(); // Secret name -> data (base64)
  const requests: string[] = [];
  let server: http.Server;
  const work = mkdtempSync(path.join(tmpdir(), 'barona-lookup-'));
  const kubeconfig = path.join(work, 'kubeconfig');

  before(async () => {
    server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://api');
      requests.push(`${req.method} ${url.pathname}`);
      const send = (code: number, body: unknown) => {
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (url.pathname === '/version') return send(200, { major: '1', minor: '31', gitVersion: 'v1.31.0' });
      if (url.pathname === '/api') return send(200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
      if (url.pathname === '/apis') return send(200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [] });
      if (url.pathname === '/api/v1') {
        return send(200, {
          kind: 'APIResourceList',
          groupVersion: 'v1',
          resources: [{ name: 'secrets', singularName: 'secret', namespaced: true, kind: 'Secret', verbs: ['get', 'list'] }],
        });
      }
      const match = /^\/api\/v1\/namespaces\/([^/]+)\/secrets\/([^/]+)$/.exec(url.pathname);
      const data = match && match[1] === NAMESPACE ? live.get(match[2]!) : undefined;
      if (match && data) {
        return send(200, { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: match[2], namespace: match[1] }, data });
      }
      send(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        `clusters: [{name: test, cluster: {server: "http://127.0.0.1:${port}"}}]`,
        'users: [{name: test, user: {}}]',
        'contexts: [{name: test, context: {cluster: test, user: test}}]',
        'current-context: test',
      ].join('\n'),
    );
  });

  after(() => {
    server.close();
    rmSync(work, { recursive: true, force: true });
  });

  /** Renders as `helm upgrade` would see the cluster (lookup enabled). */
  // Asynchronous: the stand-in API server runs in this process and must keep answering.
  const renderAgainstCluster = async (set: string[] = []): Promise<K8sObject[]> => {
    const args = ['template', RELEASE, chartDir, '--namespace', NAMESPACE, '--dry-run=server', '--skip-tests'];
    for (const pair of set) args.push('--set', pair);
    const { stdout } = await promisify(execFile)(tools!.helm, args, {
      encoding: 'utf8',
      env: { ...process.env, KUBECONFIG: kubeconfig, HELM_CACHE_HOME: work, HELM_CONFIG_HOME: work, HELM_DATA_HOME: work },
    });
    return parseObjects(stdout);
  };
  const secretData = (objects: K8sObject[]) =>
    Object.fromEntries(objects.filter((o) => o.kind === 'Secret').map((o) => [o.metadata.name, o.data as Record<string, string>]));

  it('first install generates passwords; every upgrade keeps them', async () => {
    live.clear();
    const install = secretData(await renderAgainstCluster());
    assert.deepEqual(Object.keys(install).sort(), ['gate-barona-admin', 'gate-barona-database']);
    const text = (name: string, key: string) => Buffer.from(install[name]?.[key] ?? '', 'base64').toString();
    assert.deepEqual(Object.keys(install['gate-barona-admin'] ?? {}).sort(), ['admin-password', 'bootstrap-api-token']);
    assert.match(text('gate-barona-admin', 'admin-password'), /^[A-Za-z0-9]{32}$/);
    assert.match(text('gate-barona-admin', 'bootstrap-api-token'), /^brn_[A-Za-z0-9]{43}$/);
    assert.match(text('gate-barona-database', 'password'), /^[A-Za-z0-9]{32}$/);
    assert.ok(requests.includes(`GET /api/v1/namespaces/${NAMESPACE}/secrets/gate-barona-database`), 'helm looked the Secret up');
    for (const [name, data] of Object.entries(install)) live.set(name, data); // what the install created

    const upgrade = secretData(await renderAgainstCluster(['replicaCount=3']));
    assert.deepEqual(upgrade, install);
    const again = secretData(await renderAgainstCluster());
    assert.deepEqual(again, install);
  });

  it('an upgrade from a release without a token keeps the password and adds a token', async () => {
    live.clear();
    const adminPassword = Buffer.from('kept-admin-password-0123456789ab').toString('base64');
    live.set('gate-barona-admin', { 'admin-password': adminPassword });
    const upgrade = secretData(await renderAgainstCluster());
    assert.equal(upgrade['gate-barona-admin']?.['admin-password'], adminPassword);
    assert.match(Buffer.from(upgrade['gate-barona-admin']?.['bootstrap-api-token'] ?? '', 'base64').toString(), /^brn_[A-Za-z0-9]{43}$/);
    live.set('gate-barona-admin', upgrade['gate-barona-admin']!);
    assert.deepEqual(secretData(await renderAgainstCluster())['gate-barona-admin'], upgrade['gate-barona-admin'], 'and keeps that token');
  });

  it('a password given in values wins over the live one', async () => {
    const given = secretData(await renderAgainstCluster(['auth.admin.password=chosen-by-operator']));
    assert.equal(Buffer.from(given['gate-barona-admin']!['admin-password']!, 'base64').toString(), 'chosen-by-operator');
  });

  it('existingSecret: the chart creates no Secret of its own', async () => {
    const objects = await renderAgainstCluster(['auth.admin.existingSecret=mine', 'database.bundled.existingSecret=mine-too']);
    assert.deepEqual(secretData(objects), {});
  });

  it('plain `helm template` cannot see the cluster and generates new values each time (documented)', () => {
    const a = secretData(render({ skipTests: true }));
    const b = secretData(render({ skipTests: true }));
    assert.notDeepEqual(a, b);
  });
});
