// Policy assertions over every rendering of the ci matrix: resources, probes, hardened
// contexts, pinned images, secrets only in Secrets, stable and release-scoped selectors,
// NetworkPolicies, namespaces, shutdown timing.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import {
  chartDir,
  ciValuesFiles,
  containersOf,
  find,
  id,
  podSpecOf,
  render,
  skipWithoutHelm,
  type ContainerSpec,
  type K8sObject,
} from './support.js';

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'Job', 'CronJob', 'Pod']);
const SELECTOR_KEYS = ['app.kubernetes.io/component', 'app.kubernetes.io/instance', 'app.kubernetes.io/name'];

/** Label selectors of an object (Service selector, workload/PDB selector, NetworkPolicy podSelector). */
function selectorOf(o: K8sObject): Record<string, string> | undefined {
  const spec = o.spec as Record<string, unknown> | undefined;
  if (!spec) return undefined;
  if (o.kind === 'Service') return spec.selector as Record<string, string> | undefined;
  if (o.kind === 'NetworkPolicy') {
    // A policy for several components of the release selects the component with an `In` expression.
    const selector = spec.podSelector as { matchLabels?: Record<string, string>; matchExpressions?: { key: string; values?: string[] }[] };
    const expressions = Object.fromEntries((selector.matchExpressions ?? []).map((e) => [e.key, (e.values ?? []).join(',')]));
    return selector.matchLabels || selector.matchExpressions ? { ...selector.matchLabels, ...expressions } : undefined;
  }
  if (['Deployment', 'StatefulSet', 'PodDisruptionBudget'].includes(o.kind)) {
    return (spec.selector as { matchLabels?: Record<string, string> }).matchLabels;
  }
  return undefined;
}

function allContainers(o: K8sObject): ContainerSpec[] {
  const { init, main } = containersOf(o);
  return [...init, ...main];
}

const matrix = skipWithoutHelm
  ? []
  : ciValuesFiles().map((file) => ({ name: path.basename(file), objects: render({ valuesFiles: [file] }) }));

