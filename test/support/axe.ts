// axe-core in a Playwright page: injects node_modules/axe-core/axe.min.js and runs it on the whole page.
// The pages' strict CSP (script-src 'self') refuses page.addScriptTag's inline script, so the source is
// evaluated through the DevTools protocol instead, which the CSP does not govern: the page under test
// keeps its real policy (no bypassCSP context needed).
// `seriousViolations(page)` is what the browser tests assert on: every serious or critical finding, each
// as one readable line (rule, impact, the elements it was found on), so a failure says what to fix.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeNode {
  target: unknown[];
  failureSummary?: string;
}
interface AxeViolation {
  id: string;
  impact: 'minor' | 'moderate' | 'serious' | 'critical' | null;
  help: string;
  nodes: AxeNode[];
}

/** Every axe violation on the page as it is now (WCAG 2.x A and AA rules and axe's best practices). */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(context: unknown, options: unknown): Promise<{ violations: AxeViolation[] }> } })
      .axe;
    const result = await axe.run((globalThis as unknown as { document: unknown }).document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })),
    }));
  });
}

/** Rules held to whatever their impact: each was found on a page once and fixed. */
export const ALWAYS_ENFORCED = ['landmark-unique', 'empty-table-header', 'scrollable-region-focusable'];

/**
 * The serious and critical violations (and those of ALWAYS_ENFORCED), one line each:
 * `rule (impact): help — on selector, selector`.
 */
export async function seriousViolations(page: Page): Promise<string[]> {
  return (await axeViolations(page))
    .filter((v) => v.impact === 'serious' || v.impact === 'critical' || ALWAYS_ENFORCED.includes(v.id))
    .map((v) => {
      const on = v.nodes.slice(0, 5).map((n) => JSON.stringify(n.target));
      if (v.nodes.length > 5) on.push(`and ${v.nodes.length - 5} more`);
      return `${v.id} (${v.impact}): ${v.help} — on ${on.join(', ')}`;
    });
}
