// The SQL baseline of scenario 5 (call setup): the bare relay's call events, plus the rows Hekim
// keeps of a direct call written by plain SQL into the same tables of the same database, one
// transaction per step, and nothing else: no authentication, no validation, no row locks, no
// state machine, no audit records, no webhooks or outbox. What it measures is the cost of the
// writes themselves, so that Hekim's call setup can be compared with the least any persistent
// implementation must do (docs/performance.md, scenario 5).
//
// - `call:initiate`: the call's room with both members, the call and both participants
//   (BEGIN, 4 inserts, COMMIT); the callee's devices hear `call:incoming`.
// - `call:accept`: the call becomes active, the callee joined, the room's session opens with
//   both devices in it (BEGIN, 2 updates, 2 inserts, COMMIT); then `call:answered-elsewhere`
//   and `call:accepted`, as Hekim tells them.
// - `call:offer`/`call:answer`/`call:ice-candidate`: relayed from memory.
// - `call:end`: the call ended, its participants and stays left, its session ended, its room
//   closed (BEGIN, 5 updates, COMMIT); both sides hear `call:ended`.
//
// Run as a child process by the harness with DATABASE_URL; prints {"port":N} when listening
// and exits by itself after BENCH_MAX_SECONDS (default 1200).
import { createServer } from 'node:http';
import { getHeapStatistics } from 'node:v8';
import { Pool, type PoolClient } from 'pg';
import { Server, type Socket } from 'socket.io';

type Ack = (a: { ok: boolean; data?: Record<string, unknown>; error?: unknown }) => void;
type Body = Record<string, unknown>;

interface Call {
  caller: string;
  callerSocket: string;
  callee: string;
  roomId: string;
  sessionId?: string;
  members: Map<string, string>;
}

const db = new Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const httpServer = createServer();
const io = new Server(httpServer, { transports: ['websocket'], serveClient: false });
const ns = io.of('/signaling');
const calls = new Map<string, Call>();
const rooms = new Map<string, Map<string, string>>();

async function tx<T>(work: (c: PoolClient) => Promise<T>): Promise<T> {
  const c = await db.connect();
  try {
    await c.query('BEGIN');
    const out = await work(c);
    await c.query('COMMIT');
    return out;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    c.release();
  }
}

function answer(ack: unknown, work: () => Promise<Record<string, unknown>>): void {
  work().then(
    (data) => {
      if (typeof ack === 'function') (ack as Ack)({ ok: true, data });
    },
    (err: unknown) => {
      process.stderr.write(`sql baseline: ${String(err)}\n`);
      if (typeof ack === 'function') (ack as Ack)({ ok: false, error: { code: 'INTERNAL' } });
    },
  );
}

