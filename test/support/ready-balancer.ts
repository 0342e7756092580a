import { connect } from 'node:net';
import { PipingListener } from './piping-listener';

// A TCP load balancer in front of several Hekim instances, as production has one: it probes
// each instance's readiness (GET /health/ready) every 100 ms and sends every new connection
// to the first instance whose last probe answered 200. Open connections are left alone, so a
// draining instance keeps its sockets until it closes them itself (docs/operations.md,
// "Draining a node").
export class ReadyBalancer {
  // Which backend each accepted connection went to, in order.
  readonly routed: string[] = [];
  private readonly listener = new PipingListener(() => {
    const backend = this.backends.find((b) => this.ready.get(b));
    if (!backend) return undefined;
    this.routed.push(backend);
    const { hostname, port } = new URL(backend);
    return connect(Number(port), hostname);
  });
  private readonly ready = new Map<string, boolean>();
  private probing: NodeJS.Timeout | undefined;
  port = 0;

  // Backends as `http://127.0.0.1:<port>`, in order of preference.
  constructor(private readonly backends: string[]) {
    for (const b of backends) this.ready.set(b, true);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.probing = setInterval(() => {
      for (const b of this.backends) {
        void fetch(`${b}/health/ready`, { signal: AbortSignal.timeout(1000) }).then(
          (res) => {
            this.ready.set(b, res.status === 200);
            return res.body?.cancel();
          },
          () => this.ready.set(b, false),
        );
      }
    }, 100);
    this.port = await this.listener.listen(0);
  }

  async stop(): Promise<void> {
    clearInterval(this.probing);
    await this.listener.close();
  }
}
