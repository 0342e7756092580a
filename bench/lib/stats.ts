// Pure statistics for the benchmark harness (unit-tested in stats.spec.ts).

// Linear-interpolated percentile (p in 0..100) of unsorted values; NaN when empty.
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (Math.min(100, Math.max(0, p)) / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

export interface Spread {
  median: number;
  min: number;
  max: number;
  q1: number;
  q3: number;
  values: number[];
}

export function spread(values: readonly number[]): Spread {
  return {
    median: median(values),
    min: values.length ? extreme(values, Math.min) : Number.NaN,
    max: values.length ? extreme(values, Math.max) : Number.NaN,
    q1: percentile(values, 25),
    q3: percentile(values, 75),
    values: [...values],
  };
}

// Per-round ratios a[i] / b[i] of paired rounds (A and B of the same round ran back to back).
export function pairedRatios(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.min(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(b[i] === 0 ? Number.NaN : a[i] / b[i]);
  return out;
}

// Per-round differences a[i] - b[i].
export function pairedDifferences(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.min(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(a[i] - b[i]);
  return out;
}

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export function latencySummary(samples: readonly number[]): LatencySummary {
  return {
    count: samples.length,
    p50: percentile(samples, 50),
    p90: percentile(samples, 90),
    p99: percentile(samples, 99),
    max: samples.length ? extreme(samples, Math.max) : Number.NaN,
  };
}

// Quantile of a Prometheus histogram given cumulative bucket counts ({le, count}, le ascending,
// +Inf last), interpolated linearly inside the bucket as Prometheus' histogram_quantile does.
export function histogramQuantile(
  q: number,
  buckets: readonly { le: number; count: number }[],
): number {
  if (buckets.length === 0) return Number.NaN;
  const total = buckets[buckets.length - 1].count;
  if (total === 0) return Number.NaN;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of buckets) {
    if (b.count >= rank) {
      if (!Number.isFinite(b.le)) return prevLe;
      const inBucket = b.count - prevCount;
      return inBucket === 0 ? b.le : prevLe + ((b.le - prevLe) * (rank - prevCount)) / inBucket;
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return prevLe;
}

// Least-squares line y = intercept + slope·x through the points, with r² (the share of y's
// variance the line explains); NaN where fewer than two distinct x.
export function linearFit(
  xs: readonly number[],
  ys: readonly number[],
): { slope: number; intercept: number; r2: number } {
  const n = Math.min(xs.length, ys.length);
  const mx = xs.slice(0, n).reduce((s, x) => s + x, 0) / n;
  const my = ys.slice(0, n).reduce((s, y) => s + y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i] - mx) ** 2;
    sxy += (xs[i] - mx) * (ys[i] - my);
    syy += (ys[i] - my) ** 2;
  }
  if (n < 2 || sxx === 0) return { slope: Number.NaN, intercept: Number.NaN, r2: Number.NaN };
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx, r2: syy === 0 ? 1 : (sxy * sxy) / (sxx * syy) };
}

// A ramp's steps: `start`, then ×`growth` each, rounded to fives below 50 and to tens above,
// always growing; `count` of them.
export function geometricSteps(start: number, growth: number, count = 40): number[] {
  const out = [start];
  while (out.length < count) {
    const x = out[out.length - 1] * growth;
    const unit = x < 50 ? 5 : 10;
    out.push(Math.max(out[out.length - 1] + 1, Math.round(x / unit) * unit));
  }
  return out;
}

// Compact human formatting for tables.
export function fmt(value: number, digits = 2): string {
  if (!Number.isFinite(value)) return 'n/a';
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(Math.min(1, digits));
  return value.toFixed(digits);
}

export function fmtSpread(s: Spread, digits = 2, suffix = ''): string {
  return `${fmt(s.median, digits)}${suffix} [${fmt(s.min, digits)}–${fmt(s.max, digits)}]`;
}

// Math.max(...values) overflows the call stack with a few hundred thousand samples (a fast
// relay's latencies in one round); this does not.
function extreme(values: readonly number[], pick: (a: number, b: number) => number): number {
  let out = values[0];
  for (let i = 1; i < values.length; i++) out = pick(out, values[i]);
  return out;
}