ns.on('connection', (socket: Socket) => {
  const userId = String((socket.handshake.auth as { userId?: string }).userId ?? socket.id);
  void socket.join(`user:${userId}`);

  socket.on('call:initiate', (p: Body, ack: unknown) =>
    answer(ack, async () => {
      const callee = String((p.calleeIds as unknown[])[0]);
      const type = String(p.type);
      const { callId, roomId } = await tx(async (c) => {
        const room = await c.query<{ id: string }>(
          `INSERT INTO rooms (name, type, host_id, waiting_room, max_participants)
           VALUES ($1, 'call', $2, false, 2) RETURNING id`,
          [`call-${type}`, userId],
        );
        const roomId = room.rows[0].id;
        await c.query(
          `INSERT INTO room_members (room_id, user_id, role, status)
           VALUES ($1, $2, 'host', 'active'), ($1, $3, 'participant', 'active')`,
          [roomId, userId, callee],
        );
        const call = await c.query<{ id: string }>(
          `INSERT INTO calls (type, status, caller_id, room_id, is_group, ring_deadline, caller_socket_id)
           VALUES ($1, 'ringing', $2, $3, false, now() + interval '30 seconds', $4) RETURNING id`,
          [type, userId, roomId, socket.id],
        );
        const callId = call.rows[0].id;
        await c.query(
          `INSERT INTO call_participants (call_id, user_id, state, joined_at)
           VALUES ($1, $2, 'joined', now()), ($1, $3, 'ringing', NULL)`,
          [callId, userId, callee],
        );
        return { callId, roomId };
      });
      calls.set(callId, {
        caller: userId,
        callerSocket: socket.id,
        callee,
        roomId,
        members: new Map(),
      });
      ns.to(`user:${callee}`).emit('call:incoming', { callId, roomId, from: userId, type });
      return { callId, roomId };
    }),
  );

  socket.on('call:accept', (p: Body, ack: unknown) =>
    answer(ack, async () => {
      const callId = String(p.callId);
      const call = calls.get(callId);
      if (!call) throw new Error('unknown call');
      call.sessionId = await tx(async (c) => {
        await c.query(
          `UPDATE calls SET status = 'active', started_at = now(), ring_deadline = NULL,
                  updated_at = now() WHERE id = $1`,
          [callId],
        );
        await c.query(
          `UPDATE call_participants SET state = 'joined', joined_at = now()
            WHERE call_id = $1 AND user_id = $2`,
          [callId, userId],
        );
        const session = await c.query<{ id: string }>(
          `INSERT INTO room_sessions (room_id, status, started_at) VALUES ($1, 'active', now())
           RETURNING id`,
          [call.roomId],
        );
        const sessionId = session.rows[0].id;
        await c.query(
          `INSERT INTO session_participants (session_id, user_id, socket_id, joined_at)
           VALUES ($1, $2, $3, now()), ($1, $4, $5, now())`,
          [sessionId, call.caller, call.callerSocket, userId, socket.id],
        );
        return sessionId;
      });
      call.members.set(call.caller, call.callerSocket).set(userId, socket.id);
      rooms.set(call.roomId, call.members);
      socket.to(`user:${userId}`).emit('call:answered-elsewhere', { callId });
      ns.to(call.callerSocket).emit('call:accepted', { callId, by: userId });
      return { callId, roomId: call.roomId, sessionId: call.sessionId, polite: true };
    }),
  );

  for (const event of ['call:offer', 'call:answer', 'call:ice-candidate']) {
    socket.on(event, (p: Body, ack: unknown) => {
      const target = rooms.get(String(p.roomId))?.get(String(p.to));
      if (target) ns.to(target).emit(event, { ...p, to: undefined, from: userId });
      if (typeof ack === 'function') (ack as Ack)({ ok: true, data: {} });
    });
  }

  socket.on('call:end', (p: Body, ack: unknown) =>
    answer(ack, async () => {
      const callId = String(p.callId);
      const call = calls.get(callId);
      if (!call) throw new Error('unknown call');
      calls.delete(callId);
      rooms.delete(call.roomId);
      await tx(async (c) => {
        await c.query(
          `UPDATE calls SET status = 'ended', ended_at = now(), end_reason = 'completed',
                  updated_at = now() WHERE id = $1`,
          [callId],
        );
        await c.query(
          `UPDATE call_participants SET state = 'left', left_at = now() WHERE call_id = $1`,
          [callId],
        );
        await c.query(
          `UPDATE session_participants SET left_at = now()
            WHERE session_id = $1 AND left_at IS NULL`,
          [call.sessionId],
        );
        await c.query(
          `UPDATE room_sessions SET status = 'ended', ended_at = now(), end_reason = 'call-ended'
            WHERE id = $1`,
          [call.sessionId],
        );
        await c.query(
          `UPDATE rooms SET status = 'closed', closed_at = now(), updated_at = now() WHERE id = $1`,
          [call.roomId],
        );
      });
      ns.to([`user:${call.caller}`, `user:${call.callee}`]).emit('call:ended', {
        callId,
        reason: 'completed',
      });
      return { callId, status: 'ended' };
    }),
  );
});

process.on('message', (m: unknown) => {
  if (m === 'mem')
    process.send?.({
      rss: process.memoryUsage().rss,
      heapUsed: getHeapStatistics().used_heap_size,
      sockets: ns.sockets.size,
    });
});

const maxSeconds = Number(process.env.BENCH_MAX_SECONDS ?? 1200);
setTimeout(() => process.exit(0), maxSeconds * 1000).unref();
process.on('SIGTERM', () => {
  void io.close();
  void db.end().finally(() => process.exit(0));
});
httpServer.listen(0, '127.0.0.1', () => {
  const address = httpServer.address();
  process.stdout.write(
    `${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`,
  );
});
