import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';

// axe-core (the npm package) run inside the page under test. It is evaluated through the
// DevTools protocol, which the page's content security policy does not apply to, so the app
// keeps its strict policy while tested.
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

interface Finding {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

// The serious and critical violations on what the page shows now, one line each, prefixed
// with the screen's name (an empty list is a pass).
export async function seriousViolations(page: Page, screen: string): Promise<string[]> {
  if (!(await page.evaluate<boolean>('typeof window.axe !== "undefined"'))) {
    await page.evaluate(AXE_SOURCE);
  }
  const findings = await page.evaluate<Finding[]>(`
    window.axe
      .run(document, { resultTypes: ['violations'] })
      .then((r) => r.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        targets: v.nodes.map((n) => n.target.join(' ')),
      })))
  `);
  return findings
    .filter((f) => f.impact === 'serious' || f.impact === 'critical')
    .map((f) => `${screen}: ${f.id} (${f.impact}) ${f.help}: ${f.targets.slice(0, 4).join(', ')}`);
}
