// The baseline of the signaling scenarios: a bare Socket.IO server with the same event names
// as Hekim's /signaling namespace, and nothing else. No authentication (the client names its
// user id in the handshake), no validation, no rate limit, no persistence, no audit. It
// relays offers/answers/candidates to the target's socket in the room, and plays the call
// events from an in-memory map; `chat:send` numbers the message in its room, hands it to every
// member who joined the room (`chat:message`) and acks it, with nothing stored; `call:stats` is
// acked and `GET /api/v1/ice-servers` answers a fixed list (capacity scenario). Run as a child process by the harness; it prints
// {"port":N} when listening, answers {rss, heapUsed} to an IPC "mem" message and exits by
// itself after BENCH_MAX_SECONDS (default 1200).
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { getHeapStatistics } from 'node:v8';
import { Server, type Socket } from 'socket.io';

type Ack = (a: { ok: true; data: Record<string, unknown> }) => void;
type Body = Record<string, unknown>;

// The one REST route of the capacity scenario's profile: the TURN refresh, a fixed list.
const httpServer = createServer((req, res) => {
  if (req.method === 'GET' && req.url?.startsWith('/api/v1/ice-servers')) {
    const expiresAt = new Date(Date.now() + 3600_000).toISOString();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ iceServers: [{ urls: ['stun:127.0.0.1:3478'] }], expiresAt }));
    return;
  }
  res.writeHead(404).end();
});
const io = new Server(httpServer, { transports: ['websocket'], serveClient: false });
const ns = io.of('/signaling');
const rooms = new Map<string, Map<string, string>>();
const chatSeq = new Map<string, number>();
const calls = new Map<
  string,
  { caller: string; callerSocket: string; callees: string[]; roomId: string }
>();

function ok(ack: unknown, data: Record<string, unknown> = {}): void {
  if (typeof ack === 'function') (ack as Ack)({ ok: true, data });
}

ns.on('connection', (socket: Socket) => {
  const auth = socket.handshake.auth as { userId?: string };
  const userId = String(auth.userId ?? socket.id);
  void socket.join(`user:${userId}`);

  socket.on('room:join', (p: Body, ack: unknown) => {
    const roomId = String(p.roomId);
    let members = rooms.get(roomId);
    if (!members) rooms.set(roomId, (members = new Map()));
    members.set(userId, socket.id);
    ok(ack, { roomId });
  });
  socket.on('room:leave', (p: Body, ack: unknown) => {
    rooms.get(String(p.roomId))?.delete(userId);
    ok(ack);
  });
  for (const event of ['call:offer', 'call:answer', 'call:ice-candidate']) {
    socket.on(event, (p: Body, ack: unknown) => {
      const target = rooms.get(String(p.roomId))?.get(String(p.to));
      if (target) ns.to(target).emit(event, { ...p, to: undefined, from: userId });
      ok(ack);
    });
  }
  socket.on('chat:send', (p: Body, ack: unknown) => {
    const roomId = String(p.roomId);
    const seq = (chatSeq.get(roomId) ?? 0) + 1;
    chatSeq.set(roomId, seq);
    const message = {
      id: randomUUID(),
      roomId,
      seq,
      senderId: userId,
      clientId: String(p.clientId),
      text: String(p.text),
      attachment: null,
      erased: false,
      createdAt: new Date().toISOString(),
    };
    const members = [...(rooms.get(roomId)?.keys() ?? [])];
    if (members.length) ns.to(members.map((m) => `user:${m}`)).emit('chat:message', { message });
    ok(ack, { message });
  });
  socket.on('call:initiate', (p: Body, ack: unknown) => {
    const callId = randomUUID();
    const roomId = randomUUID();
    const callees = (p.calleeIds as string[]).map(String);
    calls.set(callId, { caller: userId, callerSocket: socket.id, callees, roomId });
    for (const c of callees)
      ns.to(`user:${c}`).emit('call:incoming', { callId, roomId, from: userId, type: p.type });
    ok(ack, { callId, roomId });
  });
  socket.on('call:accept', (p: Body, ack: unknown) => {
    const call = calls.get(String(p.callId));
    if (call) {
      // As Hekim does on accept: the accepting device and the caller's device are in the
      // call's room before anyone is told.
      const members = new Map([
        [call.caller, call.callerSocket],
        [userId, socket.id],
      ]);
      rooms.set(call.roomId, members);
      ns.to(`user:${call.caller}`).emit('call:accepted', { callId: p.callId, by: userId });
      socket.to(`user:${userId}`).emit('call:answered-elsewhere', { callId: p.callId });
    }
    ok(ack, { callId: p.callId, roomId: call?.roomId });
  });
  // Call quality reports: acknowledged, nothing kept.
  socket.on('call:stats', (_p: Body, ack: unknown) => ok(ack));
  socket.on('call:end', (p: Body, ack: unknown) => {
    const call = calls.get(String(p.callId));
    if (call) {
      calls.delete(String(p.callId));
      for (const u of [call.caller, ...call.callees])
        ns.to(`user:${u}`).emit('call:ended', { callId: p.callId, reason: 'completed' });
    }
    ok(ack, { callId: p.callId, status: 'ended' });
  });
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
  process.exit(0);
});
httpServer.listen(0, '127.0.0.1', () => {
  const address = httpServer.address();
  process.stdout.write(
    `${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`,
  );
});
