// The migration hook Job (which hooks in which database mode, same name every release,
// hardened like the app, credentials only from Secrets, nothing it needs before install made
// by the release itself) and the bootstrap API token (generated into the app Secret, passed
// only by secretKeyRef, sent by the `helm test` pod).
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  containersOf,
  find,
  id,
  podSpecOf,
  render,
  renderText,
  root,
  skipWithoutHelm,
  type ContainerSpec,
  type K8sObject,
} from './support.js';

const values = (name: string) => path.join(root, 'ci', `${name}-values.yaml`);
const CNPG = ['--api-versions', 'postgresql.cnpg.io/v1'];
const TOKEN_FORMAT = /^brn_[A-Za-z0-9_-]{43,64}$/;

function job(objects: K8sObject[]): K8sObject {
  const jobs = objects.filter((o) => o.kind === 'Job');
  assert.equal(jobs.length, 1, 'one migration Job');
  return jobs[0]!;
}

const annotations = (o: K8sObject) => o.metadata.annotations ?? {};
const envNamed = (c: ContainerSpec | undefined, name: string) => c?.env?.find((e) => e.name === name);
const appContainer = (objects: K8sObject[]) => containersOf(find(objects, 'Deployment')).main.find((c) => c.name === 'app')!;

describe('migration hook Job', { skip: skipWithoutHelm }, () => {
  const modes: { name: string; options: Parameters<typeof render>[0]; hook: string }[] = [
    { name: 'bundled (defaults)', options: {}, hook: 'pre-upgrade' },
    { name: 'cnpg', options: { set: ['database.mode=cnpg'], extraArgs: CNPG }, hook: 'pre-upgrade' },
    { name: 'external + existingSecret', options: { valuesFiles: [values('external')] }, hook: 'pre-install,pre-upgrade' },
    {
      name: 'external + password in values (the chart makes that Secret)',
      options: { set: ['database.mode=external', 'database.external.host=db.example', 'database.external.password=s3cret-value'] },
      hook: 'pre-upgrade',
    },
  ];

  for (const mode of modes) {
    it(`${mode.name}: hook ${mode.hook}, replaced every run, no per-release name`, () => {
      const objects = render(mode.options);
      const j = job(objects);
      assert.equal(j.metadata.name, 'barona-migrate');
      assert.equal(annotations(j)['helm.sh/hook'], mode.hook);
      assert.equal(annotations(j)['helm.sh/hook-delete-policy'], 'before-hook-creation,hook-succeeded');
      assert.match(annotations(j)['helm.sh/hook-weight'] ?? '', /^-?\d+$/);
      // Another image (a new release) renders the same name.
      const next = job(render({ ...mode.options, set: [...(mode.options?.set ?? []), 'image.tag=9.9.9'] }));
      assert.equal(next.metadata.name, j.metadata.name);
      assert.equal(containersOf(next).main[0]?.image, 'ghcr.io/barona/barona:9.9.9');
    });
  }

  it('runs `migrate` from the app image, hardened and resourced like the app, with limits on time and retries', () => {
    const objects = render();
    const j = job(objects);
    const deployment = find(objects, 'Deployment');
    const spec = j.spec as { backoffLimit: number; activeDeadlineSeconds: number; ttlSecondsAfterFinished: number };
    assert.equal(spec.backoffLimit, 2);
    assert.equal(spec.activeDeadlineSeconds, 300);
    assert.equal(spec.ttlSecondsAfterFinished, 86400);
    const pod = podSpecOf(j) as Record<string, unknown>;
    const appPod = podSpecOf(deployment) as Record<string, unknown>;
    assert.equal(pod.restartPolicy, 'Never');
    assert.equal(pod.automountServiceAccountToken, false);
    assert.equal(pod.enableServiceLinks, false);
    assert.deepEqual(pod.securityContext, appPod.securityContext);

    const { init, main } = containersOf(j);
    const app = appContainer(objects);
    const appInit = containersOf(deployment).init;
    assert.deepEqual(
      main.map((c) => c.name),
      ['migrate'],
    );
    const migrate = main[0]!;
    assert.equal(migrate.image, app.image);
    assert.deepEqual(migrate.args, ['migrate']);
    assert.equal(migrate.command, undefined, "the image's entrypoint (barona)");
    assert.deepEqual(migrate.securityContext, app.securityContext);
    assert.deepEqual(migrate.resources, appInit.find((c) => c.name === 'migrate')?.resources);
    assert.deepEqual(init, [appInit.find((c) => c.name === 'wait-for-database')], 'the same wait-for-database initContainer');
    // The app pods keep their own migrate initContainer (first install; a no-op after the Job).
    assert.deepEqual(
      appInit.map((c) => c.name),
      ['wait-for-database', 'migrate'],
    );
    assert.equal(j.metadata.labels?.['app.kubernetes.io/component'], 'migrate');
  });

  for (const mode of modes) {
    it(`${mode.name}: the Job's settings equal the ConfigMap's; the credential only through secretKeyRef`, () => {
      const objects = render(mode.options);
      const migrate = containersOf(job(objects)).main[0]!;
      assert.equal(migrate.envFrom, undefined, 'no envFrom: the ConfigMap may not exist yet or be the previous revision');
      const plain = Object.fromEntries((migrate.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));
      assert.deepEqual(plain, find(objects, 'ConfigMap', 'barona').data);
      const fromSecret = (migrate.env ?? []).filter((e) => e.value === undefined);
      const credential = mode.name === 'cnpg' ? 'DATABASE_URL' : 'DATABASE_PASSWORD';
      assert.deepEqual(
        fromSecret.map((e) => e.name),
        [credential],
        'only the database credential; no admin password or API token',
      );
      assert.ok(fromSecret[0]?.valueFrom?.secretKeyRef);
      assert.deepEqual(fromSecret[0], envNamed(appContainer(objects), credential), 'the same Secret and key as the app');
    });
  }

  it('before install (external + existingSecret) it references nothing the release has not created yet', () => {
    const objects = render({ valuesFiles: [values('external')] });
    const j = job(objects);
    const made = new Set(objects.filter((o) => !o.metadata.annotations?.['helm.sh/hook']).map((o) => `${o.kind}/${o.metadata.name}`));
    const pod = podSpecOf(j) as { serviceAccountName: string };
    const { init, main } = containersOf(j);
    for (const c of [...init, ...main]) {
      for (const e of c.env ?? []) {
        const ref = e.valueFrom?.secretKeyRef?.name;
        if (ref) assert.ok(!made.has(`Secret/${ref}`), `${c.name} ${e.name} reads Secret ${ref}, made by the release`);
        const cm = e.valueFrom?.configMapKeyRef?.name;
        if (cm) assert.ok(!made.has(`ConfigMap/${cm}`), `${c.name} ${e.name} reads ConfigMap ${cm}`);
      }
      assert.equal(c.envFrom, undefined);
    }
    assert.ok(!made.has(`ServiceAccount/${pod.serviceAccountName}`), `ServiceAccount ${pod.serviceAccountName} is made by the release`);
    assert.equal(pod.serviceAccountName, 'default');
    // On upgrade the release's own ServiceAccount exists and is used.
    const upgrade = job(render({ valuesFiles: [values('external')], extraArgs: ['--is-upgrade'] }));
    assert.equal((podSpecOf(upgrade) as { serviceAccountName: string }).serviceAccountName, 'barona');
  });

  it("the Job's pods may reach the bundled and CloudNativePG databases through their NetworkPolicy", () => {
    for (const options of [{}, { set: ['database.mode=cnpg'], extraArgs: CNPG }]) {
      const objects = render(options);
      const labels = (job(objects).spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels;
      const policy = find(objects, 'NetworkPolicy', 'barona-database');
      const peers = (
        policy.spec as {
          ingress: {
            from: {
              podSelector?: {
                matchLabels?: Record<string, string>;
                matchExpressions?: { key: string; operator: string; values: string[] }[];
              };
            }[];
          }[];
        }
      ).ingress
        .flatMap((rule) => rule.from)
        .map((peer) => peer.podSelector)
        .filter((selector) => selector !== undefined);
      const allowed = peers.some(
        (selector) =>
          Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v) &&
          (selector.matchExpressions ?? []).every((e) => e.operator === 'In' && e.values.includes(labels[e.key] ?? '')),
      );
      assert.ok(allowed, `${id(policy)} does not admit the Job's pods (${JSON.stringify(labels)})`);
    }
  });

  it('migrations.job.enabled=false renders no Job; the initContainer still migrates', () => {
    const objects = render({ set: ['migrations.job.enabled=false'] });
    assert.equal(objects.filter((o) => o.kind === 'Job').length, 0);
    assert.ok(containersOf(find(objects, 'Deployment')).init.some((c) => c.name === 'migrate'));
    assert.throws(() => renderText({ set: ['migrations.job.backoffLimit=-1'] }), /backoffLimit/);
  });
});

