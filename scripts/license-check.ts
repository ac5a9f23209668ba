// License allow-list check of the production dependencies, read from the CycloneDX SBOM that
// scripts/security.sh produces, so the SBOM we archive and the licence verdict never disagree.
//
//   node --import tsx scripts/license-check.ts [--sbom reports/sbom.cdx.json]
//        [--config scripts/license-allowlist.json] [--report reports/licenses.json]
//
// Exit 0 when every component is allowed, 1 when any is not (each one named), 2 on bad input.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';

export interface AllowList {
  allowed: string[];
  /** "name@version" → why this package was reviewed and accepted despite its licence. */
  packages?: Record<string, string>;
}

export interface Component {
  name: string;
  version: string;
  license: string;
}

export interface Verdict extends Component {
  ok: boolean;
  reason: string;
}

type Node = { kind: 'license'; id: string; exception?: string } | { kind: 'and' | 'or'; left: Node; right: Node };

/** Parses an SPDX licence expression: ids, `WITH`, `AND` (binds tighter) and `OR`, parentheses. */
export function parseSpdx(expression: string): Node {
  const tokens = expression.match(/\(|\)|[^\s()]+/g) ?? [];
  let pos = 0;
  const peek = (): string | undefined => tokens[pos];
  const next = (): string => {
    const token = tokens[pos++];
    if (token === undefined) throw new Error(`unexpected end of licence expression "${expression}"`);
    return token;
  };
  const atom = (): Node => {
    const token = next();
    if (token === '(') {
      const inner = orExpr();
      if (next() !== ')') throw new Error(`missing ")" in licence expression "${expression}"`);
      return inner;
    }
    if (/^(AND|OR|WITH|\))$/i.test(token)) {
      throw new Error(`unexpected "${token}" in licence expression "${expression}"`);
    }
    if (peek()?.toUpperCase() === 'WITH') {
      pos++;
      return { kind: 'license', id: token, exception: next() };
    }
    return { kind: 'license', id: token };
  };
  const andExpr = (): Node => {
    let left = atom();
    while (peek()?.toUpperCase() === 'AND') {
      pos++;
      left = { kind: 'and', left, right: atom() };
    }
    return left;
  };
  const orExpr = (): Node => {
    let left = andExpr();
    while (peek()?.toUpperCase() === 'OR') {
      pos++;
      left = { kind: 'or', left, right: andExpr() };
    }
    return left;
  };
  if (tokens.length === 0) throw new Error('empty licence expression');
  const tree = orExpr();
  if (pos !== tokens.length) throw new Error(`unexpected "${tokens[pos]}" in licence expression "${expression}"`);
  return tree;
}

function satisfies(node: Node, allowed: Set<string>): boolean {
  switch (node.kind) {
    case 'or':
      return satisfies(node.left, allowed) || satisfies(node.right, allowed);
    case 'and':
      return satisfies(node.left, allowed) && satisfies(node.right, allowed);
    case 'license':
      // An exception only ever grants extra permissions, so "X WITH e" is fine when X is.
      return allowed.has(node.id) || (node.exception !== undefined && allowed.has(`${node.id} WITH ${node.exception}`));
  }
}

export function judge(component: Component, list: AllowList): Verdict {
  const key = `${component.name}@${component.version}`;
  const accepted = list.packages?.[key];
  if (accepted) return { ...component, ok: true, reason: `accepted by review: ${accepted}` };
  if (!component.license) return { ...component, ok: false, reason: 'no licence declared' };
  let tree: Node;
  try {
    tree = parseSpdx(component.license);
  } catch (error) {
    return { ...component, ok: false, reason: `not an SPDX expression (${(error as Error).message})` };
  }
  const ok = satisfies(tree, new Set(list.allowed));
  return { ...component, ok, reason: ok ? 'allowed' : 'licence not on the allow-list' };
}

interface CdxLicenseChoice {
  expression?: string;
  license?: { id?: string; name?: string };
}
interface CdxComponent {
  name: string;
  group?: string;
  version?: string;
  licenses?: CdxLicenseChoice[];
  components?: CdxComponent[];
}

/** Every component of a CycloneDX BOM (nested ones included), with one licence expression each. */
export function componentsOf(bom: { components?: CdxComponent[] }): Component[] {
  const out: Component[] = [];
  const walk = (list: CdxComponent[] | undefined): void => {
    for (const c of list ?? []) {
      const parts = (c.licenses ?? []).map((l) => l.expression ?? l.license?.id ?? l.license?.name).filter((l): l is string => Boolean(l));
      // Several licence entries on one package mean all of them apply.
      const license = parts.length > 1 ? parts.map((p) => `(${p})`).join(' AND ') : (parts[0] ?? '');
      out.push({ name: c.group ? `${c.group}/${c.name}` : c.name, version: c.version ?? '', license });
      walk(c.components);
    }
  };
  walk(bom.components);
  return out;
}

export function checkBom(bom: { components?: CdxComponent[] }, list: AllowList): Verdict[] {
  return componentsOf(bom).map((c) => judge(c, list));
}

function main(): void {
  const { values } = parseArgs({
    options: {
      sbom: { type: 'string', default: 'reports/sbom.cdx.json' },
      config: { type: 'string', default: 'scripts/license-allowlist.json' },
      report: { type: 'string', default: 'reports/licenses.json' },
    },
  });
  let bom: { bomFormat?: string; components?: CdxComponent[] };
  let list: AllowList;
  try {
    bom = JSON.parse(readFileSync(values.sbom, 'utf8'));
    list = JSON.parse(readFileSync(values.config, 'utf8'));
  } catch (error) {
    console.error(`license-check: ${(error as Error).message}`);
    process.exit(2);
  }
  if (bom.bomFormat !== 'CycloneDX' || !Array.isArray(bom.components)) {
    console.error(`license-check: ${values.sbom} is not a CycloneDX BOM with components`);
    process.exit(2);
  }
  const verdicts = checkBom(bom, list);
  const bad = verdicts.filter((v) => !v.ok);
  const counts = new Map<string, number>();
  for (const v of verdicts) counts.set(v.license || '(none)', (counts.get(v.license || '(none)') ?? 0) + 1);

  mkdirSync(dirname(values.report), { recursive: true });
  writeFileSync(values.report, `${JSON.stringify({ ok: bad.length === 0, components: verdicts }, null, 2)}\n`);

  const summary = [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([l, n]) => `${l}: ${n}`)
    .join(', ');
  console.log(`license-check: ${verdicts.length} production components (${summary})`);
  for (const v of bad) console.error(`license-check: DISALLOWED ${v.name}@${v.version}: "${v.license}" (${v.reason})`);
  if (bad.length > 0) {
    console.error(
      `license-check: FAILED, ${bad.length} component(s) not allowed; add the licence to ${values.config} ` +
        'or accept the exact package@version there with a reason',
    );
    process.exit(1);
  }
  console.log('license-check: passed');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
