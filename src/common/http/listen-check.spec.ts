import { createServer, type Server } from 'node:net';
import { checkCanListen, listenFailure } from './listen-check';

describe('checkCanListen', () => {
  let taken: Server;
  let port: number;

  beforeAll(async () => {
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    port = (taken.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => taken.close(() => resolve())));

  it('names a port that is in use, and what to do, in one line', async () => {
    const failure = await checkCanListen('127.0.0.1', port);
    expect(failure).toBe(
      `127.0.0.1:${port} is already in use (another Hekim, or another program). ` +
        'Stop it, or set PORT to a free port (PORT=0 picks one).',
    );
  });

  it('lets a free port go again, so that the app can bind it', async () => {
    const free = createServer();
    await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve));
    const freePort = (free.address() as { port: number }).port;
    await new Promise<void>((resolve) => free.close(() => resolve()));
    expect(await checkCanListen('127.0.0.1', freePort)).toBeUndefined();
    expect(await checkCanListen('127.0.0.1', freePort)).toBeUndefined();
    expect(await checkCanListen('127.0.0.1', 0)).toBeUndefined();
  });

  it('explains an address that is not this machine’s', async () => {
    expect(await checkCanListen('192.0.2.1', 4000)).toMatch(/^HOST=192\.0\.2\.1 is not an address/);
    expect(listenFailure(new Error('other'), '127.0.0.1', 1)).toBeUndefined();
    const unreadable = Object.assign(new Error('EACCES'), { code: 'EACCES', syscall: 'open' });
    expect(listenFailure(unreadable, '127.0.0.1', 1)).toBeUndefined();
  });
});
