// helm lint --strict and helm template for every ci/*-values.yaml, and every rendered object
// validated against the Kubernetes models, unknown fields included.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { documentedValues, withValuesTable } from '../../scripts/chart-values-table.js';
import {
  chartDir,
  ciValuesFiles,
  find,
  helm,
  render,
  renderText,
  root,
  skipWithoutHelm,
  validateObject,
  type ContainerSpec,
  type K8sObject,
} from './support.js';

describe('chart lint and render', { skip: skipWithoutHelm }, () => {
  it('Chart.yaml version and appVersion equal package.json version', () => {
    const chart = parse(readFileSync(path.join(chartDir, 'Chart.yaml'), 'utf8')) as {
      version: string;
      appVersion: string;
      apiVersion: string;
    };
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
    assert.equal(chart.apiVersion, 'v2');
    assert.equal(chart.version, pkg.version);
    assert.equal(chart.appVersion, pkg.version);
  });

  it('every value is commented in values.yaml and the README values table is the one generated from it', () => {
    const { documented, undocumented } = documentedValues(readFileSync(path.join(chartDir, 'values.yaml'), 'utf8'));
    assert.deepEqual(undocumented, [], 'values without a "# --" comment');
    assert.ok(documented.length > 80);
    const readme = readFileSync(path.join(chartDir, 'README.md'), 'utf8');
    const missing = documented.filter((v) => !readme.includes(`| \`${v.key}\` |`)).map((v) => v.key);
    assert.deepEqual(missing, [], 'values missing from the README table');
    assert.equal(
      readme,
      withValuesTable(readme, readFileSync(path.join(chartDir, 'values.yaml'), 'utf8')),
      'the README values table is stale: node --import tsx scripts/chart-values-table.ts',
    );
    for (const seed of [
      'myappTag',
      'myappPort',
      'imageRegistry',
      'pullPolicy',
      'databasePassword',
      'databaseUser',
      'databaseName',
      'databaseHostnameSuffix',
      'databaseMigrationSuffix',
    ]) {
      assert.match(readme, new RegExp(`^\\| \`${seed}\` \\|`, 'm'), `seed value ${seed} not mapped`);
    }
  });

  it('scripts/chart-package.sh packages the chart as barona-<package.json version>.tgz', () => {
    const dist = mkdtempSync(path.join(tmpdir(), 'barona-package-'));
    try {
      execFileSync('bash', [path.join(root, 'scripts/chart-package.sh'), dist], { encoding: 'utf8' });
      const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
      assert.deepEqual(readdirSync(dist), [`barona-${pkg.version}.tgz`]);
      const shown = helm(['show', 'chart', path.join(dist, `barona-${pkg.version}.tgz`)]);
      assert.match(shown, new RegExp(`^appVersion: "?${pkg.version.replace(/\./g, '\\.')}"?$`, 'm'));
      // The package renders like the source chart.
      assert.ok(render({ chart: path.join(dist, `barona-${pkg.version}.tgz`) }).some((o) => o.kind === 'Deployment'));
    } finally {
      rmSync(dist, { recursive: true, force: true });
    }
  });

  it('the matrix covers defaults, external, cnpg, scaling and seed-style values', () => {
    const names = ciValuesFiles().map((f) => path.basename(f));
    for (const name of ['defaults', 'external', 'cnpg', 'scaling', 'seed']) {
      assert.ok(names.includes(`${name}-values.yaml`), `ci/${name}-values.yaml missing`);
    }
  });

  for (const file of ciValuesFiles()) {
    const name = path.basename(file);
    describe(name, () => {
      it('passes helm lint --strict', () => {
        const out = helm(['lint', '--strict', chartDir, '--values', file]);
        assert.match(out, /1 chart\(s\) linted, 0 chart\(s\) failed/);
      });

      it('renders objects that are valid Kubernetes objects without unknown fields', async () => {
        const objects = render({ valuesFiles: [file] });
        assert.ok(objects.length >= 8, `only ${objects.length} objects`);
        const problems: string[] = [];
        for (const object of objects) problems.push(...(await validateObject(object)));
        assert.deepEqual(problems, []);
      });
    });
  }

  it('the validator catches what the API server would drop or reject', async () => {
    const deployment = find(render(), 'Deployment');
    const broken = structuredClone(deployment) as K8sObject & { spec: { template: { spec: { containers: Record<string, unknown>[] } } } };
    const container = broken.spec.template.spec.containers[0];
    assert.ok(container);
    container.readinesProbe = container.readinessProbe; // typo: an unknown field
    container.ports = [{ containerPort: 'http' }]; // wrong type
    const problems = await validateObject(broken);
    assert.ok(
      problems.some((p) => p.includes('/readinesProbe: unknown field')),
      problems.join('\n'),
    );
    assert.ok(
      problems.some((p) => p.includes('containerPort must be integer')),
      problems.join('\n'),
    );
  });

  it('the values schema rejects unknown keys and a "latest" tag', () => {
    assert.throws(() => renderText({ set: ['replicaCont=3'] }), /Additional property replicaCont is not allowed/);
    // "latest" is refused with the reason, not the schema validator's "Must not validate the schema (not)".
    assert.throws(
      () => renderText({ set: ['image.tag=latest'] }),
      (error: Error) => {
        assert.match(error.message, /image\.tag: "latest" is refused: .*rollback/s);
        assert.doesNotMatch(error.message, /Must not validate/);
        return true;
      },
    );
    assert.throws(
      () => renderText({ set: ['database.bundled.image.tag=latest'] }),
      /database\.bundled\.image\.tag: "latest" is refused: .*PostgreSQL major version/s,
    );
    assert.throws(() => renderText({ set: ['database.user=postgres'] }), /database\.user: "postgres" is also database\.bundled\.superuser/);
    assert.throws(() => renderText({ set: ['metrics.port=8000'] }), /metrics\.port: must differ from app\.port/);
    assert.throws(() => renderText({ set: ['database.mode=sqlite'] }), /database\.mode/);
  });

  it('cnpg mode fails with an install hint when the CRD is not known, and renders when it is', () => {
    assert.throws(() => renderText({ set: ['database.mode=cnpg'] }), /CloudNativePG operator .*helm upgrade --install cnpg/s);
    const objects = render({ set: ['database.mode=cnpg'], extraArgs: ['--api-versions', 'postgresql.cnpg.io/v1'] });
    const cluster = find(objects, 'Cluster');
    assert.equal(cluster.apiVersion, 'postgresql.cnpg.io/v1');
    assert.equal((cluster.spec as { instances: number }).instances, 3);
  });

  it('cnpg mode with the Pooler: PgBouncer in transaction mode, the app through it, LISTEN and migrations direct', async () => {
    const plain = render({ set: ['database.mode=cnpg'], extraArgs: ['--api-versions', 'postgresql.cnpg.io/v1'] });
    assert.ok(!plain.some((o) => o.kind === 'Pooler'), 'no Pooler unless asked for');
    const objects = render({
      set: [
        'database.mode=cnpg',
        'database.cnpg.pooler.enabled=true',
        'database.cnpg.pooler.instances=3',
        'database.cnpg.pooler.parameters.default_pool_size=30',
      ],
      extraArgs: ['--api-versions', 'postgresql.cnpg.io/v1'],
    });
    const pooler = find(objects, 'Pooler');
    assert.deepEqual(await validateObject(pooler), []);
    const cluster = find(objects, 'Cluster');
    assert.deepEqual(pooler.spec, {
      cluster: { name: cluster.metadata.name },
      instances: 3,
      type: 'rw',
      pgbouncer: {
        poolMode: 'transaction',
        parameters: { default_pool_size: '30', max_client_conn: '1000', query_wait_timeout: '10', server_login_retry: '1' },
      },
    });
    const settings = objects.find((o) => o.kind === 'ConfigMap' && (o as { data?: Record<string, string> }).data?.DATABASE_POOL_MAX)!
      .data as Record<string, string>;
    assert.equal(settings.DATABASE_POOL_MODE, 'transaction');
    assert.equal(settings.DATABASE_HOSTNAME, pooler.metadata.name, 'the app connects to the Pooler Service');
    assert.equal(settings.DATABASE_NAME, 'barona');
    assert.equal(settings.DATABASE_USER, 'barona');
    const app = (
      find(objects, 'Deployment').spec as { template: { spec: { containers: ContainerSpec[]; initContainers?: ContainerSpec[] } } }
    ).template.spec;
    for (const container of [...app.containers, ...(app.initContainers ?? [])].filter((c) => c.name === 'app' || c.name === 'migrate')) {
      const env = new Map((container.env ?? []).map((e) => [e.name, e.valueFrom?.secretKeyRef]));
      assert.ok(!env.has('DATABASE_URL'), `${container.name}: no DATABASE_URL (it would win over the Pooler's host)`);
      assert.deepEqual(env.get('DATABASE_PASSWORD'), { name: `${cluster.metadata.name}-app`, key: 'password' }, container.name);
      assert.deepEqual(
        env.get('DATABASE_DIRECT_URL'),
        { name: `${cluster.metadata.name}-app`, key: 'uri' },
        `${container.name}: direct to -rw`,
      );
    }
    // The network policies let the app reach the PgBouncer pods and those reach the instances.
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy').map((o) => JSON.stringify(o.spec));
    assert.ok(policies.filter((p) => p.includes(`"cnpg.io/poolerName":"${pooler.metadata.name}"`)).length >= 2);
    assert.throws(
      () => renderText({ set: ['database.mode=cnpg', 'database.cnpg.skipCapabilityCheck=true', 'database.cnpg.pooler.instances=0'] }),
      /instances/,
    );
  });

  it('external mode requires a host and a password or existingSecret', () => {
    assert.throws(() => renderText({ set: ['database.mode=external'] }), /database\.external\.host is required/);
    assert.throws(
      () => renderText({ set: ['database.mode=external', 'database.external.host=db'] }),
      /database\.external\.password or database\.external\.existingSecret/,
    );
  });

  it('every object of every rendering is one of the expected kinds', () => {
    const seen = new Set<string>();
    for (const file of ciValuesFiles()) for (const o of render({ valuesFiles: [file] })) seen.add(o.kind);
    const expected = [
      'Deployment',
      'StatefulSet',
      'Service',
      'ConfigMap',
      'Secret',
      'ServiceAccount',
      'NetworkPolicy',
      'PodDisruptionBudget',
      'HorizontalPodAutoscaler',
      'Ingress',
      'HTTPRoute',
      'Cluster',
      'Pod',
      'Job',
      'CronJob',
      'PersistentVolumeClaim',
      'ScheduledBackup',
    ];
    for (const kind of expected) assert.ok(seen.has(kind), `no ${kind} in any rendering`);
    assert.deepEqual(
      [...seen].filter((k) => !expected.includes(k)),
      [],
      'unexpected kinds',
    );
  });

  it('TRUST_PROXY is one hop behind the chart ingress or HTTPRoute, unset without one, and settable', () => {
    const settings = (set: string[]) =>
      (find(render({ set, skipTests: true }), 'ConfigMap', 'barona') as unknown as { data: Record<string, string> }).data;
    assert.equal(settings([]).TRUST_PROXY, undefined, 'no proxy in front: the peer address is the client');
    assert.equal(settings(['ingress.enabled=true']).TRUST_PROXY, '1');
    assert.equal(settings(['app.trustProxy=10.0.0.0/8\\, fd00::/8']).TRUST_PROXY, '10.0.0.0/8, fd00::/8');
    assert.equal(settings(['ingress.enabled=true', 'app.trustProxy=false']).TRUST_PROXY, 'false');
  });
});
