// Socket.IO load for the signaling scenarios, the same for Hekim and the bare baseline:
// connected pairs in rooms exchanging offer/answer/candidate-sized messages.
import { io, type Socket } from 'socket.io-client';
import { latencySummary, type LatencySummary } from './stats';

export type Auth = { token: string } | { userId: string };

export interface PairSpec {
  roomId: string;
  a: { id: string; auth: Auth; base: string };
  b: { id: string; auth: Auth; base: string };
}

export interface Pair {
  roomId: string;
  a: Socket;
  b: Socket;
  aId: string;
  bId: string;
}

interface AckResult {
  ok: boolean;
  data?: Record<string, unknown>;
  error?: { code: string; message: string };
}

export function connectSocket(base: string, auth: Auth, timeoutMs = 20_000): Promise<Socket> {
  const socket = io(`${base}/signaling`, {
    auth,
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: timeoutMs,
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error('connect timed out'));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('connect_error', (err) => {
      clearTimeout(timer);
      socket.close();
      reject(err);
    });
  });
}

export async function request(
  socket: Socket,
  event: string,
  payload: unknown,
  timeoutMs = 15_000,
): Promise<Record<string, unknown>> {
  const res = (await socket.timeout(timeoutMs).emitWithAck(event, payload)) as AckResult;
  if (!res.ok) throw new Error(`${event}: ${res.error?.code} ${res.error?.message}`);
  return res.data ?? {};
}

