import {
  type BeforeApplicationShutdown,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { PeriodicTask } from '../../common/scheduling/periodic-task';
import { CallsService } from './calls.service';

// How often ring deadlines are looked at: a ring ends within this much of its deadline.
const SWEEP_EVERY_MS = 500;
// How often `hekim_calls_active` is counted again (all instances, from PostgreSQL).
const GAUGE_EVERY_MS = 5_000;

// Rings that ran out become missed calls, on whichever instance gets there first (SKIP
// LOCKED hands each to one); the change is published after its commit (CallEvents).
@Injectable()
export class RingExpirySweeper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Calls');
  private readonly sweep = new PeriodicTask(
    'ring-expiry sweep failed',
    SWEEP_EVERY_MS,
    async () => {
      await this.calls.expireRinging();
    },
    this.logger,
  );
  private readonly gauge = new PeriodicTask(
    'could not count active calls',
    GAUGE_EVERY_MS,
    () => this.calls.refreshActiveGauge(),
    this.logger,
  );

  constructor(private readonly calls: CallsService) {}

  onApplicationBootstrap(): void {
    this.sweep.start();
    void this.gauge.runOnce();
    this.gauge.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all([this.sweep.stop(), this.gauge.stop()]);
  }
}
