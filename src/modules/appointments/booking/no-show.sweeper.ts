import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { AppointmentsService } from './appointments.service';

// How often each instance looks for appointments nobody came to.
export const NO_SHOW_SWEEP_MS = 30_000;

// Every instance sweeps every NO_SHOW_SWEEP_MS; the sweep's row locks (SKIP LOCKED) keep two
// instances from marking the same appointment, so no coordination is needed.
@Injectable()
export class NoShowSweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('NoShowSweeper');
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(private readonly appointments: AppointmentsService) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), NO_SHOW_SWEEP_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  // Never throws: a failed sweep is logged and tried again at the next interval.
  async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const marked = await this.appointments.sweepNoShows();
      if (marked > 0) this.logger.log({ marked }, 'appointments marked no-show');
    } catch (err) {
      this.logger.error(
        { err: err instanceof Error ? err.message : String(err) },
        'no-show sweep failed',
      );
    } finally {
      this.running = false;
    }
  }
}
