import { renderChart } from './chart';
import { renderTable } from './report';
import { spread } from './stats';

const latency = (p50: number, p99: number) => ({ count: 10, p50, p90: p50, p99, max: p99 });

describe('bench chart and table', () => {
  const svg = renderChart({
    title: 'Hekim <vs> baselines',
    subtitle: 'test run',
    ratios: [
      { label: 'S1 relay', ratio: spread([0.8, 0.9, 1.0]), bar: 0.85 },
      { label: 'S7 login', ratio: spread([Number.NaN]) },
    ],
    latencies: [{ label: 'S2', hekim: latency(2, 9), baseline: latency(1, 4) }],
  });

  it('writes a standalone SVG with escaped text', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('Hekim &#60;vs&#62; baselines');
    expect(svg).not.toContain('NaN');
  });

  it('draws one ratio bar per scenario with its whisker and the bar to reach', () => {
    expect(svg).toContain('<title>S1 relay: 0.900×</title>');
    expect(svg).toContain('<title>bar 0.85×</title>');
    expect((svg.match(/class="whisker"/g) ?? []).length).toBe(3);
  });

  it('draws Hekim and baseline side by side for each latency percentile', () => {
    expect(svg).toContain('<title>S2 p99 Hekim: 9.00 ms</title>');
    expect(svg).toContain('<title>S2 p99 baseline: 4.00 ms</title>');
    expect((svg.match(/<title>S2 p\d\d (Hekim|baseline)/g) ?? []).length).toBe(6);
  });

  it('renders the Markdown table, escaping pipes', () => {
    const table = renderTable([
      {
        id: 's1',
        title: 't',
        rows: [
          {
            scenario: '1',
            metric: 'a|b',
            hekim: '1',
            baseline: '2',
            ratio: '0.50×',
            bar: '≥ 0.85×',
            verdict: 'FALL SHORT',
          },
        ],
        ratios: [],
        latencies: [],
        notes: [],
        data: {},
      },
    ]);
    expect(table.split('\n')).toHaveLength(3);
    expect(table).toContain('| 1 | a\\|b | 1 | 2 | 0.50× | ≥ 0.85× | FALL SHORT |');
  });
});
