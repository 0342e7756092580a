import {
  type BeforeApplicationShutdown,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { PeriodicTask } from '../../common/scheduling/periodic-task';
import { InstanceLiveness } from './instance-liveness.service';

// Every 5 s: prove this instance alive, then release the stays of instances that died
// (InstanceLiveness). The first pass runs at start-up, so no other instance mistakes this
// one for dead once its sockets arrive.
@Injectable()
export class InstanceReleaseSweeper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Signaling');
  private readonly task = new PeriodicTask(
    'signaling heartbeat failed',
    InstanceLiveness.HEARTBEAT_EVERY_MS,
    // Without Redis the heartbeat fails and nothing is released: a dead instance cannot be
    // told from an unreachable store.
    async () => {
      await this.liveness.heartbeat();
      await this.liveness.releaseDeadInstances();
    },
    this.logger,
  );

  constructor(private readonly liveness: InstanceLiveness) {}

  onApplicationBootstrap(): void {
    void this.task.runOnce();
    this.task.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.task.stop();
  }
}
