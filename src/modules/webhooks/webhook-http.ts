import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { guardedLookup, type TargetPolicy } from './webhook-target';

// How long a connection to an endpoint is kept for the next delivery once idle. Shorter than
// the usual server keep-alive (5 s), so that the endpoint rarely closes one as it is reused.
const IDLE_CONNECTION_MS = 4000;

// Connections are kept and reused (keep-alive): a burst of deliveries to one endpoint does not
// open a connection each. Every new connection still resolves its target through the guarded
// lookup, and a kept one stays connected to the address that passed the check. Idle
// connections do not hold the process open.
const agents = {
  http: new HttpAgent({ keepAlive: true, timeout: IDLE_CONNECTION_MS }),
  https: new HttpsAgent({ keepAlive: true, timeout: IDLE_CONNECTION_MS }),
};

// One POST of a webhook: the endpoint's status code, or an error whose `code` names the
// failure (`TIMEOUT`, `FORBIDDEN_TARGET`, `ECONNREFUSED`, …). Redirects are answers like any
// other (never followed); the answer's body is read and dropped (at most 64 KiB are read).
export function postWebhook(
  url: string,
  headers: Record<string, string>,
  body: string,
  options: { timeoutMs: number; policy: TargetPolicy },
): Promise<number> {
  const target = new URL(url);
  const https = target.protocol === 'https:';
  const send = https ? httpsRequest : httpRequest;
  return new Promise<number>((resolve, reject) => {
    const req = send(
      target,
      {
        method: 'POST',
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          'user-agent': 'Hekim-Webhooks/1',
        },
        lookup: guardedLookup(options.policy),
        timeout: options.timeoutMs,
        agent: https ? agents.https : agents.http,
      },
      (res) => {
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > 65_536) res.destroy();
        });
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('close', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', reject);
    req.end(body);
  });
}