describe('chart policies', { skip: skipWithoutHelm }, () => {
  for (const { name, objects } of matrix) {
    describe(name, () => {
      const workloads = objects.filter((o) => WORKLOADS.has(o.kind));

      it('the migration hook Job is among the workloads these policies check', () => {
        const jobs = workloads.filter((o) => o.kind === 'Job');
        assert.deepEqual(
          jobs.map((o) => o.metadata.annotations?.['helm.sh/hook-delete-policy']),
          ['before-hook-creation,hook-succeeded'],
        );
        assert.ok(containersOf(jobs[0]!).main.some((c) => c.name === 'migrate'));
      });

      it('every container has cpu and memory requests and limits', () => {
        for (const o of workloads) {
          for (const c of allContainers(o)) {
            for (const kind of ['requests', 'limits'] as const) {
              for (const resource of ['cpu', 'memory']) {
                assert.ok(c.resources?.[kind]?.[resource], `${id(o)} ${c.name}: no ${kind}.${resource}`);
              }
            }
          }
        }
      });

      it('every long-running container has startup, readiness and liveness probes', () => {
        for (const o of workloads.filter((w) => w.kind === 'Deployment' || w.kind === 'StatefulSet')) {
          for (const c of containersOf(o).main) {
            assert.ok(c.startupProbe && c.readinessProbe && c.livenessProbe, `${id(o)} ${c.name}: probes missing`);
          }
        }
        const app = containersOf(find(objects, 'Deployment')).main[0];
        assert.equal(app?.readinessProbe?.httpGet?.path, '/readyz');
        assert.equal(app?.livenessProbe?.httpGet?.path, '/healthz');
        assert.equal(app?.startupProbe?.httpGet?.path, '/healthz');
      });

      it('every pod and container runs with the hardened security context', () => {
        for (const o of workloads) {
          const pod = podSpecOf(o) as { securityContext?: Record<string, unknown>; automountServiceAccountToken?: boolean };
          const psc = pod.securityContext ?? {};
          assert.equal(psc.runAsNonRoot, true, `${id(o)}: pod runAsNonRoot`);
          assert.ok(Number.isInteger(psc.runAsUser) && (psc.runAsUser as number) > 0, `${id(o)}: numeric non-zero runAsUser`);
          assert.deepEqual(psc.seccompProfile, { type: 'RuntimeDefault' }, `${id(o)}: seccomp`);
          assert.equal(pod.automountServiceAccountToken, false, `${id(o)}: service account token mounted`);
          for (const c of allContainers(o)) {
            const sc = c.securityContext ?? {};
            const where = `${id(o)} ${c.name}`;
            assert.equal(sc.allowPrivilegeEscalation, false, `${where}: allowPrivilegeEscalation`);
            assert.equal(sc.readOnlyRootFilesystem, true, `${where}: readOnlyRootFilesystem`);
            assert.equal(sc.runAsNonRoot, true, `${where}: runAsNonRoot`);
            assert.ok(Number.isInteger(sc.runAsUser), `${where}: numeric runAsUser`);
            assert.ok(((sc.capabilities as { drop?: string[] })?.drop ?? []).includes('ALL'), `${where}: drop ALL`);
            assert.deepEqual(sc.seccompProfile, { type: 'RuntimeDefault' }, `${where}: seccomp`);
          }
        }
      });

      it('every image is pinned to a version tag or digest', () => {
        for (const o of workloads) {
          for (const c of allContainers(o)) {
            const match = /^(?:[^/]+\/)*[^/:@]+(?::([\w][\w.-]*))?(?:@sha256:[a-f0-9]{64})?$/.exec(c.image);
            assert.ok(match, `${id(o)} ${c.name}: image ${c.image}`);
            assert.ok(match[1] || c.image.includes('@sha256:'), `${id(o)} ${c.name}: ${c.image} has no tag`);
            assert.notEqual(match[1], 'latest', `${id(o)} ${c.name}: latest tag`);
            assert.match(match[1] ?? '', /\d/, `${id(o)} ${c.name}: tag ${match[1]} is not a version`);
          }
        }
      });

      it('secret values appear only in Secrets; credentials reach pods only through secretKeyRef', () => {
        const secrets = objects.filter((o) => o.kind === 'Secret');
        const values = secrets.flatMap((s) => [
          ...Object.values((s.data as Record<string, string> | undefined) ?? {}).map((v) => Buffer.from(v, 'base64').toString('utf8')),
          ...Object.values((s.stringData as Record<string, string> | undefined) ?? {}),
        ]);
        const others = objects.filter((o) => o.kind !== 'Secret');
        for (const value of values) {
          assert.ok(value.length >= 8, 'secret values are at least 8 characters');
          for (const o of others) assert.ok(!JSON.stringify(o).includes(value), `${id(o)} contains a secret value`);
        }
        const sensitive = /PASSWORD|SECRET|TOKEN|DATABASE_URL|KEY$/;
        for (const o of others.filter((x) => x.kind === 'ConfigMap')) {
          for (const key of Object.keys((o.data as Record<string, string>) ?? {})) {
            assert.ok(!sensitive.test(key) || key.endsWith('.mjs'), `${id(o)} has ${key}`);
          }
        }
        // The API token is there, and only as a secretKeyRef (app, migrate initContainer, helm test).
        const tokenRefs = workloads.flatMap((o) =>
          allContainers(o).flatMap((c) =>
            (c.env ?? []).filter((e) => /^(BOOTSTRAP|BARONA)_API_TOKEN$/.test(e.name)).map((e) => `${c.name}:${e.name}`),
          ),
        );
        assert.deepEqual(tokenRefs.sort(), ['app:BOOTSTRAP_API_TOKEN', 'migrate:BOOTSTRAP_API_TOKEN', 'smoke-test:BARONA_API_TOKEN']);
        for (const o of workloads) {
          for (const c of allContainers(o)) {
            for (const env of c.env ?? []) {
              if (sensitive.test(env.name)) {
                assert.equal(env.value, undefined, `${id(o)} ${c.name}: ${env.name} as a plain value`);
                assert.ok(env.valueFrom?.secretKeyRef, `${id(o)} ${c.name}: ${env.name} not from a Secret`);
              }
            }
          }
        }
      });

      it('has NetworkPolicies: the app port, and the database only for this release', () => {
        const app = find(objects, 'NetworkPolicy', 'barona');
        assert.deepEqual(selectorOf(app), selectorOf(find(objects, 'Deployment')));
        const db = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'barona-database');
        const inCluster = objects.some((o) => o.kind === 'StatefulSet' || o.kind === 'Cluster');
        assert.equal(Boolean(db), inCluster, 'a database NetworkPolicy exactly when the database runs in the release');
        if (db) {
          const ingress = (db.spec as { ingress: { from: { podSelector?: { matchLabels?: Record<string, string> } }[] }[] }).ingress;
          const peer = ingress[0]?.from[0]?.podSelector?.matchLabels ?? {};
          assert.equal(peer['app.kubernetes.io/instance'], 'barona');
        }
      });

      it('selectors use only name, instance and component', () => {
        for (const o of objects) {
          const selector = selectorOf(o);
          if (!selector || (o.kind === 'NetworkPolicy' && 'cnpg.io/cluster' in selector)) continue;
          assert.deepEqual(Object.keys(selector).sort(), SELECTOR_KEYS, id(o));
        }
      });

      it('the app, migration and backup pods reach only their database and DNS', () => {
        const policy = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name.endsWith('-egress'));
        assert.ok(policy, 'an egress NetworkPolicy');
        const spec = policy.spec as {
          podSelector: { matchExpressions?: { key: string; values: string[] }[] };
          policyTypes: string[];
          egress: { ports: { port: number; protocol: string }[]; to?: { podSelector?: { matchLabels: Record<string, string> } }[] }[];
        };
        assert.deepEqual(spec.policyTypes, ['Egress']);
        // The backup CronJob's pods (when rendered) need the same database and DNS, nothing else.
        const backups = objects.some((o) => o.kind === 'CronJob');
        assert.deepEqual(
          spec.podSelector.matchExpressions?.find((e) => e.key === 'app.kubernetes.io/component')?.values,
          backups ? ['app', 'migrate', 'backup'] : ['app', 'migrate'],
        );
        const ports = spec.egress.flatMap((rule) => rule.ports.map((p) => `${p.port}/${p.protocol}`)).sort();
        const mode = (find(objects, 'ConfigMap', 'barona').data as Record<string, string>).DATABASE_PORT ?? '5432';
        assert.deepEqual(ports, [`${mode}/TCP`, '53/TCP', '53/UDP'].sort(), 'DNS and the database port only');
        const database = spec.egress.find((rule) => rule.ports.some((p) => p.port !== 53))!;
        const statefulSet = objects.find((o) => o.kind === 'StatefulSet');
        if (statefulSet) {
          // The bundled database: exactly its pods.
          const selector = (statefulSet.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
          assert.deepEqual(database.to?.[0]?.podSelector?.matchLabels, selector);
        }
      });

      it('/metrics is served on its own port, which no Service exposes', () => {
        const app = containersOf(find(objects, 'Deployment')).main.find((c) => c.name === 'app')!;
        const metrics = app.ports?.find((p) => p.name === 'metrics');
        assert.ok(metrics, 'container port "metrics"');
        assert.equal((find(objects, 'ConfigMap', 'barona').data as Record<string, string>).METRICS_PORT, String(metrics.containerPort));
        for (const service of objects.filter((o) => o.kind === 'Service')) {
          for (const port of (service.spec as { ports: { port: number; targetPort?: string | number }[] }).ports) {
            assert.notEqual(port.targetPort, 'metrics', id(service));
            assert.notEqual(port.targetPort, metrics.containerPort, id(service));
          }
        }
      });

      it('every object carries the recommended labels and lives in the release namespace', () => {
        for (const o of objects) {
          const labels = o.metadata.labels ?? {};
          for (const key of [
            ...SELECTOR_KEYS,
            'app.kubernetes.io/version',
            'app.kubernetes.io/part-of',
            'app.kubernetes.io/managed-by',
            'helm.sh/chart',
          ]) {
            assert.ok(labels[key], `${id(o)}: label ${key}`);
          }
          assert.equal(o.metadata.namespace, 'barona-test', `${id(o)}: namespace`);
        }
      });

      it('the pod outlives its drain: terminationGracePeriodSeconds > drain + timeout', () => {
        const deployment = find(objects, 'Deployment');
        const config = find(objects, 'ConfigMap', 'barona').data as Record<string, string>;
        const grace = (podSpecOf(deployment) as { terminationGracePeriodSeconds: number }).terminationGracePeriodSeconds;
        const drain = Number(config.SHUTDOWN_DRAIN_SECONDS);
        const timeout = Number(config.SHUTDOWN_TIMEOUT_SECONDS);
        assert.ok(drain > 0, 'a drain delay is configured');
        assert.ok(grace > drain + timeout, `grace ${grace} <= ${drain} + ${timeout}`);
        const strategy = (deployment.spec as { strategy: { rollingUpdate: { maxUnavailable: number } } }).strategy;
        assert.equal(strategy.rollingUpdate.maxUnavailable, 0);
      });

      it('replicas is left to the HPA when autoscaling is on', () => {
        const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler');
        const replicas = (find(objects, 'Deployment').spec as { replicas?: number }).replicas;
        if (hpa) assert.equal(replicas, undefined);
        else assert.ok(typeof replicas === 'number');
      });

      it('hook resources replace their previous run (no per-release names)', () => {
        for (const o of objects.filter((x) => x.metadata.annotations?.['helm.sh/hook'])) {
          assert.match(o.metadata.annotations?.['helm.sh/hook-delete-policy'] ?? '', /before-hook-creation/, id(o));
          assert.doesNotMatch(o.metadata.name, /\d+-\d+-\d+/, id(o));
        }
      });
    });
  }

  it('no template hard-codes a namespace', () => {
    const dir = path.join(chartDir, 'templates');
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.yaml'));
    for (const file of files) {
      const text = readFileSync(path.join(dir, file), 'utf8');
      for (const line of text.split('\n').filter((l) => /^\s*namespace:/.test(l))) {
        assert.match(line, /namespace: \{\{ \.Release\.Namespace \}\}/, `${file}: ${line.trim()}`);
      }
    }
    for (const o of render({ namespace: 'elsewhere' })) assert.equal(o.metadata.namespace, 'elsewhere', id(o));
  });

  describe('selectors across chart versions', () => {
    const work = mkdtempSync(path.join(tmpdir(), 'barona-chart-'));
    after(() => rmSync(work, { recursive: true, force: true }));

    it('stay identical when version, appVersion and image tag change', () => {
      const next = path.join(work, 'barona');
      cpSync(chartDir, next, { recursive: true });
      const chartYaml = path.join(next, 'Chart.yaml');
      writeFileSync(
        chartYaml,
        readFileSync(chartYaml, 'utf8')
          .replace(/^version: .*$/m, 'version: 9.9.9')
          .replace(/^appVersion: .*$/m, 'appVersion: "9.9.9"'),
      );
      for (const file of ciValuesFiles()) {
        const before = render({ valuesFiles: [file] });
        const afterUpgrade = render({ valuesFiles: [file], chart: next });
        const deployment = find(afterUpgrade, 'Deployment');
        assert.equal(
          deployment.metadata.labels?.['app.kubernetes.io/version'] === '9.9.9',
          !/seed/.test(file),
          'the version label follows appVersion',
        );
        for (const o of before) {
          const selector = selectorOf(o);
          if (!selector) continue;
          const twin = afterUpgrade.find((x) => x.kind === o.kind && x.metadata.name === o.metadata.name);
          assert.ok(twin, `${id(o)} missing after the upgrade`);
          assert.deepEqual(selectorOf(twin), selector, `${path.basename(file)} ${id(o)}: selector changed`);
        }
        // An app upgrade must not restart PostgreSQL: its pod template stays byte-identical.
        const db = before.find((o) => o.kind === 'StatefulSet');
        if (db) {
          const twin = find(afterUpgrade, 'StatefulSet', db.metadata.name);
          assert.deepEqual(
            (twin.spec as { template: unknown }).template,
            (db.spec as { template: unknown }).template,
            'PostgreSQL pod template changed',
          );
        }
      }
    });
  });

  it('two releases in one namespace share no names and select no pods of each other', () => {
    const a = render({ release: 'gate-a', namespace: 'events' });
    const b = render({ release: 'gate-b', namespace: 'events' });
    const names = (objs: K8sObject[]) => new Set(objs.map((o) => `${o.kind}/${o.metadata.name}`));
    const shared = [...names(a)].filter((n) => names(b).has(n));
    assert.deepEqual(shared, []);
    const podLabels = (objs: K8sObject[]) =>
      objs
        .filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet')
        .map((o) => (o.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels);
    for (const [mine, theirs] of [
      [a, b],
      [b, a],
    ] as const) {
      for (const o of mine) {
        const selector = selectorOf(o);
        if (!selector) continue;
        for (const labels of podLabels(theirs)) {
          const matches = Object.entries(selector).every(([k, v]) => labels[k] === v);
          assert.ok(!matches, `${id(o)} of one release selects pods of the other`);
        }
      }
    }
  });
});
