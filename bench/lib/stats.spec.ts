import {
  fmt,
  fmtSpread,
  geometricSteps,
  histogramQuantile,
  latencySummary,
  linearFit,
  median,
  pairedDifferences,
  pairedRatios,
  percentile,
  spread,
} from './stats';

describe('bench statistics', () => {
  it('grows a ramp by a factor, in round numbers, never standing still', () => {
    expect(geometricSteps(20, 1.5, 9)).toEqual([20, 30, 45, 70, 110, 170, 260, 390, 590]);
    expect(geometricSteps(1, 1.1, 4)).toEqual([1, 2, 3, 5]);
  });

  it('fits a least-squares line: slope, intercept and how well it explains the points', () => {
    const exact = linearFit([0, 10, 20, 40], [5, 25, 45, 85]);
    expect(exact.slope).toBeCloseTo(2);
    expect(exact.intercept).toBeCloseTo(5);
    expect(exact.r2).toBeCloseTo(1);
    // One noisy reading moves the slope a little, not to the two-point figure's 3.
    const noisy = linearFit([0, 10, 20, 40], [5, 25, 65, 85]);
    expect(noisy.slope).toBeGreaterThan(1.8);
    expect(noisy.slope).toBeLessThan(2.2);
    expect(noisy.r2).toBeLessThan(1);
    expect(linearFit([3, 3], [1, 2]).slope).toBeNaN();
    expect(linearFit([1], [1]).slope).toBeNaN();
  });

  it('interpolates percentiles between ranks, whatever the input order', () => {
    expect(percentile([4, 1, 3, 2], 50)).toBe(2.5);
    expect(percentile([10, 20, 30, 40, 50], 90)).toBe(46);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
    expect(median([3, 1, 2])).toBe(2);
  });

  it('pairs rounds: round i of A against round i of B, never across rounds', () => {
    expect(pairedRatios([100, 90, 80], [200, 100, 80])).toEqual([0.5, 0.9, 1]);
    expect(pairedRatios([1, 2, 3], [1, 2])).toEqual([1, 1]);
    expect(pairedRatios([1], [0])[0]).toBeNaN();
    expect(pairedDifferences([5, 7], [4, 4])).toEqual([1, 3]);
  });

  it('summarises a spread with median, min–max and quartiles', () => {
    const s = spread([0.8, 0.9, 1.0, 1.1, 1.2]);
    expect(s).toMatchObject({ median: 1, min: 0.8, max: 1.2, q1: 0.9, q3: 1.1 });
    expect(fmtSpread(s, 2, '×')).toBe('1.00× [0.80–1.20]');
  });

  it('summarises latency samples', () => {
    const samples = Array.from({ length: 100 }, (_, i) => i + 1);
    const l = latencySummary(samples);
    expect(l.count).toBe(100);
    expect(l.p50).toBeCloseTo(50.5);
    expect(l.p99).toBeCloseTo(99.01);
    expect(l.max).toBe(100);
  });

  it('summarises a round of a million samples (more than the call stack takes as arguments)', () => {
    const samples = Array.from({ length: 1_000_000 }, (_, i) => (i * 7919) % 1_000_000);
    expect(latencySummary(samples).max).toBe(999_999);
    expect(spread(samples)).toMatchObject({ min: 0, max: 999_999 });
  });

  it('reads a quantile from cumulative histogram buckets like histogram_quantile', () => {
    const buckets = [
      { le: 0.1, count: 50 },
      { le: 0.2, count: 90 },
      { le: 0.5, count: 100 },
      { le: Number.POSITIVE_INFINITY, count: 100 },
    ];
    expect(histogramQuantile(0.5, buckets)).toBeCloseTo(0.1);
    expect(histogramQuantile(0.7, buckets)).toBeCloseTo(0.15);
    expect(histogramQuantile(0.95, buckets)).toBeCloseTo(0.35);
    expect(histogramQuantile(0.5, [])).toBeNaN();
    expect(histogramQuantile(0.5, [{ le: Number.POSITIVE_INFINITY, count: 0 }])).toBeNaN();
    expect(
      histogramQuantile(0.99, [
        { le: 1, count: 1 },
        { le: Number.POSITIVE_INFINITY, count: 10 },
      ]),
    ).toBe(1);
  });

  it('formats numbers compactly', () => {
    expect(fmt(12345.6)).toBe('12,346');
    expect(fmt(123.4)).toBe('123');
    expect(fmt(12.34)).toBe('12.3');
    expect(fmt(1.234)).toBe('1.23');
    expect(fmt(Number.NaN)).toBe('n/a');
  });
});
