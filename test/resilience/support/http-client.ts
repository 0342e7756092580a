import { Agent, request } from 'node:http';

export interface RawResponse {
  status: number;
  contentType: string | undefined;
  body: string;
}

export interface RawRequest {
  method: string;
  path: string;
  token?: string;
  // Sent as is: the caller decides whether it is valid JSON.
  body?: string;
  contentType?: string;
}

// A keep-alive HTTP client over a few parallel connections: a fuzz run sends tens of
// thousands of requests, far too many for a connection (or a supertest agent) per request.
export class KeepAliveClient {
  private readonly agent: Agent;

  constructor(
    private readonly base: URL,
    connections = 6,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: connections });
  }

  send(req: RawRequest): Promise<RawResponse> {
    const headers: Record<string, string | number> = {};
    if (req.token) headers.authorization = `Bearer ${req.token}`;
    const payload = req.body === undefined ? undefined : Buffer.from(req.body);
    if (payload) {
      headers['content-type'] = req.contentType ?? 'application/json';
      headers['content-length'] = payload.length;
    }
    return new Promise((resolve, reject) => {
      const r = request(
        {
          agent: this.agent,
          host: this.base.hostname,
          port: this.base.port,
          method: req.method,
          path: req.path,
          headers,
          timeout: 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              contentType: res.headers['content-type'],
              body: Buffer.concat(chunks).toString(),
            }),
          );
          res.on('error', reject);
        },
      );
      r.on('timeout', () => r.destroy(new Error(`${req.method} ${req.path} timed out`)));
      r.on('error', reject);
      r.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
