import { busiestThread, cpuBetween, cpuSnapshot, threadTimes } from './cpu';

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

describe('bench thread times from /proc', () => {
  it('picks the busiest thread but the main one and splits the wall time', () => {
    const pid = 10;
    const before = new Map([
      [10, { run: 0, wait: 0 }],
      [11, { run: 1e9, wait: 0 }],
      [12, { run: 0, wait: 0 }],
    ]);
    const after = new Map([
      [10, { run: 5e9, wait: 0 }],
      // 1 s running and 0.5 s waiting for a core, over 2 s.
      [11, { run: 2e9, wait: 0.5e9 }],
      [12, { run: 0.2e9, wait: 0 }],
    ]);
    const shares = busiestThread(pid, before, after, 2000);
    expect(shares?.run).toBeCloseTo(0.5);
    expect(shares?.wait).toBeCloseTo(0.25);
    expect(shares?.idle).toBeCloseTo(0.25);
  });

  it('reads the threads of this process', () => {
    const times = threadTimes(process.pid);
    expect(times.get(process.pid)?.run).toBeGreaterThan(0);
    expect(busiestThread(process.pid, new Map(), new Map(), 1000)).toBeUndefined();
  });
});
