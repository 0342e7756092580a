import { MetricsService } from './metrics.service';

describe('MetricsService', () => {
  it('creates each metric once and exposes it in its own registry', async () => {
    const a = new MetricsService();
    const b = new MetricsService();
    const counter = a.counter('hekim_test_total', 'test counter', ['kind']);
    expect(a.counter('hekim_test_total', 'test counter', ['kind'])).toBe(counter);
    counter.inc({ kind: 'x' });
    a.gauge('hekim_test_gauge', 'test gauge').set(3);
    a.histogram('hekim_test_seconds', 'test histogram', [], [0.1, 1]).observe(0.5);
    const text = await a.registry.metrics();
    expect(text).toContain('hekim_test_total{kind="x"} 1');
    expect(text).toContain('hekim_test_gauge 3');
    expect(text).toContain('hekim_test_seconds_bucket{le="1"} 1');
    expect(await b.registry.metrics()).not.toContain('hekim_test_total');
  });
});
