// The shape the code keeps, checked on its files: routes are given services and never reach the
// database; every audit record is written by the one change helper; features do not import each other's
// routes. A rule broken here is a door left open beside the service.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? files(path.join(dir, entry.name)) : entry.name.endsWith('.ts') ? [path.join(dir, entry.name)] : [],
  );
}

/** The code of a file without its comments (a comment may show a route or a query as an example). */
const code = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
const sources = files(SRC).map((file) => ({ file: path.relative(SRC, file), text: code(readFileSync(file, 'utf8')) }));
/** Files that register routes: any call like app.get( / api.post( / app.route(. */
const routeFiles = sources.filter(({ text }) => /\b(app|api|instance|docs)\.(get|post|put|patch|delete|route)(<[^>]*>)?\(/.test(text));
const SQL = /\b(SELECT\s+[\w*"(]|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b/;

describe('the shape of the code', () => {
  test('route files exist where the features are', () => {
    assert.ok(routeFiles.length >= 20, `found ${routeFiles.length} route files`);
    const elsewhere = routeFiles.filter(({ file }) => !file.startsWith('features/') && !file.startsWith('http/')).map(({ file }) => file);
    assert.deepEqual(elsewhere, []);
  });

  for (const { file, text } of routeFiles) {
    test(`${file} holds no SQL, no database handle and no audit writes`, () => {
      assert.doesNotMatch(text, /db\/database\.js'/, 'imports the database module');
      assert.doesNotMatch(text, /\bcontext\.db\b|\{\s*db\b[^}]*\}\s*\)\s*=>|\bdb\s*:\s*Database/, 'uses the database handle');
      assert.doesNotMatch(text, SQL, 'contains SQL');
      assert.doesNotMatch(text, /recordAudit|insertAuditRecord|audit_log/, 'writes audit records');
      assert.doesNotMatch(text, /import \{[^}]*\} from '[^']*-repository\.js'/, 'reaches a repository around its service');
    });
  }

  test('route files import no other route file', () => {
    for (const { file, text } of routeFiles) {
      const imports = [...text.matchAll(/from '(\.[^']+)'/g)].map((m) => m[1]!);
      const routes = imports.filter((spec) => /routes\.js$/.test(spec) && !file.startsWith('http/api-routes'));
      assert.deepEqual(routes, [], `${file} imports ${routes.join(', ')}`);
    }
  });

  test('the audit table has one writer: records are added by the change helper through the audit repository, and only that repository changes them', () => {
    const writing = sources.filter(({ text }) => /(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+audit_log/i.test(text)).map(({ file }) => file);
    assert.deepEqual(writing, ['features/audit/audit-log.ts'], 'SQL that writes audit_log lives in the audit repository only');
    const callers = sources
      .filter(({ text }) => /\binsertAuditRecord\b/.test(text))
      .map(({ file }) => file)
      .sort();
    assert.deepEqual(callers, ['domain/changes.ts', 'features/audit/audit-log.ts']);
    assert.ok(!sources.some(({ text }) => /\brecordAudit\b/.test(text)), 'no second way to write an audit record');
  });

  test('the domain speaks no HTTP', () => {
    for (const { file, text } of sources.filter(({ file }) => file.startsWith('domain/') || /-service\.ts$/.test(file))) {
      assert.doesNotMatch(text, /from '(fastify|[^']*plugins\/[^']*)'/, `${file} imports HTTP`);
    }
  });
});
