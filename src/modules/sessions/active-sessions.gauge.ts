import {
  type BeforeApplicationShutdown,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Gauge } from 'prom-client';
import { PeriodicTask } from '../../common/scheduling/periodic-task';
import { MetricsService } from '../../infra/metrics/metrics.service';
import { SessionsRepository } from './sessions.repository';

// `hekim_sessions_active`: sessions going on across all instances, read from PostgreSQL
// every 5 s.
@Injectable()
export class ActiveSessionsGauge implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Sessions');
  private readonly gauge: Gauge;
  private readonly task = new PeriodicTask(
    'could not count active sessions',
    5_000,
    async () => this.gauge.set(await this.sessions.countActive()),
    this.logger,
  );

  constructor(
    metrics: MetricsService,
    private readonly sessions: SessionsRepository,
  ) {
    this.gauge = metrics.gauge(
      'hekim_sessions_active',
      'Consultation sessions currently active (all instances)',
    );
  }

  onApplicationBootstrap(): void {
    void this.task.runOnce();
    this.task.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.task.stop();
  }
}
