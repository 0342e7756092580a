// SVG chart of a benchmark run, written by the harness itself (no external service): the
// left panel shows Hekim's throughput as a ratio of its baseline per scenario (median with a
// min–max whisker, and the bar to reach), the right one latency percentiles side by side.
import type { LatencySummary, Spread } from './stats';

export interface RatioBar {
  label: string;
  ratio: Spread;
  // The ratio the scenario must reach (a dashed tick), if it has one.
  bar?: number;
}

export interface LatencyGroup {
  label: string;
  hekim: LatencySummary;
  baseline: LatencySummary;
}

export interface ChartInput {
  title: string;
  subtitle: string;
  ratios: RatioBar[];
  latencies: LatencyGroup[];
}

const W = 960;
const H = 460;
const HEKIM = '#1f77b4';
const BASE = '#b0b0b0';

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function num(n: number): string {
  return Number.isFinite(n) ? (Math.round(n * 10) / 10).toString() : '0';
}

function niceMax(value: number): number {
  if (!Number.isFinite(value) || value <= 0) return 1;
  const pow = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * pow >= value) return m * pow;
  return 10 * pow;
}

function ratioPanel(items: RatioBar[], x0: number, y0: number, w: number, h: number): string[] {
  const out: string[] = [];
  const top = Math.max(1.2, ...items.map((i) => (Number.isFinite(i.ratio.max) ? i.ratio.max : 0)));
  const max = niceMax(top * 1.05);
  const y = (v: number): number => y0 + h - (Math.max(0, Math.min(v, max)) / max) * h;
  out.push(
    `<text x="${x0}" y="${y0 - 12}" class="h">Throughput, Hekim ÷ baseline (median, min–max)</text>`,
  );
  for (let t = 0; t <= 4; t++) {
    const v = (max * t) / 4;
    out.push(
      `<line x1="${x0}" x2="${x0 + w}" y1="${num(y(v))}" y2="${num(y(v))}" class="grid"/>`,
      `<text x="${x0 - 6}" y="${num(y(v) + 4)}" class="tick" text-anchor="end">${v.toFixed(2)}×</text>`,
    );
  }
  out.push(
    `<line x1="${x0}" x2="${x0 + w}" y1="${num(y(1))}" y2="${num(y(1))}" class="one"/>`,
    `<text x="${x0 + w}" y="${num(y(1) - 4)}" class="tick" text-anchor="end">baseline = 1×</text>`,
  );
  const slot = items.length ? w / items.length : w;
  items.forEach((item, i) => {
    const cx = x0 + slot * i + slot / 2;
    const bw = Math.min(40, slot * 0.5);
    const m = Number.isFinite(item.ratio.median) ? item.ratio.median : 0;
    out.push(
      `<rect x="${num(cx - bw / 2)}" y="${num(y(m))}" width="${num(bw)}" height="${num(y(0) - y(m))}" fill="${HEKIM}"><title>${esc(item.label)}: ${m.toFixed(3)}×</title></rect>`,
    );
    if (Number.isFinite(item.ratio.min) && Number.isFinite(item.ratio.max)) {
      out.push(
        `<line x1="${num(cx)}" x2="${num(cx)}" y1="${num(y(item.ratio.min))}" y2="${num(y(item.ratio.max))}" class="whisker"/>`,
        `<line x1="${num(cx - 6)}" x2="${num(cx + 6)}" y1="${num(y(item.ratio.min))}" y2="${num(y(item.ratio.min))}" class="whisker"/>`,
        `<line x1="${num(cx - 6)}" x2="${num(cx + 6)}" y1="${num(y(item.ratio.max))}" y2="${num(y(item.ratio.max))}" class="whisker"/>`,
      );
    }
    if (item.bar !== undefined) {
      out.push(
        `<line x1="${num(cx - bw / 2 - 6)}" x2="${num(cx + bw / 2 + 6)}" y1="${num(y(item.bar))}" y2="${num(y(item.bar))}" class="bar"><title>bar ${item.bar}×</title></line>`,
      );
    }
    out.push(
      `<text x="${num(cx)}" y="${y0 + h + 14}" class="tick" text-anchor="end" transform="rotate(-30 ${num(cx)} ${y0 + h + 14})">${esc(item.label)}</text>`,
      `<text x="${num(cx)}" y="${num(y(m) - 4)}" class="val" text-anchor="middle">${m.toFixed(2)}</text>`,
    );
  });
  return out;
}

