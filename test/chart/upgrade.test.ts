// `helm upgrade` from each recorded release's chart (releases.json, extracted from git; the first is the
// previous release) to this one, for every values file in ci/ that the previous release had too (each side with its own version
// of the file, as a user who followed the release notes would have it), and for ci/legacy-*
// files (the previous release's value names, the same file on both sides). Kubernetes refuses to
// change some fields of a live object, and Helm applies an upgrade as a patch of each object of the
// same kind and name, so such a change fails the upgrade (or, for a selector, orphans pods):
// - Deployment and StatefulSet `spec.selector`, Service `spec.selector` (a changed Service
//   selector is allowed but would route traffic to nothing or to another release's pods);
// - StatefulSet `serviceName`, `volumeClaimTemplates`, `podManagementPolicy`;
// - Service `type` and `clusterIP`;
// - a Job's pod template (unless Helm deletes the Job first: a hook with before-hook-creation);
// and the Secrets the chart generates must keep their names and keys, because the chart reads the
// live values back with `lookup` (name + key) to keep them across upgrades. The same checks hold
// in the other direction, which is what `helm rollback` applies.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { chartDir, ciValuesFiles, find, id, render, renderText, root, skipWithoutHelm, type K8sObject } from './support.js';

interface Release {
  version: string;
  commit: string;
}

const releases = (JSON.parse(readFileSync(path.join(root, 'releases.json'), 'utf8')) as { releases: Release[] }).releases;
const NAMESPACE = 'barona-upgrade';
const RELEASE = 'barona';

const git = (args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });

function fileAt(commit: string, file: string): string | undefined {
  try {
    return git(['show', `${commit}:${file}`]);
  } catch {
    return undefined;
  }
}

type Spec = Record<string, unknown>;
type Values = { database?: { mode?: string; user?: string; bundled?: { superuser?: string } } };
/** This chart's values.yaml. */
const currentValues = parse(readFileSync(path.join(chartDir, 'values.yaml'), 'utf8')) as Values;
const spec = (o: K8sObject): Spec => (o.spec ?? {}) as Spec;
const byId = (objects: K8sObject[]) => new Map(objects.map((o) => [id(o), o]));

/** Every problem an upgrade from `from` to `to` (both rendered) would meet; empty when none. */
function upgradeProblems(from: K8sObject[], to: K8sObject[]): string[] {
  const problems: string[] = [];
  const next = byId(to);
  for (const old of from) {
    const now = next.get(id(old));
    if (!now) {
      // Helm deletes what a revision no longer renders, unless the object says to keep it.
      const kept = old.metadata.annotations?.['helm.sh/resource-policy'] === 'keep';
      if (!kept && ['StatefulSet', 'Secret', 'PersistentVolumeClaim'].includes(old.kind))
        problems.push(`${id(old)}: gone (its data or credentials would be lost)`);
      continue;
    }
    const [a, b] = [spec(old), spec(now)];
    const same = (field: string, x: unknown, y: unknown) => {
      try {
        assert.deepStrictEqual(y, x);
      } catch {
        problems.push(`${id(old)}: ${field} changes from ${JSON.stringify(x)} to ${JSON.stringify(y)}`);
      }
    };
    if (old.kind === 'Deployment' || old.kind === 'StatefulSet') same('spec.selector', a.selector, b.selector);
    if (old.kind === 'StatefulSet') {
      same('spec.serviceName', a.serviceName, b.serviceName);
      same('spec.volumeClaimTemplates', a.volumeClaimTemplates, b.volumeClaimTemplates);
      same('spec.podManagementPolicy', a.podManagementPolicy, b.podManagementPolicy);
    }
    if (old.kind === 'Service') {
      same('spec.selector', a.selector, b.selector);
      same('spec.type', a.type ?? 'ClusterIP', b.type ?? 'ClusterIP');
      same('spec.clusterIP', a.clusterIP, b.clusterIP);
    }
    if (old.kind === 'Job') {
      const policy = now.metadata.annotations?.['helm.sh/hook-delete-policy'] ?? '';
      const replaced = Boolean(now.metadata.annotations?.['helm.sh/hook']) && policy.split(',').includes('before-hook-creation');
      if (!replaced) same('spec.template (a Job not deleted before it is recreated)', a.template, b.template);
    }
    if (old.kind === 'Secret') {
      same('data keys', Object.keys((old.data ?? {}) as object).sort(), Object.keys((now.data ?? {}) as object).sort());
      same('type', old.type, now.type);
    }
  }
  return problems;
}

