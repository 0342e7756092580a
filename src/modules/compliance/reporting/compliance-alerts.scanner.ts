import {
  type BeforeApplicationShutdown,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { PeriodicTask } from '../../../common/scheduling/periodic-task';
import { AppConfig } from '../../../config/app-config';
import { ComplianceAlertsService } from './compliance-alerts.service';

// Every instance tries a pass every ALERT_SCAN_INTERVAL_SECONDS; the scan row's lock lets one
// read the new records at a time, so the alarms cost one reader however many instances run.
@Injectable()
export class ComplianceAlertsScanner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('ComplianceAlertsScanner');
  private readonly task: PeriodicTask;

  constructor(
    private readonly alerts: ComplianceAlertsService,
    config: AppConfig,
  ) {
    this.task = new PeriodicTask(
      'compliance alert scan failed',
      config.alerts.scanIntervalSeconds * 1000,
      async () => {
        const raised = await this.alerts.scanOnce();
        if (raised.length > 0) {
          this.logger.warn(
            { alerts: raised.map((a) => ({ id: a.id, kind: a.kind })) },
            'compliance alerts raised',
          );
        }
      },
      this.logger,
    );
  }

  onApplicationBootstrap(): void {
    this.task.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.task.stop();
  }
}
