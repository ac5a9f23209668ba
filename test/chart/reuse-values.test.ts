// `helm upgrade --reuse-values` from each release in releases.json. Helm then renders this chart
// with the values of the release it upgrades: that release's chart's values.yaml merged with what was
// set then and what is set now, and NOT this chart's values.yaml (helm's action.Upgrade.reuseValues:
// chart.Values = the old release's coalesced values). Every value added since is missing from that
// tree, so each template first fills in the missing ones ("barona.fillDefaults", from the list
// "barona.addedDefaults" in _helpers.tpl). The renders below are made exactly that way: a copy of
// this chart whose values.yaml is the previous release's, plus the --set of the command.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { chartDir, find, render, renderText, root, skipWithoutHelm, validateObject, type K8sObject } from './support.js';

interface Release {
  version: string;
  commit: string;
}
type Values = Record<string, unknown>;

const releases = (JSON.parse(readFileSync(path.join(root, 'releases.json'), 'utf8')) as { releases: Release[] }).releases;
const RELEASE = 'barona';
const NAMESPACE = 'barona';

const git = (args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
const isMap = (v: unknown): v is Values => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The part of `now` that `old` lacks: keys missing there, at any depth (a list or a scalar is one value). */
function added(now: Values, old: Values): Values {
  const out: Values = {};
  for (const [key, value] of Object.entries(now)) {
    if (!(key in old)) out[key] = value;
    else if (isMap(value) && isMap(old[key])) {
      const inner = added(value, old[key] as Values);
      if (Object.keys(inner).length > 0) out[key] = inner;
    }
  }
  return out;
}

/** Deep union of two trees of added keys (the same key has the same default in both: both come from values.yaml). */
function union(a: Values, b: Values): Values {
  const out = structuredClone(a);
  for (const [key, value] of Object.entries(b)) out[key] = isMap(value) && isMap(out[key]) ? union(out[key] as Values, value) : value;
  return out;
}

/** Rendered objects with the values the chart generates at random (Secret data) masked, so two renders compare. */
function comparable(objects: K8sObject[]): K8sObject[] {
  return objects.map((o) =>
    o.kind === 'Secret' && isMap(o.data) ? { ...o, data: Object.fromEntries(Object.keys(o.data).map((key) => [key, '<generated>'])) } : o,
  );
}

const data = (objects: K8sObject[], kind: string, name: string) => find(objects, kind, name).data as Record<string, string>;
type PodSpec = { containers: { name: string; ports?: { name: string; containerPort: number }[] }[] };
const deploymentPod = (objects: K8sObject[]) => {
  const template = (
    find(objects, 'Deployment', RELEASE).spec as { template: { metadata: { annotations?: Record<string, string> }; spec: PodSpec } }
  ).template;
  return { annotations: template.metadata.annotations ?? {}, spec: template.spec };
};

// Every recorded release: an install of any of them may be upgraded with --reuse-values.
for (const previous of releases) {
  describe(`helm upgrade --reuse-values from ${previous.version} (${previous.commit.slice(0, 7)})`, { skip: skipWithoutHelm }, () => {
    let dir: string;
    /** This chart with the previous release's values.yaml: what helm renders for --reuse-values. */
    let reuseChart: string;
    /** The previous release's chart values.yaml, as a values file for a normal upgrade (`-f`). */
    let previousValues: string;
    const helpers = readFileSync(path.join(chartDir, 'templates/_helpers.tpl'), 'utf8');

    before(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'barona-reuse-values-'));
      previousValues = path.join(dir, 'previous-values.yaml');
      writeFileSync(previousValues, git(['show', `${previous.commit}:charts/barona/values.yaml`]));
      reuseChart = path.join(dir, 'reuse', 'barona');
      cpSync(chartDir, reuseChart, { recursive: true });
      cpSync(previousValues, path.join(reuseChart, 'values.yaml'));
    });

    after(() => rmSync(dir, { recursive: true, force: true }));

    /** `helm upgrade --reuse-values [-f userValues] --set …` from a release installed with the previous chart. */
    const reuse = (set: string[] = [], valuesFiles: string[] = []) =>
      render({ release: RELEASE, namespace: NAMESPACE, chart: reuseChart, valuesFiles, set });
    /** The same values on this chart's defaults: `helm upgrade -f <previous values.yaml> [-f userValues] --set …`. */
    const withNewDefaults = (set: string[] = [], valuesFiles: string[] = []) =>
      render({ release: RELEASE, namespace: NAMESPACE, valuesFiles: [previousValues, ...valuesFiles], set });

    it('barona.addedDefaults lists exactly the values added since each release in releases.json, with the defaults of values.yaml', () => {
      const block = /\{\{- define "barona\.addedDefaults" -\}\}\n([\s\S]*?)\{\{- end -\}\}/.exec(helpers)?.[1];
      assert.ok(block, 'define "barona.addedDefaults" in _helpers.tpl');
      const listed = parse(block) as Values;
      const current = parse(readFileSync(path.join(chartDir, 'values.yaml'), 'utf8')) as Values;
      let expected: Values = {};
      for (const release of releases) {
        const old = parse(git(['show', `${release.commit}:charts/barona/values.yaml`])) as Values;
        expected = union(expected, added(current, old));
      }
      assert.ok(Object.keys(expected).length > 0, `values were added since ${previous.version}`);
      assert.deepStrictEqual(
        listed,
        expected,
        'update "barona.addedDefaults" in _helpers.tpl to the values added since the oldest release',
      );
    });

    it('every template fills in the missing values first', () => {
      const templates = path.join(chartDir, 'templates');
      const files = (readdirSync(templates, { recursive: true }) as string[])
        .filter((file) => /\.(yaml|txt)$/.test(file) && !path.basename(file).startsWith('_'))
        .sort();
      assert.ok(files.length > 20);
      const missing = files.filter(
        (file) => !readFileSync(path.join(templates, file), 'utf8').startsWith('{{- include "barona.fillDefaults" . -}}\n'),
      );
      assert.deepEqual(missing, [], 'templates whose first line is not {{- include "barona.fillDefaults" . -}}');
    });

    const commands: { what: string; set: string[] }[] = [
      { what: 'no --set (a plain upgrade to this chart)', set: [] },
      // docs/KUBERNETES.md, "Backups".
      { what: 'backups on, as docs/KUBERNETES.md shows', set: ['backup.enabled=true', 'backup.schedule=30 2 * * *', 'backup.keep=14'] },
      { what: 'backups on, into an existing claim', set: ['backup.enabled=true', 'backup.persistence.existingClaim=nightly'] },
      {
        what: 'CloudNativePG with backups',
        set: [
          'database.mode=cnpg',
          'database.cnpg.skipCapabilityCheck=true',
          'backup.enabled=true',
          'backup.cnpg.barmanObjectStore.destinationPath=s3://bucket/barona',
        ],
      },
      {
        what: 'an external database, egress limited to its address',
        set: [
          'database.mode=external',
          'database.external.host=db.example',
          'database.external.password=secret',
          'networkPolicy.egress.externalDatabaseTo[0].ipBlock.cidr=10.0.0.5/32',
        ],
      },
      {
        what: 'ingress, HPA and an auth key set under its new name',
        set: ['ingress.enabled=true', 'autoscaling.enabled=true', 'auth.mode=open'],
      },
    ];

    it("renders with only the previous release's values plus the --set, valid objects equal to those of the same values on this chart's defaults", async () => {
      for (const { what, set } of commands) {
        let objects: K8sObject[];
        try {
          objects = reuse(set);
        } catch (error) {
          assert.fail(`${what}: ${(error as { stderr?: string }).stderr ?? (error as Error).message}`);
        }
        const problems: string[] = [];
        for (const o of objects) problems.push(...(await validateObject(o)));
        assert.deepEqual(problems, [], what);
        assert.deepStrictEqual(comparable(objects), comparable(withNewDefaults(set)), `${what}: differs from this chart's defaults`);
      }
    });

    it('the backups command of docs/KUBERNETES.md makes the CronJob and its claim at the defaults of this chart', () => {
      const objects = reuse(commands[1]!.set);
      const cronJob = find(objects, 'CronJob', `${RELEASE}-backup`);
      const spec = cronJob.spec as {
        schedule: string;
        startingDeadlineSeconds: number;
        jobTemplate: { spec: { template: { spec: { volumes: { name: string; persistentVolumeClaim?: { claimName: string } }[] } } } };
      };
      assert.equal(spec.schedule, '30 2 * * *');
      assert.equal(spec.startingDeadlineSeconds, 600);
      const backups = spec.jobTemplate.spec.template.spec.volumes.find((v) => v.name === 'backups');
      assert.equal(backups?.persistentVolumeClaim?.claimName, `${RELEASE}-backups`);
      const claim = find(objects, 'PersistentVolumeClaim', `${RELEASE}-backups`).spec as {
        accessModes: string[];
        resources: { requests: { storage: string } };
      };
      assert.deepEqual(claim.accessModes, ['ReadWriteOnce']);
      assert.equal(claim.resources.requests.storage, '8Gi');

      const existing = reuse(commands[2]!.set);
      assert.ok(!existing.some((o) => o.kind === 'PersistentVolumeClaim' && o.metadata.name === `${RELEASE}-backups`));
      const volumes = (
        find(existing, 'CronJob').spec as {
          jobTemplate: { spec: { template: { spec: { volumes: { persistentVolumeClaim?: { claimName: string } }[] } } } };
        }
      ).jobTemplate.spec.template.spec.volumes;
      assert.ok(volumes.some((v) => v.persistentVolumeClaim?.claimName === 'nightly'));
    });

    it('a value added since then and set to false, 0 or "" keeps it (a default fills only what is missing)', () => {
      const defaults = reuse();
      assert.equal(data(defaults, 'ConfigMap', RELEASE).METRICS_PORT, '9090', 'metrics on their own port, as on a new install');
      assert.equal(deploymentPod(defaults).annotations['prometheus.io/port'], '9090');
      assert.ok(defaults.some((o) => o.kind === 'NetworkPolicy' && o.metadata.name === `${RELEASE}-egress`));

      const off = reuse(['metrics.port=0', 'metrics.podAnnotations=false', 'networkPolicy.egress.enabled=false']);
      assert.equal(data(off, 'ConfigMap', RELEASE).METRICS_PORT, undefined, 'metrics.port=0 kept');
      assert.equal(deploymentPod(off).annotations['prometheus.io/scrape'], undefined, 'metrics.podAnnotations=false kept');
      assert.ok(!deploymentPod(off).spec.containers[0]!.ports?.some((p) => p.name === 'metrics'));
      assert.ok(!off.some((o) => o.kind === 'NetworkPolicy' && o.metadata.name === `${RELEASE}-egress`), 'egress.enabled=false kept');
    });

    it("with the previous release's ci values files as what was set at install, renders as with this chart's defaults (seed values refused as in any upgrade)", () => {
      const files = git(['ls-tree', '--name-only', previous.commit, 'ci/'])
        .split('\n')
        .filter((file) => file.endsWith('-values.yaml'));
      assert.ok(files.length >= 4, `ci values files of ${previous.version}`);
      for (const file of files) {
        const userValues = path.join(dir, `user-${path.basename(file)}`);
        writeFileSync(userValues, git(['show', `${previous.commit}:${file}`]));
        // Values this chart refuses (0.1.0's seed values) are refused as in any upgrade, with the same reason.
        let refused: string | undefined;
        try {
          withNewDefaults([], [userValues]);
        } catch (error) {
          refused = String((error as Error & { stderr?: string }).stderr ?? (error as Error).message);
        }
        if (refused !== undefined) {
          assert.match(refused, /database\.bundled\.superuser/, `${file}: ${refused}`);
          assert.throws(
            () => renderText({ release: RELEASE, namespace: NAMESPACE, chart: reuseChart, valuesFiles: [userValues] }),
            (error: Error & { stderr?: string }) => /database\.bundled\.superuser/.test(String(error.stderr ?? error.message)),
          );
          continue;
        }
        assert.deepStrictEqual(comparable(reuse([], [userValues])), comparable(withNewDefaults([], [userValues])), file);
      }
    });

    // Only a release whose values lack keys this chart added can show the failure users saw.
    const lacksKeys =
      Object.keys(
        added(
          parse(readFileSync(path.join(chartDir, 'values.yaml'), 'utf8')) as Values,
          parse(git(['show', `${previous.commit}:charts/barona/values.yaml`])) as Values,
        ),
      ).length > 0;
    if (lacksKeys) {
      // Users saw `nil pointer evaluating interface {}.…` where a whole map was new; where only single keys
      // are new (0.2.0 → DAY_STARTS_AT, WEBHOOK_ALLOW_PRIVATE_NETWORKS), the render succeeds but differs.
      it('the check can fail: without the defaults filled in, the documented command fails as users saw it or renders other objects', () => {
        const broken = path.join(dir, 'broken', 'barona');
        cpSync(reuseChart, broken, { recursive: true });
        const templates = path.join(broken, 'templates');
        for (const file of readdirSync(templates, { recursive: true }) as string[]) {
          if (!/\.(yaml|txt)$/.test(file)) continue;
          const text = readFileSync(path.join(templates, file), 'utf8');
          writeFileSync(path.join(templates, file), text.replace('{{- include "barona.fillDefaults" . -}}\n', ''));
        }
        let withoutDefaults: K8sObject[];
        try {
          withoutDefaults = render({ release: RELEASE, namespace: NAMESPACE, chart: broken, set: commands[1]!.set });
        } catch (error) {
          const { stderr, message } = error as Error & { stderr?: string };
          assert.match(String(stderr ?? message), /nil pointer evaluating interface \{\}\.\w+/);
          return;
        }
        assert.notDeepStrictEqual(comparable(withoutDefaults), comparable(reuse(commands[1]!.set)));
      });
    }
  });
}
