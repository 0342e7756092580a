import { connect } from 'node:net';
import { PipingListener } from './piping-listener';

// A loopback TCP proxy the test can cut and restore, to make PostgreSQL or Redis
// "unreachable" for one app without touching the shared servers.
export class TcpProxy {
  private readonly listener = new PipingListener(() => connect(this.targetPort, this.targetHost));
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(port = this.port): Promise<number> {
    this.port = await this.listener.listen(port);
    return this.port;
  }

  // Refuses new connections and cuts the open ones.
  stop(): Promise<void> {
    return this.listener.close();
  }
}
