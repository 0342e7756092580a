import { Writable } from 'node:stream';
import type { Client } from 'pg';
import { writeWithNext } from './one-write';

// A connection whose socket records each write it is handed (one entry per _write/_writev).
function connection(): { client: Client; socket: Writable; writes: string[][] } {
  const writes: string[][] = [];
  const socket = new Writable({
    write(chunk: Buffer, _encoding, done) {
      writes.push([chunk.toString()]);
      done();
    },
    writev(chunks, done) {
      writes.push(chunks.map((c) => (c.chunk as Buffer).toString()));
      done();
    },
  });
  return { client: { connection: { stream: socket } } as unknown as Client, socket, writes };
}

const ioTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('writeWithNext', () => {
  it('sends a statement and the one written after it by promise callbacks in one write', async () => {
    const { client, socket, writes } = connection();
    await Promise.resolve();
    writeWithNext(client);
    socket.write('append');
    // As TypeORM goes from the commit hook to writing the COMMIT: promise callbacks only.
    await Promise.resolve();
    await Promise.resolve();
    socket.write('COMMIT');
    expect(writes).toEqual([]);
    await ioTurn();
    expect(writes).toEqual([['append', 'COMMIT']]);
    expect(socket.writableCorked).toBe(0);
  });

  it('sends the statement alone when the next one waits for I/O', async () => {
    const { client, socket, writes } = connection();
    await Promise.resolve();
    writeWithNext(client);
    socket.write('append');
    await ioTurn();
    expect(writes).toEqual([['append']]);
    socket.write('COMMIT');
    await ioTurn();
    expect(writes).toEqual([['append'], ['COMMIT']]);
  });
});
