import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { closeConnectionsWhileDraining } from './close-while-draining';
import { LifecycleState } from './lifecycle.state';

describe('closeConnectionsWhileDraining', () => {
  let server: Server;
  let lifecycle: LifecycleState;
  let release: (() => void) | undefined;
  let base: string;

  beforeEach(async () => {
    lifecycle = new LifecycleState();
    const app = express();
    app.use(closeConnectionsWhileDraining(lifecycle));
    // A request that stays in flight until the test releases it.
    app.get('/slow', (_req, res) => {
      release = () => res.send('done');
    });
    app.get('/fast', (_req, res) => res.send('ok'));
    server = createServer(app);
    // Idle kept-alive connections never time out here, so only the middleware can end them.
    server.keepAliveTimeout = 0;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  // The first test leaves the server listening; closing only its connections would leave the
  // listener open and keep Jest's worker alive after the file ("failed to exit gracefully").
  afterEach(async () => {
    server.closeAllConnections();
    if (server.listening) await new Promise<void>((r) => server.close(() => r()));
    release = undefined;
  });

  const url = (path: string) => `${base}${path}`;

  it('keeps connections alive until the instance drains, then closes each after its answer', async () => {
    const before = await fetch(url('/fast'));
    expect(before.headers.get('connection')).toBe('keep-alive');
    await before.text();

    lifecycle.beginDrain();
    const during = await fetch(url('/fast'));
    expect(during.headers.get('connection')).toBe('close');
    await during.text();
  });

  it('lets server.close() finish when a kept-alive connection was busy as it closed', async () => {
    lifecycle.beginDrain();
    const inFlight = fetch(url('/slow'));
    while (!release) await new Promise((r) => setImmediate(r));
    let isClosed = false;
    const closed = new Promise<void>((r) =>
      server.close(() => {
        isClosed = true;
        r();
      }),
    );
    release();
    expect(await (await inFlight).text()).toBe('done');
    // A client that keeps its connection busy, as a load balancer's pool or a poller does:
    // without the header it is served on that connection for ever and close() never calls back.
    while (!isClosed) {
      const answer = await fetch(url('/fast')).then(
        (res) => res.text(),
        () => 'refused',
      );
      expect(['ok', 'refused']).toContain(answer);
      await new Promise((r) => setImmediate(r));
    }
    await closed;
  });
});
