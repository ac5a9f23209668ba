// The auth values moved under auth.* (auth.mode, auth.admin.*) from 0.1.0's app.authMode and
// admin.*. Old values files keep working for this release: the old keys render exactly what the
// new keys render, a conflict between an old and a new key fails naming both, NOTES.txt names each
// old key in use and its new place, and values.schema.json accepts both (the old ones deprecated).
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execFileSync } from 'node:child_process';
import { parse, stringify } from 'yaml';
import { chartDir, find, helm, render, renderText, root, skipWithoutHelm, type RenderOptions } from './support.js';

type Values = Record<string, unknown>;

/** The moves, old key -> new key (as the chart's barona.authMoves lists them). */
const MOVES: [old: string, next: string][] = [
  ['app.authMode', 'auth.mode'],
  ['admin.password', 'auth.admin.password'],
  ['admin.existingSecret', 'auth.admin.existingSecret'],
  ['admin.existingSecretKey', 'auth.admin.existingSecretKey'],
];

const legacyFile = path.join(root, 'ci/legacy-auth-values.yaml');
/** Values the chart would otherwise generate at random, so that two renders compare byte for byte. */
const FIXED = ['database.bundled.password=fixed-db-password', `auth.bootstrapToken=brn_${'t0Ken'.repeat(9)}`];

/** The first differing line of two renders (assert.equal on whole renders prints pages). */
function sameRender(actual: string, expected: string, what: string): void {
  if (actual === expected) return;
  const [a, b] = [actual.split('\n'), expected.split('\n')];
  const line = a.findIndex((text, i) => text !== b[i]);
  assert.fail(`${what}: renders differ at line ${line + 1}: ${JSON.stringify(a[line])} vs ${JSON.stringify(b[line])}`);
}
// The old names are 0.1.0's: the oldest recorded release (releases.json lists newest first).
const previousCommit = (
  JSON.parse(readFileSync(path.join(root, 'releases.json'), 'utf8')) as { releases: { commit: string }[] }
).releases.at(-1)!.commit;

function getPath(values: Values, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((node, key) => (node as Values | undefined)?.[key], values);
}

/** A values tree with every old key moved to its new place (and empty parents removed). */
function migrate(values: Values): Values {
  const out = structuredClone(values);
  for (const [old, next] of MOVES) {
    const value = getPath(out, old);
    if (value === undefined) continue;
    const oldParts = old.split('.');
    const parent = getPath(out, oldParts.slice(0, -1).join('.')) as Values;
    delete parent[oldParts.at(-1)!];
    if (Object.keys(parent).length === 0) delete out[oldParts[0]!];
    const nextParts = next.split('.');
    let node = out;
    for (const key of nextParts.slice(0, -1)) node = (node[key] ??= {}) as Values;
    node[nextParts.at(-1)!] = value;
  }
  return out;
}

