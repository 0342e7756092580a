import { connect, constants, type ClientHttp2Session } from 'node:http2';

export interface Http2Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

// Answers larger than this are cut: providers answer a few hundred bytes.
const MAX_BODY = 64 * 1024;

// A small HTTP/2 client for the push providers (APNs requires HTTP/2; FCM and its token
// endpoint take it): one session per origin, reused across requests and opened again when it
// closes or fails. `ca` replaces the public authorities (PUSH_CA_FILE).
export class Http2Client {
  private readonly sessions = new Map<string, ClientHttp2Session>();

  constructor(
    private readonly timeoutMs: number,
    private readonly ca?: string,
  ) {}

  request(
    url: URL,
    init: { method: string; headers: Record<string, string>; body: string },
  ): Promise<Http2Response> {
    const session = this.session(url.origin);
    return new Promise<Http2Response>((resolve, reject) => {
      const req = session.request({
        [constants.HTTP2_HEADER_METHOD]: init.method,
        [constants.HTTP2_HEADER_PATH]: `${url.pathname}${url.search}`,
        ...init.headers,
      });
      req.setTimeout(this.timeoutMs, () => {
        req.close(constants.NGHTTP2_CANCEL);
        reject(Object.assign(new Error('push provider timed out'), { code: 'TIMEOUT' }));
      });
      let status = 0;
      let headers: Http2Response['headers'] = {};
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('response', (h) => {
        status = Number(h[constants.HTTP2_HEADER_STATUS]);
        headers = h;
      });
      req.on('data', (chunk: Buffer) => {
        if (size < MAX_BODY) chunks.push(chunk);
        size += chunk.length;
      });
      req.on('end', () =>
        resolve({
          status,
          headers,
          body: Buffer.concat(chunks).toString('utf8').slice(0, MAX_BODY),
        }),
      );
      req.on('error', (err: Error) => reject(err));
      req.end(init.body);
    });
  }

  close(): void {
    for (const session of this.sessions.values()) session.close();
    this.sessions.clear();
  }

  private session(origin: string): ClientHttp2Session {
    const open = this.sessions.get(origin);
    if (open && !open.closed && !open.destroyed) return open;
    const session = connect(origin, this.ca ? { ca: this.ca } : {});
    const forget = (): void => {
      if (this.sessions.get(origin) === session) this.sessions.delete(origin);
    };
    session.on('close', forget);
    session.on('goaway', forget);
    // An error fails the requests in flight (they are retried by the outbox); the next
    // request opens a new session.
    session.on('error', forget);
    // An idle session must not keep the process alive.
    session.unref();
    this.sessions.set(origin, session);
    return session;
  }
}
