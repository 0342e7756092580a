import type { SignedIn } from './auth';
import { api, sleep } from './hekim-cluster';

export interface LoadFigures {
  sent: number;
  ok: number;
  failed: { status: number; detail: string }[];
  // GETs whose connection broke before any answer, sent again to another instance.
  retried: number;
  writes: number;
  writesOk: number;
}

// Drives a steady REST load through several instances the way a load balancer would: it
// routes only to instances whose last readiness probe (every 200 ms) answered 200, and sends
// an idempotent GET again to another instance when the connection broke before any answer.
// Writes are never retried, so every committed write is counted exactly once.
export class LoadBalancedLoad {
  readonly figures: LoadFigures = {
    sent: 0,
    ok: 0,
    failed: [],
    retried: 0,
    writes: 0,
    writesOk: 0,
  };
  private readonly ready = new Map<string, boolean>();
  private running = false;
  private loops: Promise<void>[] = [];
  private next = 0;

  constructor(
    private readonly bases: string[],
    private readonly work: { host: SignedIn; roomId: string; sessionId: string }[],
  ) {
    for (const b of bases) this.ready.set(b, true);
  }

  start(workers = 4, pauseMs = 400): void {
    this.running = true;
    this.loops = [
      ...this.bases.map((b) => this.probe(b)),
      ...Array.from({ length: workers }, (_, i) => this.worker(i, pauseMs)),
    ];
  }

  async stop(): Promise<LoadFigures> {
    this.running = false;
    await Promise.all(this.loops);
    return this.figures;
  }

  private pick(exclude?: string): string | undefined {
    const candidates = this.bases.filter((b) => b !== exclude && this.ready.get(b));
    if (candidates.length === 0) return undefined;
    return candidates[this.next++ % candidates.length];
  }

  private async probe(base: string): Promise<void> {
    while (this.running) {
      const status = await api(base, 'GET', '/health/ready', { timeoutMs: 1000 }).then(
        (r) => r.status,
        () => 0,
      );
      this.ready.set(base, status === 200);
      await sleep(200);
    }
  }

  private async worker(index: number, pauseMs: number): Promise<void> {
    let n = 0;
    while (this.running) {
      const item = this.work[(index + n * 7) % this.work.length];
      const write = n % 2 === 0;
      n++;
      const base = this.pick();
      if (!base) {
        await sleep(50);
        continue;
      }
      this.figures.sent++;
      if (write) this.figures.writes++;
      const path = write ? `/api/v1/rooms/${item.roomId}` : `/api/v1/sessions/${item.sessionId}`;
      const send = (to: string) =>
        api(to, write ? 'PATCH' : 'GET', path, {
          token: item.host.accessToken,
          body: write ? { name: `load ${index}-${n}` } : undefined,
        });
      try {
        let res;
        try {
          res = await send(base);
        } catch (error) {
          const other = this.pick(base);
          if (write || !other) throw error;
          this.figures.retried++;
          res = await send(other);
        }
        if (res.status >= 200 && res.status < 300) {
          this.figures.ok++;
          if (write) this.figures.writesOk++;
        } else this.figures.failed.push({ status: res.status, detail: JSON.stringify(res.body) });
      } catch (error) {
        this.figures.failed.push({ status: 0, detail: (error as Error).message });
      }
      await sleep(pauseMs);
    }
  }
}
