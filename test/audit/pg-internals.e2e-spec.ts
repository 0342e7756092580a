import { Socket } from 'node:net';
import { Client, type Connection, type Submittable } from 'pg';
import { TEST_DATABASE_URL } from '../support/test-env';

// The audit export's COPY reader (RecordLinesCopy, src/modules/audit/audit-line-copy.ts)
// reads a node-postgres connection's socket itself while its COPY runs, and an audit record
// sent with its transaction's COMMIT holds that socket's writes so that both go out in one
// (GuardedClient's per-tick writes, src/infra/database/typeorm-options.ts), which the driver
// does not document. This
// names each part of the driver they rely on, against a real PostgreSQL, so that a pg upgrade
// that changes one fails here with what changed, not as a broken export or a lost write.
describe('audit: the node-postgres internals the COPY reader and the commit write rely on', () => {
  let client: Client;

  beforeEach(async () => {
    client = new Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
  });
  afterEach(() => client.end());

  // Runs `text` as a custom query: what the driver hands over and which calls it makes back.
  async function submitted(text: string): Promise<{ connection: Connection; calls: string[] }> {
    const calls: string[] = [];
    let connection: Connection | undefined;
    await new Promise<void>((resolve, reject) => {
      const query: Submittable & Record<string, unknown> = {
        submit(c: Connection) {
          connection = c;
          c.query(text);
        },
        handleRowDescription: () => calls.push('rowDescription'),
        handleDataRow: () => calls.push('dataRow'),
        handleCommandComplete: () => calls.push('commandComplete'),
        handleError: (err: Error) => reject(err),
        handleReadyForQuery: () => {
          calls.push('readyForQuery');
          resolve();
        },
      };
      void client.query(query);
    });
    if (!connection) throw new Error('pg did not call submit(connection)');
    return { connection, calls };
  }

  it('hands a custom query the connection, whose query() sends a simple query', async () => {
    const { connection, calls } = await submitted('SELECT 1');
    expect(typeof connection.query).toBe('function');
    expect(calls).toEqual(['rowDescription', 'dataRow', 'commandComplete', 'readyForQuery']);
  });

  it('reads the connection socket through exactly one data listener, which can be swapped', async () => {
    const { connection } = await submitted('SELECT 1');
    const socket = connection.stream;
    const listeners = socket.listeners('data');
    expect(listeners).toHaveLength(1);
    // What RecordLinesCopy does around a COPY: take the reader off, put it back, feed it.
    const driverRead = listeners[0] as (chunk: Buffer) => void;
    socket.removeListener('data', driverRead);
    socket.on('data', driverRead);
    expect((await client.query<{ n: number }>('SELECT 2 AS n')).rows).toEqual([{ n: 2 }]);
  });

  it('writes a query to connection.stream at once, where cork() holds it until uncork()', async () => {
    const socket = client.connection.stream as Socket;
    expect(socket).toBeInstanceOf(Socket);
    socket.cork();
    const answer = client.query<{ n: number }>('SELECT 3 AS n');
    // Written to the socket (not queued in the driver), and held there.
    expect(socket.writableLength).toBeGreaterThan(0);
    socket.uncork();
    expect(socket.writableLength).toBe(0);
    expect((await answer).rows).toEqual([{ n: 3 }]);
  });
});