// The next `event` on `socket` whose payload `match`es, rejected after `timeoutMs`. The promise
// is marked handled: when a flow fails before awaiting a wait it registered, the wait's later
// timeout must not become an unhandled rejection (the caller's await still sees it).
export function waitFor(
  socket: Socket,
  event: string,
  match: (p: Record<string, unknown>) => boolean,
  timeoutMs = 15_000,
): Promise<Record<string, unknown>> {
  const p = new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, h);
      reject(new Error(`no ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    const h = (payload: Record<string, unknown>): void => {
      if (!match(payload)) return;
      clearTimeout(timer);
      socket.off(event, h);
      resolve(payload);
    };
    socket.on(event, h);
  });
  p.catch(() => undefined);
  return p;
}

export async function openPairs(specs: PairSpec[]): Promise<Pair[]> {
  const pairs: Pair[] = [];
  for (const s of specs) {
    const a = await connectSocket(s.a.base, s.a.auth);
    const b = await connectSocket(s.b.base, s.b.auth);
    await request(a, 'room:join', { roomId: s.roomId });
    await request(b, 'room:join', { roomId: s.roomId });
    pairs.push({ roomId: s.roomId, a, b, aId: s.a.id, bId: s.b.id });
  }
  return pairs;
}

export async function closePairs(pairs: Pair[]): Promise<void> {
  await Promise.all(
    pairs.map(async (p) => {
      await Promise.allSettled([
        request(p.a, 'room:leave', { roomId: p.roomId }, 5000),
        request(p.b, 'room:leave', { roomId: p.roomId }, 5000),
      ]);
      p.a.close();
      p.b.close();
    }),
  );
}

// The message mix of one negotiation: an offer (~4 KB), an answer (~2.5 KB) and four
// candidates (~0.5 KB each).
const SDP_BODY = 'a=x-bench:' + 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(120);
function sdp(id: number, size: number): string {
  return `v=0\r\no=- ${id} 2 IN IP4 127.0.0.1\r\ns=-\r\n${SDP_BODY.slice(0, size - 40)}`;
}
function candidate(id: number): Record<string, unknown> {
  return {
    candidate: `candidate:${id} 1 udp 2122260223 127.0.0.1 54321 typ host generation 0 ufrag abcd network-id 1 ${'x'.repeat(380)}`,
    sdpMid: '0',
    sdpMLineIndex: 0,
    usernameFragment: 'abcd',
  };
}
const MIX = ['call:offer', 'call:answer', 'call:ice-candidate', 'call:ice-candidate'] as const;
const MIX_FULL = [...MIX, 'call:ice-candidate', 'call:ice-candidate'] as const;

function messageFor(k: number, id: number, roomId: string, to: string): [string, unknown] {
  const event = MIX_FULL[k % MIX_FULL.length];
  if (event === 'call:offer') return [event, { roomId, to, sdp: sdp(id, 4000) }];
  if (event === 'call:answer') return [event, { roomId, to, sdp: sdp(id, 2500) }];
  return [event, { roomId, to, candidate: candidate(id) }];
}

// Open loop: at most this many messages outstanding per direction.
const MAX_BACKLOG = 64;

const ID_SDP = /^v=0\r\no=- (\d+) /;
const ID_CAND = /^candidate:(\d+) /;

function idOf(payload: { sdp?: string; candidate?: { candidate?: string } }): number {
  const m = payload.sdp
    ? ID_SDP.exec(payload.sdp)
    : ID_CAND.exec(payload.candidate?.candidate ?? '');
  return m ? Number(m[1]) : -1;
}

export interface LoadResult {
  sent: number;
  received: number;
  seconds: number;
  perSecond: number;
  bytesPerMessage: number;
  latency: LatencySummary;
}

interface Direction {
  from: Socket;
  to: Socket;
  toId: string;
  roomId: string;
  inFlight: number;
  k: number;
}

function directions(pairs: Pair[]): Direction[] {
  return pairs.flatMap((p) => [
    { from: p.a, to: p.b, toId: p.bId, roomId: p.roomId, inFlight: 0, k: 0 },
    { from: p.b, to: p.a, toId: p.aId, roomId: p.roomId, inFlight: 0, k: 0 },
  ]);
}

// Closed loop: every direction keeps `window` messages in flight for warmup + seconds;
// counts what arrives during the measured part.
export async function saturate(
  pairs: Pair[],
  seconds: number,
  window = 8,
  warmupSeconds = 1,
): Promise<LoadResult> {
  return drive(pairs, seconds, warmupSeconds, { window });
}

// Open loop: `rate` messages per second in total, spread over the directions.
export async function atRate(
  pairs: Pair[],
  rate: number,
  seconds: number,
  warmupSeconds = 1,
): Promise<LoadResult> {
  return drive(pairs, seconds, warmupSeconds, { rate });
}

async function drive(
  pairs: Pair[],
  seconds: number,
  warmupSeconds: number,
  mode: { window?: number; rate?: number },
): Promise<LoadResult> {
  const dirs = directions(pairs);
  const sentAt = new Map<number, { t: bigint; dir: Direction; size: number }>();
  let nextId = 1;
  let measuring = false;
  let stopped = false;
  let sent = 0;
  let received = 0;
  let bytes = 0;
  const samples: number[] = [];
  const send = (d: Direction): void => {
    const id = nextId++;
    const [event, payload] = messageFor(d.k++, id, d.roomId, d.toId);
    const size = JSON.stringify(payload).length;
    sentAt.set(id, { t: process.hrtime.bigint(), dir: d, size });
    d.inFlight++;
    if (measuring) sent++;
    d.from.emit(event, payload);
  };
  type Handler = (payload: { sdp?: string; candidate?: { candidate?: string } }) => void;
  const handlers: [Socket, string, Handler][] = [];
  for (const d of dirs) {
    for (const event of MIX) {
      const h: Handler = (payload) => {
        const id = idOf(payload);
        const s = sentAt.get(id);
        if (!s) return;
        sentAt.delete(id);
        s.dir.inFlight--;
        if (measuring) {
          received++;
          bytes += s.size;
          samples.push(Number(process.hrtime.bigint() - s.t) / 1e6);
        }
        if (mode.window !== undefined && !stopped) send(s.dir);
      };
      if (!handlers.some(([sock, ev]) => sock === d.to && ev === event)) {
        d.to.on(event, h);
        handlers.push([d.to, event, h]);
      }
    }
  }
  let timer: NodeJS.Timeout | undefined;
  if (mode.window !== undefined) {
    for (const d of dirs) for (let i = 0; i < mode.window; i++) send(d);
  } else {
    const rate = mode.rate ?? 100;
    const t0 = Date.now();
    let due = 0;
    let rr = 0;
    timer = setInterval(() => {
      const should = Math.floor(((Date.now() - t0) / 1000) * rate);
      for (; due < should; due++) {
        const d = dirs[rr++ % dirs.length];
        // A server that cannot keep up sheds the excess here (counted as not delivered)
        // rather than building an unbounded backlog that would outlive the round.
        if (d.inFlight >= MAX_BACKLOG) {
          if (measuring) sent++;
          continue;
        }
        send(d);
      }
    }, 1);
  }
  await sleep(warmupSeconds * 1000);
  measuring = true;
  const m0 = process.hrtime.bigint();
  await sleep(seconds * 1000);
  measuring = false;
  const elapsed = Number(process.hrtime.bigint() - m0) / 1e9;
  stopped = true;
  if (timer) clearInterval(timer);
  // Let what is in flight arrive (bounded) so the next round starts clean.
  const drainUntil = Date.now() + 5000;
  while (sentAt.size > 0 && Date.now() < drainUntil) await sleep(20);
  for (const [sock, ev, h] of handlers) sock.off(ev, h);
  return {
    sent,
    received,
    seconds: elapsed,
    perSecond: received / elapsed,
    bytesPerMessage: received ? bytes / received : 0,
    latency: latencySummary(samples),
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
