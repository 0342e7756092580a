import {
  type BeforeApplicationShutdown,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { PeriodicTask } from '../../../common/scheduling/periodic-task';
import { AppointmentsService } from './appointments.service';

// How often each instance looks for appointments nobody came to.
export const NO_SHOW_SWEEP_MS = 30_000;

// Every instance sweeps every NO_SHOW_SWEEP_MS; the sweep's row locks (SKIP LOCKED) keep two
// instances from marking the same appointment, so no coordination is needed.
@Injectable()
export class NoShowSweeper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('NoShowSweeper');
  private readonly sweep = new PeriodicTask(
    'no-show sweep failed',
    NO_SHOW_SWEEP_MS,
    async () => {
      const marked = await this.appointments.sweepNoShows();
      if (marked > 0) this.logger.log({ marked }, 'appointments marked no-show');
    },
    this.logger,
  );

  constructor(private readonly appointments: AppointmentsService) {}

  onApplicationBootstrap(): void {
    this.sweep.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.sweep.stop();
  }
}