describe('bootstrap API token', { skip: skipWithoutHelm }, () => {
  it('is generated into the app Secret in the brn_ format and reaches the app only by secretKeyRef', () => {
    const objects = render();
    const secret = find(objects, 'Secret', 'barona-admin');
    const token = Buffer.from((secret.data as Record<string, string>)['bootstrap-api-token'] ?? '', 'base64').toString();
    assert.match(token, TOKEN_FORMAT);
    const env = envNamed(appContainer(objects), 'BOOTSTRAP_API_TOKEN');
    assert.deepEqual(env, {
      name: 'BOOTSTRAP_API_TOKEN',
      valueFrom: { secretKeyRef: { name: 'barona-admin', key: 'bootstrap-api-token' } },
    });
    assert.notEqual(
      Buffer.from((find(render(), 'Secret', 'barona-admin').data as Record<string, string>)['bootstrap-api-token']!, 'base64').toString(),
      token,
      'random per rendering without a cluster (helm upgrade keeps it: secrets.test.ts)',
    );
  });

  it('the `helm test` pod sends the same token as a Bearer token', () => {
    for (const options of [{}, { valuesFiles: [values('external')] }]) {
      const objects = render(options);
      const pod = objects.find((o) => o.kind === 'Pod' && o.metadata.annotations?.['helm.sh/hook'] === 'test');
      assert.ok(pod);
      const sent = envNamed(containersOf(pod).main[0], 'BARONA_API_TOKEN');
      assert.deepEqual(sent?.valueFrom, envNamed(appContainer(objects), 'BOOTSTRAP_API_TOKEN')?.valueFrom);
      const script = (find(objects, 'ConfigMap', 'barona-smoke-test').data as Record<string, string>)['smoke-test.mjs']!;
      assert.match(script, /authorization: `Bearer \$\{token\}`/);
    }
  });

  it('existingSecret: the key is auth.bootstrapTokenKey and the chart makes no Secret', () => {
    const objects = render({ valuesFiles: [values('external')] });
    assert.equal(objects.filter((o) => o.kind === 'Secret').length, 0);
    assert.deepEqual(envNamed(appContainer(objects), 'BOOTSTRAP_API_TOKEN')?.valueFrom, {
      secretKeyRef: { name: 'barona-admin', key: 'api-token' },
    });
  });

  it('a token given in values is used; a malformed one is rejected by the schema', () => {
    const given = `brn_${'a1B2_-'.repeat(8)}`;
    const secret = find(render({ set: [`auth.bootstrapToken=${given}`] }), 'Secret', 'barona-admin');
    assert.equal(Buffer.from((secret.data as Record<string, string>)['bootstrap-api-token']!, 'base64').toString(), given);
    for (const bad of ['brn_short', `tok_${'a'.repeat(43)}`, `brn_${'a'.repeat(65)}`, `brn_${'a'.repeat(42)}!`]) {
      assert.throws(() => renderText({ set: [`auth.bootstrapToken=${bad}`] }), /bootstrapToken/, bad);
    }
  });
});
