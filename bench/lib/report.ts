// The Markdown table of a run (printed by the harness, pasted into docs/performance.md).
import type { ScenarioResult } from './ab';

export function renderTable(results: ScenarioResult[]): string {
  const head = [
    '#',
    'metric',
    'Hekim',
    'baseline',
    'ratio or Δ, median [min–max]',
    'bar',
    'verdict',
  ];
  const lines = [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`];
  for (const r of results)
    for (const row of r.rows)
      lines.push(
        `| ${[row.scenario, row.metric, row.hekim, row.baseline, row.ratio, row.bar, row.verdict]
          .map((c) => c.replace(/\|/g, '\\|'))
          .join(' | ')} |`,
      );
  return lines.join('\n');
}