function latencyPanel(
  groups: LatencyGroup[],
  x0: number,
  y0: number,
  w: number,
  h: number,
): string[] {
  const out: string[] = [];
  const keys = ['p50', 'p90', 'p99'] as const;
  const all = groups.flatMap((g) => keys.flatMap((k) => [g.hekim[k], g.baseline[k]]));
  const max = niceMax(Math.max(0.1, ...all.filter(Number.isFinite)) * 1.05);
  const y = (v: number): number => y0 + h - (Math.max(0, Math.min(v, max)) / max) * h;
  out.push(`<text x="${x0}" y="${y0 - 12}" class="h">Latency percentiles (ms)</text>`);
  for (let t = 0; t <= 4; t++) {
    const v = (max * t) / 4;
    out.push(
      `<line x1="${x0}" x2="${x0 + w}" y1="${num(y(v))}" y2="${num(y(v))}" class="grid"/>`,
      `<text x="${x0 - 6}" y="${num(y(v) + 4)}" class="tick" text-anchor="end">${num(v)}</text>`,
    );
  }
  const slot = groups.length ? w / groups.length : w;
  groups.forEach((g, i) => {
    const gx = x0 + slot * i;
    const inner = slot / (keys.length + 1);
    keys.forEach((k, j) => {
      const cx = gx + inner * (j + 1);
      const bw = Math.min(14, inner / 3);
      for (const [side, value, color] of [
        [-1, g.hekim[k], HEKIM],
        [1, g.baseline[k], BASE],
      ] as const) {
        const v = Number.isFinite(value) ? value : 0;
        const bx = side < 0 ? cx - bw - 1 : cx + 1;
        out.push(
          `<rect x="${num(bx)}" y="${num(y(v))}" width="${num(bw)}" height="${num(y(0) - y(v))}" fill="${color}"><title>${esc(g.label)} ${k} ${side < 0 ? 'Hekim' : 'baseline'}: ${v.toFixed(2)} ms</title></rect>`,
        );
      }
      out.push(
        `<text x="${num(cx)}" y="${y0 + h + 14}" class="tick" text-anchor="middle">${k}</text>`,
      );
    });
    out.push(
      `<text x="${num(gx + slot / 2)}" y="${y0 + h + 30}" class="tick" text-anchor="middle">${esc(g.label)}</text>`,
    );
  });
  return out;
}

export function renderChart(input: ChartInput): string {
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">`,
    '<style>.h{font-size:13px;font-weight:bold}.tick{font-size:10px;fill:#333}.val{font-size:10px;fill:#000}' +
      '.grid{stroke:#e5e5e5}.one{stroke:#555;stroke-dasharray:2 2}.whisker{stroke:#000}' +
      '.bar{stroke:#d62728;stroke-width:2;stroke-dasharray:4 2}</style>',
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="20" y="24" font-size="16" font-weight="bold">${esc(input.title)}</text>`,
    `<text x="20" y="42" font-size="11" fill="#555">${esc(input.subtitle)}</text>`,
    ...ratioPanel(input.ratios, 70, 90, 400, 260),
    ...latencyPanel(input.latencies, 560, 90, 380, 260),
    `<rect x="560" y="${H - 30}" width="10" height="10" fill="${HEKIM}"/>`,
    `<text x="574" y="${H - 21}" class="tick">Hekim</text>`,
    `<rect x="620" y="${H - 30}" width="10" height="10" fill="${BASE}"/>`,
    `<text x="634" y="${H - 21}" class="tick">baseline</text>`,
    `<line x1="70" x2="90" y1="${H - 25}" y2="${H - 25}" class="bar"/>`,
    `<text x="94" y="${H - 21}" class="tick">bar to reach</text>`,
    '</svg>',
  ];
  return parts.join('\n') + '\n';
}
