import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface VerifiedEvent {
  webhookId: string;
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}

// An integrator's endpoint on 127.0.0.1: it records every request and answers with the
// status `answer` picks for it.
export class WebhookReceiver {
  readonly requests: Received[] = [];
  answer: (r: Received) => number = () => 204;
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const r = { path: req.url ?? '', headers: req.headers, body };
        this.requests.push(r);
        const status = this.answer(r);
        if (status >= 300 && status < 400) res.setHeader('location', `${this.url}/elsewhere`);
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  at(path: string): Received[] {
    return this.requests.filter((r) => r.path === path);
  }

  // What an integrator's receiver does (docs/notifications.md): verify the signature with the
  // endpoint's secret, then parse. Throws on a request that does not verify.
  verified(path: string, secret: string): VerifiedEvent[] {
    const hook = new Webhook(secret);
    return this.at(path).map((r) => {
      const event = hook.verify(r.body, {
        'webhook-id': r.headers['webhook-id'] as string,
        'webhook-timestamp': r.headers['webhook-timestamp'] as string,
        'webhook-signature': r.headers['webhook-signature'] as string,
      }) as Omit<VerifiedEvent, 'webhookId'>;
      return { webhookId: r.headers['webhook-id'] as string, ...event };
    });
  }

  stop(): Promise<void> {
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