// Every recorded release: a user on any of them may upgrade straight to this chart. The newest is the
// previous release; what holds only for an older one (0.1.0's values) is derived from its own files.
for (const previous of releases) {
  describe(`helm upgrade from ${previous.version} (${previous.commit.slice(0, 7)}) to this chart`, { skip: skipWithoutHelm }, () => {
    let dir: string;
    let previousChart: string;
    const scenarios: { name: string; file: string; oldValues: string }[] = [];

    before(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'barona-chart-upgrade-'));
      execFileSync('sh', ['-c', `git archive --format=tar "$0" charts/barona | tar -x -C "$1"`, previous.commit, dir], { cwd: root });
      previousChart = path.join(dir, 'charts/barona');
      assert.ok(existsSync(path.join(previousChart, 'Chart.yaml')), 'the previous chart was extracted');
      for (const file of ciValuesFiles()) {
        const name = path.basename(file);
        // A legacy-* file holds values in the previous release's names (deprecated, still read): the
        // user upgrades with the very file the previous chart was installed with.
        const old = fileAt(previous.commit, `ci/${name}`) ?? (name.startsWith('legacy-') ? readFileSync(file, 'utf8') : undefined);
        if (old === undefined) continue;
        const oldValues = path.join(dir, `previous-${name}`);
        writeFileSync(oldValues, old);
        scenarios.push({ name, file, oldValues });
      }
    });

    after(() => rmSync(dir, { recursive: true, force: true }));

    it('the previous release has the chart and values files to compare', () => {
      const version = /^version:\s*(\S+)/m.exec(readFileSync(path.join(previousChart, 'Chart.yaml'), 'utf8'))?.[1];
      assert.equal(version, previous.version);
      // The release's own ci values files (from its tree), each still here to upgrade with, plus the legacy-* files.
      const released = git(['ls-tree', '--name-only', previous.commit, 'ci/'])
        .split('\n')
        .filter((file) => file.endsWith('-values.yaml'))
        .map((file) => path.basename(file));
      const current = ciValuesFiles().map((file) => path.basename(file));
      assert.ok(
        released.includes('defaults-values.yaml') && released.includes('seed-values.yaml'),
        `ci values files of ${previous.version}`,
      );
      assert.deepEqual(
        released.filter((name) => !current.includes(name)),
        [],
        `values files of ${previous.version} that ci/ no longer has`,
      );
      assert.deepEqual(
        scenarios.map((s) => s.name),
        current.filter((name) => released.includes(name) || name.startsWith('legacy-')).sort(),
      );
    });

    it('no selector, StatefulSet claim/service name, Service type/clusterIP or non-hook Job template changes, in either direction, for every values file (and with backups turned on)', () => {
      const report: string[] = [];
      for (const s of scenarios) {
        const opts = { release: RELEASE, namespace: NAMESPACE };
        const from = render({ ...opts, chart: previousChart, valuesFiles: [s.oldValues] });
        const to = render({ ...opts, valuesFiles: [s.file] });
        assert.ok(from.length > 0 && to.length > 0);
        report.push(...upgradeProblems(from, to).map((p) => `${s.name} upgrade: ${p}`));
        report.push(...upgradeProblems(to, from).map((p) => `${s.name} rollback: ${p}`));
      }
      // Turning backups on while upgrading from the previous release's defaults only adds objects.
      const defaults = scenarios.find((s) => s.name === 'defaults-values.yaml')!;
      const from = render({ release: RELEASE, namespace: NAMESPACE, chart: previousChart, valuesFiles: [defaults.oldValues] });
      const to = render({ release: RELEASE, namespace: NAMESPACE, valuesFiles: [path.join(root, 'ci/backup-values.yaml')] });
      assert.ok(to.some((o) => o.kind === 'CronJob'));
      report.push(...upgradeProblems(from, to).map((p) => `defaults -> backup-values.yaml upgrade: ${p}`));
      report.push(...upgradeProblems(to, from).map((p) => `backup-values.yaml -> defaults rollback: ${p}`));
      assert.deepEqual(report, []);
    });

    it('the check itself catches a changed selector, claim template, clusterIP and Job template', () => {
      const from = render({ release: RELEASE, namespace: NAMESPACE, chart: previousChart });
      const to = structuredClone(from);
      const sts = find(to, 'StatefulSet');
      const stsSpec = sts.spec as {
        selector: { matchLabels: Record<string, string> };
        volumeClaimTemplates: { spec: { resources: { requests: { storage: string } } } }[];
      };
      stsSpec.selector.matchLabels.extra = 'x';
      stsSpec.volumeClaimTemplates[0]!.spec.resources.requests.storage = '99Gi';
      (find(to, 'Service', RELEASE).spec as Spec).clusterIP = 'None';
      const job = find(to, 'Job');
      delete job.metadata.annotations?.['helm.sh/hook'];
      ((job.spec as { template: { spec: Spec } }).template.spec as Spec).restartPolicy = 'OnFailure';
      const problems = upgradeProblems(from, to).join('\n');
      assert.match(problems, /StatefulSet\/barona-postgresql: spec\.selector/);
      assert.match(problems, /volumeClaimTemplates/);
      assert.match(problems, /Service\/barona: spec\.clusterIP/);
      assert.match(problems, /Job\/barona-migrate: spec\.template/);
    });

    it('the migration Job keeps one name and is a hook Helm deletes before recreating it (its template may change)', () => {
      for (const s of scenarios) {
        const job = render({ release: RELEASE, namespace: NAMESPACE, valuesFiles: [s.file] }).find((o) => o.kind === 'Job');
        const oldJob = render({ release: RELEASE, namespace: NAMESPACE, chart: previousChart, valuesFiles: [s.oldValues] }).find(
          (o) => o.kind === 'Job',
        );
        assert.ok(job && oldJob, s.name);
        assert.equal(job.metadata.name, oldJob.metadata.name, s.name);
        assert.match(job.metadata.annotations?.['helm.sh/hook'] ?? '', /pre-upgrade/, s.name);
        assert.match(job.metadata.annotations?.['helm.sh/hook-delete-policy'] ?? '', /before-hook-creation/, s.name);
      }
    });

    it('generated Secrets keep their names and keys, stay on uninstall, and are read back with lookup under that name and key', () => {
      for (const s of scenarios) {
        const opts = { release: RELEASE, namespace: NAMESPACE };
        const oldSecrets = render({ ...opts, chart: previousChart, valuesFiles: [s.oldValues] }).filter((o) => o.kind === 'Secret');
        const newSecrets = render({ ...opts, valuesFiles: [s.file] }).filter((o) => o.kind === 'Secret');
        const names = (list: K8sObject[]) =>
          list
            .map(
              (o) =>
                `${o.metadata.name}: ${Object.keys((o.data ?? {}) as object)
                  .sort()
                  .join(', ')}`,
            )
            .sort();
        assert.deepEqual(names(newSecrets), names(oldSecrets), s.name);
        for (const secret of newSecrets) assert.equal(secret.metadata.annotations?.['helm.sh/resource-policy'], 'keep', id(secret));
      }
      // Generated values are random per render (helm template has no cluster for lookup); with a
      // cluster, "barona.secretValue" returns the live Secret's value under the same name and key.
      const twice = [1, 2].map(() => find(render({ release: RELEASE, namespace: NAMESPACE }), 'Secret', `${RELEASE}-admin`).data);
      assert.notDeepEqual(twice[0], twice[1], 'generated secrets differ between renders without a cluster');
      const helpers = readFileSync(path.join(root, 'charts/barona/templates/_helpers.tpl'), 'utf8');
      assert.match(helpers, /lookup "v1" "Secret" \.ctx\.Release\.Namespace \.name/);
      for (const template of ['templates/postgresql/secret.yaml', 'templates/secret-admin.yaml']) {
        const text = readFileSync(path.join(root, 'charts/barona', template), 'utf8');
        // Each data key is produced by secretValue with the same key name (so lookup finds the old value).
        for (const match of text.matchAll(/^\s*(\S+): \{\{ include "barona\.secretValue" \(dict "ctx" \$ "name" \$name "key" (\S+)/gm)) {
          const [, dataKey, lookupKey] = match;
          const normalised = lookupKey!.replace(/^"|"$/g, '');
          assert.ok(
            normalised === dataKey || (dataKey === '{{' && normalised === '.Values.auth.bootstrapTokenKey'),
            `${template}: data key ${dataKey} is looked up as ${lookupKey}`,
          );
        }
      }
    });

    it('with the default values, an existing install keeps its role and password: the app still signs in as the role that owns the data', () => {
      const opts = { release: RELEASE, namespace: NAMESPACE };
      const from = render({ ...opts, chart: previousChart });
      const to = render({ ...opts });
      const env = (objects: K8sObject[]) =>
        Object.fromEntries(
          (
            (find(objects, 'StatefulSet').spec as { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } })
              .template.spec.containers[0]!.env ?? []
          ).map((e) => [e.name, e.value ?? 'secret']),
        );
      // A release without database.bundled.superuser (0.1.0) made database.user (barona) the superuser
      // that initdb created; initdb (and the new init script) run only on an empty volume, so an
      // upgraded install keeps that role: the app's DATABASE_USER is unchanged, only the unused
      // POSTGRES_USER of a fresh initdb changes. A release with its own superuser keeps it as it is.
      const releaseValues = parse(git(['show', `${previous.commit}:charts/barona/values.yaml`])) as Values;
      const releaseSuperuser = releaseValues.database?.bundled?.superuser;
      if (releaseSuperuser === undefined) {
        assert.equal(releaseValues.database?.user, 'barona');
        assert.equal(env(from).POSTGRES_USER, releaseValues.database?.user);
      } else {
        assert.equal(env(from).POSTGRES_USER, releaseSuperuser);
        assert.equal(env(to).POSTGRES_USER, env(from).POSTGRES_USER, 'the superuser keeps its name');
      }
      assert.equal(env(to).POSTGRES_USER, 'postgres');
      const settings = (objects: K8sObject[]) => find(objects, 'ConfigMap', RELEASE).data as Record<string, string>;
      assert.equal(settings(to).DATABASE_USER, settings(from).DATABASE_USER);
      assert.equal(settings(to).DATABASE_NAME, settings(from).DATABASE_NAME);
      assert.equal(settings(to).DATABASE_HOSTNAME, settings(from).DATABASE_HOSTNAME);
    });

    // Whether the release's seed values name the app's role as this chart's bundled superuser (0.1.0's
    // database.user=postgres, from a release without database.bundled.superuser): then they are refused.
    const releaseSeed = parse(fileAt(previous.commit, 'ci/seed-values.yaml') ?? '{}') as Values;
    const seedSuperuser = releaseSeed.database?.bundled?.superuser ?? currentValues.database?.bundled?.superuser;
    const seedRefused = (releaseSeed.database?.mode ?? 'bundled') === 'bundled' && releaseSeed.database?.user === seedSuperuser;
    if (seedRefused) {
      it("the previous release's seed values (database.user=postgres) are refused with the fix named, not applied", () => {
        const seed = scenarios.find((s) => s.name === 'seed-values.yaml');
        assert.ok(seed);
        assert.equal(releaseSeed.database?.user, 'postgres');
        assert.throws(
          () => renderText({ release: RELEASE, namespace: NAMESPACE, valuesFiles: [seed.oldValues] }),
          (error: Error & { stderr?: string }) => /database\.bundled\.superuser/.test(String(error.stderr ?? error.message)),
        );
      });
    } else {
      it("the previous release's seed values (database.user=postgres, its own superuser) still apply: the app's role and the superuser stay apart", () => {
        const seed = scenarios.find((s) => s.name === 'seed-values.yaml');
        assert.ok(seed);
        assert.equal(releaseSeed.database?.user, 'postgres');
        const objects = render({ release: RELEASE, namespace: NAMESPACE, valuesFiles: [seed.oldValues] });
        assert.equal((find(objects, 'ConfigMap', RELEASE).data as Record<string, string>).DATABASE_USER, releaseSeed.database?.user);
        const containers = (
          find(objects, 'StatefulSet').spec as { template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } } }
        ).template.spec.containers;
        assert.equal(containers[0]!.env?.find((e) => e.name === 'POSTGRES_USER')?.value, seedSuperuser);
        assert.notEqual(seedSuperuser, releaseSeed.database?.user);
      });
    }
  });
}
