import { PassThrough } from 'node:stream';
import { Client } from 'pg';
import { GuardedClient } from './typeorm-options';

// A connection whose socket is a stream of our own: what it writes stays in it.
function clientOn(stream: PassThrough & { connecting?: boolean }): GuardedClient {
  return new GuardedClient({ stream: () => stream });
}

const nextTick = (): Promise<void> => new Promise((resolve) => process.nextTick(resolve));

describe('GuardedClient: statements written per tick', () => {
  it('corks the socket once for the tick, and what was written leaves in one write when it ends', async () => {
    const stream = new PassThrough();
    const writes: number[] = [];
    stream._writev = (chunks, cb) => {
      writes.push(chunks.length);
      cb();
    };
    stream._write = (_chunk, _encoding, cb) => {
      writes.push(1);
      cb();
    };
    const client = clientOn(stream);
    client.corkForTick();
    stream.write('Parse');
    client.corkForTick();
    stream.write('Bind');
    stream.write('Sync');
    expect(stream.writableCorked).toBe(1);
    expect(writes).toEqual([]);
    await nextTick();
    expect(stream.writableCorked).toBe(0);
    expect(writes).toEqual([3]);
    // The next tick corks again.
    client.corkForTick();
    expect(stream.writableCorked).toBe(1);
    await nextTick();
    expect(stream.writableCorked).toBe(0);
  });

  it('leaves a socket that is still connecting, or no longer writable, alone', () => {
    const connecting = Object.assign(new PassThrough(), { connecting: true });
    clientOn(connecting).corkForTick();
    expect(connecting.writableCorked).toBe(0);
    const ended = new PassThrough();
    ended.end();
    clientOn(ended).corkForTick();
    expect(ended.writableCorked).toBe(0);
  });

  it('corks before each query and runs the query of pg’s Client as it is when called', () => {
    const stream = new PassThrough();
    const client = clientOn(stream);
    const proto = Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
    const original = proto.query;
    const tapped = jest.fn().mockReturnValue('answer');
    proto.query = tapped;
    try {
      expect((client.query as (...a: unknown[]) => unknown)('SELECT $1', [1])).toBe('answer');
    } finally {
      proto.query = original;
    }
    expect(tapped).toHaveBeenCalledWith('SELECT $1', [1]);
    expect(stream.writableCorked).toBe(1);
  });
});
