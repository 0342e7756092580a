import type { Logger } from '@nestjs/common';

// A piece of periodic work (a sweeper's pass, a gauge's refresh) that never overlaps itself:
// a pass still running when the next is due is not started twice. Failures are logged and the
// next pass tries again; `stop` waits for a pass in flight so that nothing touches the
// database while it closes.
export class PeriodicTask {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;

  constructor(
    private readonly name: string,
    private readonly everyMs: number,
    private readonly work: () => Promise<void>,
    private readonly logger: Pick<Logger, 'warn'>,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.runOnce(), this.everyMs);
    this.timer.unref();
  }

  // One pass now, unless one is already running (then that one is awaited instead).
  runOnce(): Promise<void> {
    this.running ??= this.work()
      .catch((err: unknown) => {
        this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, this.name);
      })
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
