import { Injectable } from '@nestjs/common';

// Set when SIGTERM arrives: readiness turns false first so load balancers stop sending new
// work while in-flight requests and sockets drain.
@Injectable()
export class LifecycleState {
  private drainingSince: Date | undefined;

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }

  beginDrain(): void {
    this.drainingSince ??= new Date();
  }
}
