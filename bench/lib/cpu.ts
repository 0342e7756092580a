// CPU time from /proc (Linux): how busy the machine's cores and given processes were over a
// stretch of a scenario. Ticks are USER_HZ (100 per second on Linux).
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

const TICKS_PER_SECOND = 100;

export interface CpuSnapshot {
  at: number;
  // Machine-wide busy and total ticks, over all cores.
  busy: number;
  total: number;
  // Each watched process's user + system ticks.
  processes: Map<number, number>;
}

export interface CpuUsage {
  // Share of all cores busy (0–1), over the stretch.
  machine: number;
  // Cores' worth each process used (1 = one whole core), by pid.
  processes: Map<number, number>;
}

function machineTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((sum, v) => sum + v, 0);
  // idle and iowait are the 4th and 5th fields.
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

// A process's user + system ticks; 0 when it is gone.
function processTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command may hold spaces: the fields after it start past the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

export function cpuSnapshot(pids: readonly number[]): CpuSnapshot {
  const { busy, total } = machineTicks();
  return { at: Date.now(), busy, total, processes: new Map(pids.map((p) => [p, processTicks(p)])) };
}

export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): CpuUsage {
  const seconds = Math.max(0.001, (after.at - before.at) / 1000);
  const processes = new Map<number, number>();
  for (const [pid, ticks] of before.processes) {
    processes.set(pid, ((after.processes.get(pid) ?? ticks) - ticks) / TICKS_PER_SECOND / seconds);
  }
  const total = after.total - before.total;
  return { machine: total > 0 ? (after.busy - before.busy) / total : 0, processes };
}

export const CORES = cpus().length;

// Per thread, from /proc/<pid>/task/<tid>/schedstat: nanoseconds spent running and waiting on
// a run queue for a core (the rest of the time the thread slept: it had nothing to do).
export interface ThreadTimes {
  run: number;
  wait: number;
}

export function threadTimes(pid: number): Map<number, ThreadTimes> {
  const out = new Map<number, ThreadTimes>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const [run, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8')
        .trim()
        .split(' ')
        .map(Number);
      out.set(Number(tid), { run, wait });
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

// Shares of the wall time (0–1) a thread spent running, waiting for a core and idle.
export interface ThreadShares {
  run: number;
  wait: number;
  idle: number;
}

// The thread other than the main one (tid = pid) that ran most between two readings: a
// hashing thread, while logins or verifications keep it busy.
export function busiestThread(
  pid: number,
  before: Map<number, ThreadTimes>,
  after: Map<number, ThreadTimes>,
  wallMs: number,
): ThreadShares | undefined {
  let best: ThreadTimes | undefined;
  for (const [tid, t] of after) {
    if (tid === pid) continue;
    const b = before.get(tid) ?? { run: 0, wait: 0 };
    const d = { run: t.run - b.run, wait: t.wait - b.wait };
    if (!best || d.run > best.run) best = d;
  }
  if (!best || wallMs <= 0) return undefined;
  const wall = wallMs * 1e6;
  const run = best.run / wall;
  const wait = best.wait / wall;
  return { run, wait, idle: Math.max(0, 1 - run - wait) };
}
