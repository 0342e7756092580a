import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { guardedLookup, type TargetPolicy } from './webhook-target';

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
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
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
        // A connection of its own: every delivery resolves and checks its target afresh, and
        // no socket to an integrator lingers in a pool.
        agent: false,
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
