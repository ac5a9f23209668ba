// Scheduled backups in the chart. Bundled (and external) database: a CronJob whose container runs
// `barona backup` into a volume and keeps the newest backup.keep files; its container is run here
// as a process, with exactly its command and environment (Secret and ConfigMap references resolved
// from the rendered objects, only the database address and the volume's path pointed at the test's),
// against a real PostgreSQL: backups appear, `keep` is honoured, a failed backup removes nothing,
// and a kept backup restores into a fresh database. CloudNativePG: a ScheduledBackup and the
// Cluster's spec.backup, rendered from values and valid against the schema and the API's fields.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import {
  containersOf,
  find,
  id,
  podSpecOf,
  render,
  renderText,
  resolveEnv,
  root,
  skipWithoutHelm,
  validateObject,
  type ContainerSpec,
  type Env,
  type K8sObject,
} from './support.js';

const RELEASE = 'barona';
const ci = (name: string) => path.join(root, 'ci', name);

const backupContainer = (objects: K8sObject[]): ContainerSpec => {
  const main = containersOf(find(objects, 'CronJob')).main;
  assert.equal(main.length, 1);
  return main[0]!;
};

describe('chart backups: rendering', { skip: skipWithoutHelm }, () => {
  it('off by default: no CronJob, volume claim or ScheduledBackup, and no backup settings on the Cluster', () => {
    for (const file of ['defaults-values.yaml', 'external-values.yaml']) {
      const kinds = render({ valuesFiles: [ci(file)] }).map((o) => o.kind);
      for (const kind of ['CronJob', 'PersistentVolumeClaim', 'ScheduledBackup']) assert.ok(!kinds.includes(kind), `${file}: ${kind}`);
    }
    const cnpg = render({ valuesFiles: [ci('cnpg-values.yaml')], set: ['backup.enabled=false'] });
    assert.equal((find(cnpg, 'Cluster').spec as { backup?: unknown }).backup, undefined);
    assert.ok(!cnpg.some((o) => o.kind === 'ScheduledBackup'));
  });

  it('bundled: a CronJob (never two at once) writing to its own claim, kept on uninstall, with the app database settings and credential', async () => {
    const objects = render({ valuesFiles: [ci('backup-values.yaml')] });
    for (const o of objects) assert.deepEqual(await validateObject(o), [], id(o));
    const cronJob = find(objects, 'CronJob', `${RELEASE}-backup`);
    const spec = cronJob.spec as { schedule: string; timeZone?: string; concurrencyPolicy: string };
    assert.equal(spec.schedule, '15 3 * * *');
    assert.equal(spec.timeZone, 'Europe/Berlin');
    assert.equal(spec.concurrencyPolicy, 'Forbid');
    const pod = podSpecOf(cronJob) as { volumes: { name: string; persistentVolumeClaim?: { claimName: string } }[]; restartPolicy: string };
    assert.equal(pod.restartPolicy, 'Never');
    const claim = find(objects, 'PersistentVolumeClaim', `${RELEASE}-backups`);
    assert.equal(pod.volumes.find((v) => v.name === 'backups')?.persistentVolumeClaim?.claimName, claim.metadata.name);
    assert.equal(claim.metadata.annotations?.['helm.sh/resource-policy'], 'keep');
    assert.equal((claim.spec as { resources: { requests: { storage: string } } }).resources.requests.storage, '20Gi');

    const container = backupContainer(objects);
    const app = containersOf(find(objects, 'Deployment')).main.find((c) => c.name === 'app')!;
    assert.equal(container.image, app.image, 'the app image');
    assert.deepEqual(container.envFrom, app.envFrom, "the app's settings (ConfigMap)");
    const credential = (c: ContainerSpec) => c.env?.find((e) => e.name === 'DATABASE_PASSWORD');
    assert.deepEqual(credential(container), credential(app), "the app's database credential");
    assert.ok(
      !container.env?.some((e) => e.name === 'ADMIN_PASSWORD' || e.name === 'BOOTSTRAP_API_TOKEN'),
      'no app secrets it does not need',
    );
    assert.equal(container.env?.find((e) => e.name === 'BACKUP_KEEP')?.value, '14');
    assert.deepEqual(
      (container as { volumeMounts?: { name: string; mountPath: string }[] }).volumeMounts?.find((m) => m.name === 'backups')?.mountPath,
      container.env?.find((e) => e.name === 'BACKUP_DIR')?.value,
    );
  });

  it('existingClaim: no claim of its own; external database: the same CronJob with the external credential', () => {
    const objects = render({ valuesFiles: [ci('backup-values.yaml')], set: ['backup.persistence.existingClaim=nas-backups'] });
    assert.ok(!objects.some((o) => o.kind === 'PersistentVolumeClaim'));
    const pod = podSpecOf(find(objects, 'CronJob')) as { volumes: { name: string; persistentVolumeClaim?: { claimName: string } }[] };
    assert.equal(pod.volumes.find((v) => v.name === 'backups')?.persistentVolumeClaim?.claimName, 'nas-backups');
    const external = render({ valuesFiles: [ci('external-values.yaml')], set: ['backup.enabled=true'] });
    assert.deepEqual(backupContainer(external).env?.find((e) => e.name === 'DATABASE_PASSWORD')?.valueFrom?.secretKeyRef, {
      name: 'barona-db-credentials',
      key: 'db-password',
    });
  });

  it('the backup pods may reach the database (its ingress policy) and only it and DNS (egress)', () => {
    const objects = render({ valuesFiles: [ci('backup-values.yaml')] });
    const components = (name: string, at: (spec: Record<string, unknown>) => unknown) =>
      (at(find(objects, 'NetworkPolicy', name).spec as Record<string, unknown>) as { key: string; values: string[] }[]).find(
        (e) => e.key === 'app.kubernetes.io/component',
      )?.values;
    assert.ok(
      components(`${RELEASE}-egress`, (s) => (s.podSelector as { matchExpressions: unknown }).matchExpressions)?.includes('backup'),
    );
    assert.ok(
      components(
        `${RELEASE}-database`,
        (s) => (s.ingress as { from: { podSelector: { matchExpressions: unknown } }[] }[])[0]!.from[0]!.podSelector.matchExpressions,
      )?.includes('backup'),
    );
    const labels = (find(objects, 'CronJob').spec as { jobTemplate: { spec: { template: { metadata: { labels: Env } } } } }).jobTemplate
      .spec.template.metadata.labels;
    assert.equal(labels['app.kubernetes.io/component'], 'backup');
  });

  it('cnpg: a ScheduledBackup of the Cluster and the Cluster backup settings from values (object store or volume snapshots)', async () => {
    const objects = render({ valuesFiles: [ci('cnpg-values.yaml')] });
    for (const o of objects) assert.deepEqual(await validateObject(o), [], id(o));
    assert.ok(!objects.some((o) => o.kind === 'CronJob'), 'the operator backs up, not a CronJob');
    const cluster = find(objects, 'Cluster');
    const scheduled = find(objects, 'ScheduledBackup');
    const spec = scheduled.spec as { schedule: string; cluster: { name: string }; method: string };
    assert.deepEqual(spec.cluster, { name: cluster.metadata.name });
    assert.equal(spec.schedule, '0 0 3 * * *');
    assert.equal(spec.method, 'barmanObjectStore');
    const backup = (cluster.spec as { backup: { retentionPolicy: string; barmanObjectStore: { destinationPath: string } } }).backup;
    assert.equal(backup.retentionPolicy, '30d');
    assert.equal(backup.barmanObjectStore.destinationPath, 's3://barona-backups/barona');

    const snapshots = render({
      valuesFiles: [ci('cnpg-values.yaml')],
      set: ['backup.cnpg.method=volumeSnapshot', 'backup.cnpg.volumeSnapshot.className=csi-snapshots'],
    });
    for (const o of snapshots) assert.deepEqual(await validateObject(o), [], id(o));
    assert.equal((find(snapshots, 'ScheduledBackup').spec as { method: string }).method, 'volumeSnapshot');
    assert.deepEqual((find(snapshots, 'Cluster').spec as { backup: unknown }).backup, {
      retentionPolicy: '30d',
      volumeSnapshot: { className: 'csi-snapshots' },
    });
  });

  it('bad backup values are refused, naming the value', () => {
    const refused = (set: string[], pattern: RegExp, files = [ci('backup-values.yaml')]) =>
      assert.throws(
        () => renderText({ valuesFiles: files, set }),
        (error: Error & { stderr?: string }) => pattern.test(String(error.stderr ?? error.message)),
        set.join(' '),
      );
    refused(['backup.keep=0'], /backup\.keep|keep/);
    refused(['backup.schedule=daily'], /schedule/);
    refused(['backup.persistence.sizee=1Gi'], /sizee/);
    refused(['backup.cnpg.method=pg_dump'], /method/);
    refused(['backup.cnpg.retentionPolicy=30 days'], /retentionPolicy/);
    refused(['database.mode=cnpg', 'database.cnpg.skipCapabilityCheck=true', 'backup.enabled=true'], /destinationPath is required/, []);
    refused(['backup.cnpg.barmanObjectStore.destinationPaht=s3://x'], /destinationPaht/, [ci('cnpg-values.yaml')]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('chart backups: the CronJob container against PostgreSQL', { skip: skipWithoutHelm, timeout: 300_000 }, () => {
  let admin: pg.Client;
  let pgHost: string;
  let pgPort: number;
  let work: string;
  const cleanup: string[] = [];

  before(async () => {
    const adminUrl = process.env.TEST_DATABASE_URL;
    assert.ok(adminUrl, 'TEST_DATABASE_URL (npm test sets it)');
    if (!existsSync(path.join(root, 'dist/cli.js'))) {
      assert.equal(spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' }).status, 0, 'build');
    }
    const u = new URL(adminUrl);
    pgHost = u.hostname;
    pgPort = Number(u.port || 5432);
    admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    work = mkdtempSync(path.join(tmpdir(), 'barona-chart-backup-'));
  });

  after(async () => {
    for (const sql of cleanup.reverse()) await admin.query(sql);
    await admin.end();
    rmSync(work, { recursive: true, force: true });
  });

  it('writes barona-<UTC time>.backup.gz, keeps the newest backup.keep, removes nothing when a backup fails, and a kept backup restores', async () => {
    const suffix = randomBytes(4).toString('hex');
    const db = `barona_backup_${suffix}`;
    const role = `barona_backup_${suffix}`;
    const objects = render({
      release: RELEASE,
      namespace: 'backup',
      valuesFiles: [ci('backup-values.yaml')],
      set: [`database.name=${db}`, `database.user=${role}`, 'backup.keep=2'],
    });
    const password = Buffer.from((find(objects, 'Secret', `${RELEASE}-database`).data as Env).password!, 'base64').toString('utf8');
    await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD ${admin.escapeLiteral(password)}`);
    await admin.query(`CREATE DATABASE ${db} OWNER ${role}`);
    cleanup.push(`DROP ROLE IF EXISTS ${role}`, `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);

    // The image has `barona` on PATH (a link to bin/barona.js); so does this process.
    const bin = path.join(work, 'bin');
    mkdirSync(bin);
    writeFileSync(path.join(bin, 'barona'), `#!/bin/sh\nexec "${process.execPath}" "${path.join(root, 'bin/barona.js')}" "$@"\n`);
    chmodSync(path.join(bin, 'barona'), 0o755);
    const volume = path.join(work, 'backups');
    mkdirSync(volume);

    const container = backupContainer(objects);
    const env: Env = { ...resolveEnv(container, objects), PATH: `${bin}:${process.env.PATH ?? ''}`, HOME: work };
    assert.equal(env.DATABASE_USER, role);
    assert.equal(env.DATABASE_PASSWORD, password);
    env.DATABASE_HOSTNAME = pgHost; // only the database address and the volume's path change
    env.DATABASE_PORT = String(pgPort);
    assert.equal(env.BACKUP_DIR, '/backups');
    env.BACKUP_DIR = volume;
    assert.equal(env.BACKUP_KEEP, '2');

    const migrated = spawnSync(process.execPath, [path.join(root, 'bin/barona.js'), 'migrate'], { cwd: root, env, encoding: 'utf8' });
    assert.equal(migrated.status, 0, migrated.stderr);
    const app = new pg.Client({ host: pgHost, port: pgPort, user: role, password, database: db });
    await app.connect();
    await app.query(
      `INSERT INTO checkins (firstname, lastname, gate) SELECT 'Ada', 'Lovelace ' || n, 'north' FROM generate_series(1, 25) AS n`,
    );
    await app.end();

    const [command, ...args] = [...(container.command ?? []), ...(container.args ?? [])];
    assert.equal(command, 'sh');
    const run = (overrides: Env = {}) =>
      spawnSync(command!, args, { cwd: work, env: { ...env, ...overrides }, encoding: 'utf8', timeout: 60_000 });
    const backups = () =>
      readdirSync(volume)
        .filter((f) => /^barona-\d{8}T\d{6}Z\.backup\.gz$/.test(f))
        .sort();

    // Not the backups': never removed.
    writeFileSync(path.join(volume, 'README.txt'), 'operator notes\n');
    const made: string[] = [];
    for (let i = 0; i < 4; i += 1) {
      if (i > 0) await new Promise((r) => setTimeout(r, 1100)); // file names have one-second resolution
      const result = run();
      assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
      assert.match(result.stdout, /backup complete: \d+ tables, \d+ rows/);
      const now = backups();
      made.push(now.find((f) => !made.includes(f))!);
      assert.deepEqual(now, made.slice(-2), `after backup ${i + 1}: the newest two`);
      if (i >= 2) assert.match(result.stdout, /removed barona-\d{8}T\d{6}Z\.backup\.gz \(keeping the newest 2\)/);
    }
    assert.ok(existsSync(path.join(volume, 'README.txt')));
    const stamp = /^barona-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/.exec(made.at(-1)!)!;
    const taken = Date.UTC(+stamp[1]!, +stamp[2]! - 1, +stamp[3]!, +stamp[4]!, +stamp[5]!, +stamp[6]!);
    assert.ok(Math.abs(Date.now() - taken) < 60_000, 'the name is the UTC time of the backup');

    // A failed backup (the database does not exist: the test server trusts any password) exits non-zero
    // and removes nothing.
    await new Promise((r) => setTimeout(r, 1100));
    const failed = run({ DATABASE_NAME: `${db}_missing` });
    assert.notEqual(failed.status, 0);
    assert.deepEqual(backups(), made.slice(-2));
    assert.deepEqual(
      readdirSync(volume).filter((f) => f.endsWith('.partial')),
      [],
      'no half-written file left',
    );

    // The newest kept backup restores into a fresh database with every check-in.
    const fresh = `${db}_restored`;
    await admin.query(`CREATE DATABASE ${fresh} OWNER ${role}`);
    cleanup.push(`DROP DATABASE IF EXISTS ${fresh} WITH (FORCE)`);
    const restored = spawnSync(process.execPath, [path.join(root, 'bin/barona.js'), 'restore', path.join(volume, made.at(-1)!)], {
      cwd: root,
      env: { ...env, DATABASE_NAME: fresh },
      encoding: 'utf8',
    });
    assert.equal(restored.status, 0, `${restored.stdout}${restored.stderr}`);
    const check = new pg.Client({ host: pgHost, port: pgPort, user: role, password, database: fresh });
    await check.connect();
    const { rows } = await check.query<{ n: string }>(`SELECT count(*) AS n FROM checkins WHERE lastname LIKE 'Lovelace %'`);
    await check.end();
    assert.equal(Number(rows[0]!.n), 25);
  });
});