describe('auth values: old keys (0.1.0) and new keys', { skip: skipWithoutHelm }, () => {
  let dir: string;
  let notesChart: string;
  const write = (name: string, values: Values) => {
    const file = path.join(dir, name);
    writeFileSync(file, stringify(values));
    return file;
  };

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'barona-values-migration-'));
    // `helm template` does not print NOTES.txt; a copy of the chart renders it through `tpl` into
    // a document of its own (same template, same values, same helpers).
    notesChart = path.join(dir, 'chart');
    cpSync(chartDir, notesChart, { recursive: true });
    cpSync(path.join(chartDir, 'templates/NOTES.txt'), path.join(notesChart, 'notes.txt'));
    writeFileSync(path.join(notesChart, 'templates/zz-notes.yaml'), 'notes: {{ tpl (.Files.Get "notes.txt") . | toJson }}\n');
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  const notes = (options: RenderOptions = {}): string => {
    const text = renderText({ ...options, chart: notesChart, extraArgs: ['--show-only', 'templates/zz-notes.yaml'] });
    return (parse(text) as { notes: string }).notes;
  };

  it('ci/legacy-auth-values.yaml uses the old keys, and renders exactly what the same values under the new keys render', () => {
    const legacy = parse(readFileSync(legacyFile, 'utf8')) as Values;
    const present = MOVES.filter(([old]) => getPath(legacy, old) !== undefined).map(([old]) => old);
    assert.deepEqual(present, ['app.authMode', 'admin.existingSecret', 'admin.existingSecretKey']);
    const migrated = migrate(legacy);
    assert.equal(getPath(migrated, 'admin'), undefined);
    assert.equal(getPath(migrated, 'app'), undefined);
    const moved = write('legacy-migrated.yaml', migrated);

    sameRender(renderText({ valuesFiles: [legacyFile], set: FIXED }), renderText({ valuesFiles: [moved], set: FIXED }), 'legacy file');
    // And the old keys took effect (not both ignored).
    const objects = render({ valuesFiles: [legacyFile] });
    assert.equal((find(objects, 'ConfigMap', 'barona').data as Record<string, string>).AUTH_MODE, 'open');
    assert.deepEqual(
      objects.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name),
      ['barona-database'],
      'admin.existingSecret: the chart makes no admin Secret',
    );
    const deployment = find(objects, 'Deployment');
    const env = (deployment.spec as { template: { spec: { containers: { env: { name: string; valueFrom?: unknown }[] }[] } } }).template
      .spec.containers[0]!.env;
    assert.deepEqual(env.find((e) => e.name === 'ADMIN_PASSWORD')?.valueFrom, {
      secretKeyRef: { name: 'barona-credentials', key: 'admin-pass' },
    });
    assert.deepEqual(env.find((e) => e.name === 'BOOTSTRAP_API_TOKEN')?.valueFrom, {
      secretKeyRef: { name: 'barona-credentials', key: 'api-token' },
    });
  });

  it('admin.password (old) gives the chart-made Secret the same password as auth.admin.password', () => {
    sameRender(
      renderText({ set: ['admin.password=from-old-key', ...FIXED] }),
      renderText({ set: ['auth.admin.password=from-old-key', ...FIXED] }),
      'admin.password',
    );
    const secret = find(render({ set: ['admin.password=from-old-key'] }), 'Secret', 'barona-admin');
    assert.equal(Buffer.from((secret.data as Record<string, string>)['admin-password']!, 'base64').toString(), 'from-old-key');
  });

  it("0.1.0's own ci values files render what today's files (new keys) render", () => {
    const old = (name: string) => {
      const file = path.join(dir, `previous-${name}`);
      writeFileSync(file, execFileSync('git', ['show', `${previousCommit}:ci/${name}`], { cwd: root, encoding: 'utf8' }));
      return file;
    };
    // admin.existingSecret / admin.existingSecretKey
    assert.match(readFileSync(old('external-values.yaml'), 'utf8'), /^admin:\n {2}existingSecret:/m);
    sameRender(
      renderText({ valuesFiles: [old('external-values.yaml')] }),
      renderText({ valuesFiles: [path.join(root, 'ci/external-values.yaml')] }),
      '0.1.0 ci/external-values.yaml',
    );
    // app.authMode: open (0.1.0's seed file also needs the superuser's name this chart asks for)
    assert.match(readFileSync(old('seed-values.yaml'), 'utf8'), /^ {2}authMode: open$/m);
    const token = [...FIXED, 'auth.admin.password=p'];
    sameRender(
      renderText({ valuesFiles: [old('seed-values.yaml')], set: ['database.bundled.superuser=postgres_admin', ...token] }),
      renderText({ valuesFiles: [path.join(root, 'ci/seed-values.yaml')], set: token }),
      '0.1.0 ci/seed-values.yaml',
    );
  });

  it('without the new keys at all (helm upgrade --reuse-values carries 0.1.0 values over), the old keys are read', () => {
    const objects = render({
      set: ['auth.mode=null', 'auth.admin=null', 'app.authMode=open', 'admin.existingSecret=kept', 'admin.existingSecretKey=pw'],
    });
    assert.equal((find(objects, 'ConfigMap', 'barona').data as Record<string, string>).AUTH_MODE, 'open');
    assert.match(renderText({ set: ['auth.mode=null', 'auth.admin=null'] }), /AUTH_MODE: "token"/, 'neither: the defaults');
    const deployment = JSON.stringify(find(objects, 'Deployment'));
    assert.match(deployment, /"name":"kept","key":"pw"/);
    // 0.1.0's defaults carried over next to a new key: the new key wins, no conflict.
    const both = render({
      set: [
        'app.authMode=token',
        'auth.mode=open',
        'admin.existingSecretKey=admin-password',
        'auth.admin.existingSecret=s',
        'auth.admin.existingSecretKey=k',
      ],
    });
    assert.equal((find(both, 'ConfigMap', 'barona').data as Record<string, string>).AUTH_MODE, 'open');
    assert.match(JSON.stringify(find(both, 'Deployment')), /"name":"s","key":"k"/);
  });

  it('an old and a new key set to different values fail, naming both keys (a password by name only)', () => {
    const conflicts: [string[], RegExp][] = [
      [
        ['admin.existingSecret=a', 'auth.admin.existingSecret=b'],
        /admin\.existingSecret \(deprecated, moved to auth\.admin\.existingSecret\) and auth\.admin\.existingSecret differ \("a" and "b"\)/,
      ],
      [
        ['admin.existingSecretKey=a', 'auth.admin.existingSecretKey=b'],
        /admin\.existingSecretKey \(deprecated, moved to auth\.admin\.existingSecretKey\) and auth\.admin\.existingSecretKey differ/,
      ],
      [
        ['admin.password=old-secret', 'auth.admin.password=new-secret'],
        /admin\.password \(deprecated, moved to auth\.admin\.password\) and auth\.admin\.password differ; keep only auth\.admin\.password/,
      ],
    ];
    for (const [set, message] of conflicts) {
      assert.throws(
        () => renderText({ set }),
        (error: Error & { stderr?: string }) => {
          const text = String(error.stderr ?? error.message);
          assert.match(text, message, set.join(' '));
          assert.doesNotMatch(text, /old-secret|new-secret/, 'no password in the message');
          return true;
        },
      );
    }
    // auth.mode has two values: an old key set to the one that is not the default leaves a new key
    // at the default, which cannot be told from one not set, so the old key's value is used.
    assert.match(renderText({ set: ['app.authMode=open', 'auth.mode=token'] }), /AUTH_MODE: "open"/);
    // The same value in both places is no conflict.
    assert.match(renderText({ set: ['admin.existingSecret=same', 'auth.admin.existingSecret=same'] }), /name: same/);
  });

  it('NOTES.txt warns about each old key in use with its new place, and says nothing with the new keys', () => {
    const legacy = notes({ valuesFiles: [legacyFile] });
    assert.match(legacy, /WARNING: deprecated values/);
    for (const [old, next] of MOVES.filter(([old]) => old !== 'admin.password')) {
      assert.ok(legacy.includes(`   ${old}  ->  ${next}\n`) || legacy.endsWith(`   ${old}  ->  ${next}`), `${old} -> ${next}\n${legacy}`);
    }
    assert.doesNotMatch(legacy, /admin\.password/);
    assert.match(notes({ set: ['admin.password=x'] }), /admin\.password {2}-> {2}auth\.admin\.password/);
    // The rest of the notes is what the new keys give.
    const migrated = write('legacy-migrated-notes.yaml', migrate(parse(readFileSync(legacyFile, 'utf8')) as Values));
    const current = notes({ valuesFiles: [migrated] });
    assert.doesNotMatch(current, /deprecated/i);
    assert.ok(legacy.startsWith(current), 'the warning is appended, the notes above it are unchanged');
    for (const file of ['defaults', 'external', 'seed'].map((n) => path.join(root, `ci/${n}-values.yaml`))) {
      assert.doesNotMatch(notes({ valuesFiles: [file] }), /deprecated/i, file);
    }
  });

  it('values.schema.json accepts both, types both alike, and marks the old keys deprecated naming the new ones', () => {
    const schema = JSON.parse(readFileSync(path.join(chartDir, 'values.schema.json'), 'utf8')) as Values;
    const at = (dotted: string) =>
      dotted
        .split('.')
        .reduce<Values | undefined>((node, key) => (node?.properties as Values | undefined)?.[key] as Values | undefined, schema);
    for (const [old, next] of MOVES) {
      const [o, n] = [at(old), at(next)];
      assert.ok(o && n, `${old} and ${next} are in the schema`);
      assert.equal(o.deprecated, true, old);
      assert.match(String(o.description), new RegExp(`^Deprecated: .*${next.replace(/\./g, '\\.')}`), old);
      assert.equal(n.deprecated, undefined, next);
      const shape = (s: Values) => JSON.stringify({ ...s, description: undefined, deprecated: undefined });
      assert.equal(shape(o), shape(n), `${old} is typed like ${next}`);
    }
    assert.ok(!(at('app')?.required as string[]).includes('authMode'), 'app.authMode is optional');
    // helm validates values against the schema: both spellings pass lint, wrong values or keys fail in both places.
    assert.match(helm(['lint', '--strict', chartDir, '--values', legacyFile]), /0 chart\(s\) failed/);
    assert.match(helm(['lint', '--strict', chartDir, '--values', path.join(root, 'ci/external-values.yaml')]), /0 chart\(s\) failed/);
    assert.throws(() => renderText({ set: ['app.authMode=sometimes'] }), /authMode/);
    assert.throws(() => renderText({ set: ['auth.mode=sometimes'] }), /mode/);
    assert.throws(() => renderText({ set: ['admin.existingSecretKey='] }), /existingSecretKey/);
    assert.throws(() => renderText({ set: ['admin.secret=x'] }), /Additional property secret is not allowed/);
    assert.throws(() => renderText({ set: ['auth.admin.secret=x'] }), /Additional property secret is not allowed/);
  });
});
