import { randomBytes } from 'node:crypto';
import { generateSecrets } from '../../src/config/secrets';
import { type Client, connect, Inbox } from './signaling-client';
import {
  createTestApp,
  createTestDatabase,
  deleteRedisKeys,
  type TestApp,
  type TestDatabase,
} from './test-app';

export interface Device {
  socket: Client;
  inbox: Inbox;
}

export interface TwoInstances {
  a: TestApp;
  b: TestApp;
  // A signaling client on one instance, closed by close().
  on(t: TestApp, token: string): Promise<Device>;
  // Stops one instance mid-test (e.g. to lose the caller's instance); close() skips it then.
  stop(t: TestApp): Promise<void>;
  // Closes the clients and whatever instance is still up, drops the database and Redis keys.
  close(): Promise<void>;
}

// Two Hekim instances on one database and one Redis prefix, as behind a load balancer: the
// Socket.IO Redis adapter carries emits between them, room and call state live in PostgreSQL.
// Both share the secrets that sign tokens, TURN credentials and audit checkpoints.
export async function startTwoInstances(env: NodeJS.ProcessEnv = {}): Promise<TwoInstances> {
  const db: TestDatabase = await createTestDatabase();
  const prefix = `hekim-test:${randomBytes(6).toString('hex')}:`;
  // Every secret alike (tokens, TURN, audit signing, the patient data master and index keys):
  // what one instance sealed or signed the other must open.
  const secrets = generateSecrets();
  const a = await createTestApp({
    db,
    redisPrefix: prefix,
    listen: true,
    env: { ...secrets, ...env },
  });
  const b = await createTestApp({
    db,
    redisPrefix: prefix,
    listen: true,
    env: { ...secrets, ...env },
  });
  const stopped = new Set<TestApp>();
  const sockets: Client[] = [];
  return {
    a,
    b,
    async on(t, token) {
      const socket = await connect(t, { token });
      sockets.push(socket);
      return { socket, inbox: new Inbox(socket) };
    },
    async stop(t) {
      stopped.add(t);
      await t.close();
    },
    async close() {
      for (const s of sockets) s.close();
      for (const t of [a, b]) if (!stopped.has(t)) await t.close().catch(() => undefined);
      await db.drop();
      await deleteRedisKeys(prefix);
    },
  };
}
