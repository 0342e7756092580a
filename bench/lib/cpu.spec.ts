import { cpuBetween, cpuSnapshot } from './cpu';

describe('bench CPU readings from /proc', () => {
  it('turns two snapshots into the share of the cores and the cores each process used', () => {
    const before = { at: 0, busy: 100, total: 400, processes: new Map([[7, 50]]) };
    const after = { at: 2_000, busy: 400, total: 800, processes: new Map([[7, 150]]) };
    const usage = cpuBetween(before, after);
    expect(usage.machine).toBeCloseTo(0.75);
    // 100 ticks (1 s of CPU) over 2 s: half a core.
    expect(usage.processes.get(7)).toBeCloseTo(0.5);
  });

  it('sees this process work, and a process that is gone as idle', () => {
    const gone = 2 ** 22 + 1;
    const before = cpuSnapshot([process.pid, gone]);
    const until = Date.now() + 200;
    let spin = 0;
    while (Date.now() < until) spin += Math.sqrt(spin + 1);
    const usage = cpuBetween(before, cpuSnapshot([process.pid, gone]));
    expect(spin).toBeGreaterThan(0);
    expect(usage.processes.get(process.pid)).toBeGreaterThan(0);
    expect(usage.processes.get(gone)).toBe(0);
    expect(usage.machine).toBeGreaterThan(0);
  });
});
