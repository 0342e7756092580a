import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { AppConfig } from '../../../config/app-config';
import { RunRetention } from './run-retention.usecase';

// Every instance tries the retention job every RETENTION_JOB_INTERVAL_MINUTES; the advisory
// lock in RunRetention lets only one of them run it at a time, and a run that finds nothing
// past its retention still leaves its record.
@Injectable()
export class RetentionScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Retention');
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly config: AppConfig,
    private readonly retention: RunRetention,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(
      () => void this.tick(),
      this.config.retention.jobIntervalMinutes * 60_000,
    );
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  // Never throws: a failed run is logged and tried again at the next interval.
  async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const result = await this.retention.execute('schedule');
      if (result) this.logger.log({ ...result }, 'retention run recorded');
    } catch (err) {
      this.logger.error(
        { err: err instanceof Error ? err.message : String(err) },
        'retention run failed',
      );
    } finally {
      this.running = false;
    }
  }
}
