// A small JSON-over-HTTP client for the harness (node:http with keep-alive; an optional local
// loopback address so that many "clients" can be told apart by per-IP limits).
import { Agent, request } from 'node:http';

const agents = new Map<string, Agent>();

function agentFor(localAddress: string | undefined): Agent {
  const key = localAddress ?? '';
  let agent = agents.get(key);
  if (!agent) {
    agent = new Agent({ keepAlive: true, maxSockets: 64, localAddress });
    agents.set(key, agent);
  }
  return agent;
}

export function closeAgents(): void {
  for (const agent of agents.values()) agent.destroy();
  agents.clear();
}

export interface HttpResponse<T = unknown> {
  status: number;
  body: T;
  bytes: number;
}

export interface HttpOptions {
  token?: string;
  body?: unknown;
  localAddress?: string;
  timeoutMs?: number;
}

export async function http<T = unknown>(
  method: string,
  url: string,
  options: HttpOptions = {},
): Promise<HttpResponse<T>> {
  try {
    return await once<T>(method, url, options);
  } catch (err) {
    // A kept-alive connection the server closed just as it was reused (Node's documented
    // race): the request never reached the server, so it is sent again once.
    if ((err as { reused?: boolean }).reused) return once<T>(method, url, options);
    throw err;
  }
}

function once<T>(method: string, url: string, options: HttpOptions): Promise<HttpResponse<T>> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        agent: agentFor(options.localAddress),
        headers: {
          accept: 'application/json',
          ...(payload !== undefined
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
            : {}),
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        },
        timeout: options.timeoutMs ?? 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode ?? 0, body: body as T, bytes: text.length });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on('error', (err: NodeJS.ErrnoException) => {
      const reused =
        req.reusedSocket && (err.code === 'ECONNRESET' || err.message === 'socket hang up');
      reject(Object.assign(err, { reused }));
    });
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

export async function expectOk<T>(
  what: string,
  res: Promise<HttpResponse<T>>,
  statuses: number[] = [200, 201, 204],
): Promise<T> {
  const r = await res;
  if (!statuses.includes(r.status))
    throw new Error(`${what}: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  return r.body;
}
