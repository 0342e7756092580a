import { createServer, type Server, type Socket } from 'node:net';

// A loopback TCP listener that joins each connection it accepts to an upstream socket, both
// ways; when either side closes or fails, both are destroyed. Shared by the test's TCP proxy
// (test/support/tcp-proxy.ts) and load balancer (test/support/ready-balancer.ts).
export class PipingListener {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  // The upstream for a new connection, or undefined to refuse it (it is destroyed).
  constructor(private readonly upstreamFor: () => Socket | undefined) {}

  // Listens on 127.0.0.1 (port 0: any free port); resolves with the port.
  async listen(port: number): Promise<number> {
    this.server = createServer((client) => {
      const upstream = this.upstreamFor();
      if (!upstream) {
        client.destroy();
        return;
      }
      this.sockets.add(client).add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(port, '127.0.0.1', () => resolve());
    });
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : port;
  }

  // Refuses new connections and cuts the open ones.
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
    this.server = undefined;
  }
}
