import WebSocket from 'ws';

// A Socket.IO client spoken by hand over a bare WebSocket (Engine.IO v4 framing), so that a
// test can send packets no well-behaved client library would produce.
//   engine packets: 0 open, 2 ping, 3 pong, 4 message
//   socket.io packets (inside 4): 0 CONNECT, 2 EVENT, 3 ACK, 5 BINARY_EVENT, e.g.
//   `42/signaling,7["room:join",{"roomId":"…"}]` is event `room:join` with ack id 7.
export class RawSocket {
  readonly messages: string[] = [];
  readonly closed: Promise<{ code: number }>;
  private isClosed = false;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const text = isBinary ? `<binary ${data.length}>` : data.toString();
      // Answer heartbeats so that only our own packets can get us dropped.
      if (text === '2') ws.send('3');
      else this.messages.push(text);
    });
    this.closed = new Promise((resolve) =>
      ws.once('close', (code) => {
        this.isClosed = true;
        resolve({ code });
      }),
    );
  }

  get isOpen(): boolean {
    return !this.isClosed && this.ws.readyState === WebSocket.OPEN;
  }

  // Opens the WebSocket transport and joins `/signaling` with the token.
  static async connect(base: string, token: string): Promise<RawSocket> {
    const url = new URL(base);
    const ws = new WebSocket(`ws://127.0.0.1:${url.port}/socket.io/?EIO=4&transport=websocket`, {
      maxPayload: 4 * 1024 * 1024,
    });
    const raw = new RawSocket(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    await raw.waitFor((m) => m.startsWith('0{'));
    ws.send(`40/signaling,${JSON.stringify({ token })}`);
    const answer = await raw.waitFor((m) => m.startsWith('40/signaling,') || m.startsWith('44'));
    if (!answer.startsWith('40/signaling,')) throw new Error(`refused: ${answer}`);
    return raw;
  }

  send(data: string | Buffer): void {
    this.ws.send(data);
  }

  event(ackId: number, name: string, payload: unknown): void {
    this.ws.send(`42/signaling,${ackId}${JSON.stringify([name, payload])}`);
  }

  async ack(ackId: number, timeoutMs = 10_000): Promise<unknown> {
    const prefix = `43/signaling,${ackId}[`;
    const found = await this.waitFor((m) => m.startsWith(prefix), timeoutMs);
    return (JSON.parse(found.slice(prefix.length - 1)) as unknown[])[0];
  }

  async waitFor(match: (m: string) => boolean, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const found = this.messages.find(match);
      if (found !== undefined) return found;
      if (this.isClosed) throw new Error(`closed; got ${this.messages.join(' | ')}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`nothing matched within ${timeoutMs} ms; got ${this.messages.join(' | ')}`);
  }

  // Resolves with the close code once the server drops the connection.
  async dropped(timeoutMs = 10_000): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('the server did not drop the socket')), timeoutMs);
    });
    try {
      return (await Promise.race([this.closed, timeout])).code;
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.ws.terminate();
  }
}
