// The "Values" table of charts/barona/README.md, generated from charts/barona/values.yaml: one row
// per value whose comment starts with "-- " (key, default as JSON, the comment's text). A map
// without such a comment is walked into; its keys become rows of their own.
//   node --import tsx scripts/chart-values-table.ts          rewrite the table in the README
//   node --import tsx scripts/chart-values-table.ts --check  exit 1 when the README's table is stale
// test/chart/render.test.ts checks the table is current.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isMap, isScalar, parseDocument, type YAMLMap } from 'yaml';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const chartReadme = path.join(root, 'charts/barona/README.md');
export const chartValues = path.join(root, 'charts/barona/values.yaml');

const HEADER = '| Key | Default | Description |\n|---|---|---|\n';
const MAX_DEFAULT = 60;

export interface ValueDoc {
  key: string;
  value: unknown;
  description: string;
}

/** Every documented value of a values.yaml text, in file order, and the keys without a "-- " comment. */
export function documentedValues(text: string): { documented: ValueDoc[]; undocumented: string[] } {
  const doc = parseDocument(text);
  const documented: ValueDoc[] = [];
  const undocumented: string[] = [];
  const walk = (map: YAMLMap, prefix: string, inherited: string) => {
    map.items.forEach((pair, i) => {
      const key = isScalar(pair.key) ? String(pair.key.value) : '?';
      const at = prefix ? `${prefix}.${key}` : key;
      const comment = (i === 0 ? inherited : '') + ((pair.key as { commentBefore?: string }).commentBefore ?? '');
      const described = /^ ?-- (.*)$/m.exec(comment);
      if (described) {
        const value: unknown = (pair.value as { toJSON?: () => unknown } | null)?.toJSON?.() ?? null;
        documented.push({ key: at, value, description: described[1]!.trim() });
      } else if (isMap(pair.value) && pair.value.items.length > 0) {
        walk(pair.value, at, (pair.value as { commentBefore?: string }).commentBefore ?? '');
      } else undocumented.push(at);
    });
  };
  walk(doc.contents as YAMLMap, '', doc.commentBefore ?? '');
  return { documented, undocumented };
}

/** JSON with ", " and ": " between items, as Python's json.dumps writes it. */
function spaced(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(spaced).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}: ${spaced(v)}`)
      .join(', ')}}`;
  }
  return JSON.stringify(value);
}

function defaultCell(value: unknown): string {
  const text = spaced(value);
  return text.length > MAX_DEFAULT ? `${text.slice(0, MAX_DEFAULT - 3)}…` : text;
}

/** The table (header, separator and one row per documented value). */
export function valuesTable(valuesText: string): string {
  const rows = documentedValues(valuesText).documented.map(
    (v) => `| \`${v.key}\` | \`${defaultCell(v.value)}\` | ${v.description.replace(/\|/g, '\\|')} |\n`,
  );
  return HEADER + rows.join('');
}

/** The README with its values table replaced by the one generated from valuesText. */
export function withValuesTable(readme: string, valuesText: string): string {
  const start = readme.indexOf(HEADER);
  if (start < 0) throw new Error(`the README has no values table (header ${JSON.stringify(HEADER.split('\n')[0])})`);
  let end = start + HEADER.length;
  while (readme.startsWith('|', end)) end = readme.indexOf('\n', end) + 1 || readme.length;
  return readme.slice(0, start) + valuesTable(valuesText) + readme.slice(end);
}

function main(): void {
  const readme = readFileSync(chartReadme, 'utf8');
  const next = withValuesTable(readme, readFileSync(chartValues, 'utf8'));
  if (process.argv.includes('--check')) {
    if (next !== readme) {
      console.error(
        'chart-values-table: the values table of charts/barona/README.md is stale; run `node --import tsx scripts/chart-values-table.ts`',
      );
      process.exit(1);
    }
    console.log('chart-values-table: the README table matches values.yaml');
    return;
  }
  writeFileSync(chartReadme, next);
  console.log(`chart-values-table: ${next === readme ? 'unchanged' : 'rewrote'} the values table of charts/barona/README.md`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
