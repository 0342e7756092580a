// Simulated consultations for the capacity scenario (bench/scenarios/capacity.ts): a doctor
// and a patient socket each, going through what a consultation does over signaling and REST:
// - Hekim: the doctor's booking (set-up, not measured), the patient's check-in (REST), the
//   patient's knock at the appointment's waiting room (`room:join` → waiting, with
//   `queue:update`/`queue:changed`), the doctor's join and `queue:next` (the patient gets
//   `room:admitted`), a direct call (`call:initiate` → `call:accept`), the offer, the answer and
//   four candidates in the call's room, a TURN refresh (`GET /ice-servers`, both), then while
//   it is held `call:stats` from both every STATS seconds and a chat message every CHAT
//   seconds (alternating sender, delivery to the other side measured); at the end `call:end`
//   and `room:leave`;
// - the bare relay (bench/baselines/bare-server.ts): the same events where it has them (no
//   check-in, queue or admission: the knock is a plain join), with the same user ids.
// Every acknowledged event and every delivery is timed; a failed or timed-out one is an error.
import { randomUUID } from 'node:crypto';
import type { Socket } from 'socket.io-client';
import { expectOk, http } from './http';
import { connectSocket, request, waitFor } from './signaling';

export interface Party {
  id: string;
  // Hekim: the access token; the bare relay takes the id as given.
  token?: string;
  // The client's own address (per-client REST limits apply to each, as to real clients).
  address: string;
}

export interface Consultation {
  doctor: Party;
  patient: Party;
  // The appointment (Hekim only) and its room.
  appointmentId?: string;
  roomId: string;
  doctorSocket?: Socket;
  patientSocket?: Socket;
  callId?: string;
  callRoomId?: string;
  timers: NodeJS.Timeout[];
  chats: number;
}

// Latencies (ms) and errors of what a set of consultations did while `measuring`.
export class Recorder {
  measuring = false;
  readonly samples: number[] = [];
  readonly byKind = new Map<string, number[]>();
  errors = 0;
  readonly errorTexts: string[] = [];

  async time<T>(kind: string, work: () => Promise<T>): Promise<T> {
    const t0 = process.hrtime.bigint();
    try {
      const out = await work();
      this.add(kind, Number(process.hrtime.bigint() - t0) / 1e6);
      return out;
    } catch (err) {
      this.fail(kind, err);
      throw err;
    }
  }

  add(kind: string, ms: number): void {
    if (!this.measuring) return;
    this.samples.push(ms);
    let list = this.byKind.get(kind);
    if (!list) this.byKind.set(kind, (list = []));
    list.push(ms);
  }

  fail(kind: string, err: unknown): void {
    if (!this.measuring) return;
    this.errors++;
    if (this.errorTexts.length < 5)
      this.errorTexts.push(`${kind}: ${(err as Error).message ?? String(err)}`);
  }
}

export interface Profile {
  // Seconds between two `call:stats` of one side, and between two chat messages of a
  // consultation (real time unless the run compresses it; see capacity.ts).
  statsSeconds: number;
  chatSeconds: number;
}

const SDP = `v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n${'a=x-bench:0123456789abcdef\r\n'.repeat(140)}`;
const candidate = (n: number): Record<string, unknown> => ({
  candidate: `candidate:${n} 1 udp 2122260223 127.0.0.1 ${50000 + n} typ host generation 0`,
  sdpMid: '0',
  sdpMLineIndex: 0,
});
// A typical consultation line, numbered so no two are alike.
const chatText = (n: number): string =>
  `Parasetamol 500 mg, günde 3 kez, tok karnına; kontrol #${n}`;

type Side = 'hekim' | 'bare';

// The appointment: booked by the doctor 10 minutes ahead (check-in opens 15 minutes before
// the start), 20 minutes long; one per doctor, so none overlap.
export async function book(base: string, c: Consultation): Promise<void> {
  const start = new Date(Math.ceil(Date.now() / 60_000) * 60_000 + 10 * 60_000);
  const a = await expectOk(
    'book',
    http<{ id: string; roomId: string }>('POST', `${base}/api/v1/appointments`, {
      token: c.doctor.token,
      localAddress: c.doctor.address,
      body: {
        clinicianId: c.doctor.id,
        patientId: c.patient.id,
        start,
        end: new Date(start.getTime() + 20 * 60_000),
      },
    }),
    [201],
  );
  c.appointmentId = a.id;
  c.roomId = a.roomId;
}

// From the check-in to a negotiated call, timed into `rec` by step. The doctor's client talks
// to `base`, the patient's to `patientBase` (another instance of the same deployment, or the same).
export async function begin(
  side: Side,
  base: string,
  c: Consultation,
  rec: Recorder,
  patientBase = base,
): Promise<void> {
  const auth = (p: Party) => (side === 'hekim' ? { token: p.token ?? '' } : { userId: p.id });
  const ds = await rec.time('connect', () => connectSocket(base, auth(c.doctor)));
  c.doctorSocket = ds;
  const ps = await rec.time('connect', () => connectSocket(patientBase, auth(c.patient)));
  c.patientSocket = ps;
  if (side === 'hekim') {
    await rec.time('check-in', () =>
      expectOk(
        'check-in',
        http('POST', `${patientBase}/api/v1/appointments/${c.appointmentId}/check-in`, {
          token: c.patient.token,
          localAddress: c.patient.address,
        }),
        [200],
      ),
    );
    await rec.time('join', () => request(ds, 'room:join', { roomId: c.roomId }));
    const queued = waitFor(ps, 'queue:update', (p) => p.roomId === c.roomId);
    const changed = waitFor(ds, 'queue:changed', (p) => p.clinicianId === c.doctor.id);
    const knock = await rec.time('knock', () => request(ps, 'room:join', { roomId: c.roomId }));
    if (knock.waiting !== true) throw new Error('the patient was not put in the waiting room');
    await rec.time('queue-update', () => Promise.all([queued, changed]));
    const admitted = waitFor(ps, 'room:admitted', (p) => p.roomId === c.roomId);
    await rec.time('admit', async () => {
      await request(ds, 'queue:next', {});
      await admitted;
    });
  } else {
    await rec.time('join', () => request(ds, 'room:join', { roomId: c.roomId }));
    await rec.time('knock', () => request(ps, 'room:join', { roomId: c.roomId }));
  }
  // The call: the doctor rings the patient, who accepts; the server puts both in its room.
  const ring = waitFor(ps, 'call:incoming', (p) => p.from === c.doctor.id);
  const call = await rec.time('call-initiate', () =>
    request(ds, 'call:initiate', { calleeIds: [c.patient.id], type: 'video' }),
  );
  c.callId = String(call.callId);
  c.callRoomId = String(call.roomId);
  await rec.time('ring', () => ring);
  const accepted = waitFor(ds, 'call:accepted', (p) => p.callId === c.callId);
  await rec.time('call-accept', async () => {
    await request(ps, 'call:accept', { callId: c.callId });
    await accepted;
  });
  await negotiate(c, rec);
  if (side === 'hekim') {
    for (const [p, at] of [
      [c.doctor, base],
      [c.patient, patientBase],
    ] as const)
      await rec.time('turn-refresh', () =>
        expectOk(
          'ice-servers',
          http('GET', `${at}/api/v1/ice-servers`, { token: p.token, localAddress: p.address }),
          [200],
        ),
      );
  } else {
    for (const p of [c.doctor, c.patient])
      await rec.time('turn-refresh', () =>
        expectOk('ice-servers', http('GET', `${base}/api/v1/ice-servers?u=${p.id}`), [200]),
      );
  }
}

// Offer, answer and four candidates in the call's room, each timed to its delivery.
async function negotiate(c: Consultation, rec: Recorder): Promise<void> {
  const ds = c.doctorSocket as Socket;
  const ps = c.patientSocket as Socket;
  const roomId = c.callRoomId as string;
  const relay = async (
    from: Socket,
    to: Socket,
    toId: string,
    fromId: string,
    event: string,
    body: Record<string, unknown>,
  ): Promise<void> => {
    const got = waitFor(to, event, (p) => p.from === fromId && p.roomId === roomId);
    await rec.time(event, async () => {
      await request(from, event, { roomId, to: toId, ...body });
      await got;
    });
  };
  await relay(ds, ps, c.patient.id, c.doctor.id, 'call:offer', { sdp: SDP });
  await relay(ps, ds, c.doctor.id, c.patient.id, 'call:answer', { sdp: SDP });
  for (let k = 0; k < 2; k++) {
    await Promise.all([
      relay(ds, ps, c.patient.id, c.doctor.id, 'call:ice-candidate', {
        candidate: candidate(2 * k + 1),
      }),
      relay(ps, ds, c.doctor.id, c.patient.id, 'call:ice-candidate', {
        candidate: candidate(2 * k + 2),
      }),
    ]);
  }
}

// The held consultation's traffic: `call:stats` from each side every statsSeconds and a chat
// message every chatSeconds, each at a random phase so that consultations do not beat together.
export function startTraffic(c: Consultation, profile: Profile, rec: Recorder): void {
  const ds = c.doctorSocket as Socket;
  const ps = c.patientSocket as Socket;
  const every = (seconds: number, work: () => Promise<unknown>): void => {
    const first = setTimeout(
      () => {
        const t = setInterval(() => void work().catch(() => undefined), seconds * 1000);
        c.timers.push(t);
        void work().catch(() => undefined);
      },
      Math.random() * seconds * 1000,
    );
    c.timers.push(first);
  };
  const stats = (s: Socket): Promise<unknown> =>
    rec.time('call:stats', () =>
      request(s, 'call:stats', {
        callId: c.callId,
        rttMs: 20 + Math.random() * 30,
        jitterMs: Math.random() * 5,
        packetLossPct: Math.random(),
        bitrateKbps: 900 + Math.random() * 300,
      }),
    );
  every(profile.statsSeconds, () => stats(ds));
  every(profile.statsSeconds, () => stats(ps));
  every(profile.chatSeconds, () => {
    const n = c.chats++;
    const [from, to] = n % 2 === 0 ? [ds, ps] : [ps, ds];
    const clientId = randomUUID();
    const got = waitFor(
      to,
      'chat:message',
      (p) => (p.message as { clientId?: string } | undefined)?.clientId === clientId,
    );
    return rec.time('chat', async () => {
      await request(from, 'chat:send', { roomId: c.roomId, clientId, text: chatText(n) });
      await got;
    });
  });
}

export function stopTraffic(c: Consultation): void {
  for (const t of c.timers) {
    clearTimeout(t);
    clearInterval(t);
  }
  c.timers = [];
}

// The end: the doctor ends the call (both are told), both leave the appointment's room.
export async function end(c: Consultation, rec: Recorder): Promise<void> {
  stopTraffic(c);
  const ds = c.doctorSocket;
  const ps = c.patientSocket;
  try {
    if (ds && ps && c.callId) {
      const ended = waitFor(ps, 'call:ended', (p) => p.callId === c.callId);
      await rec.time('call-end', async () => {
        await request(ds, 'call:end', { callId: c.callId });
        await ended;
      });
    }
    const sockets = [ds, ps].filter((s): s is Socket => s !== undefined);
    await Promise.all(
      sockets.map((s) => rec.time('leave', () => request(s, 'room:leave', { roomId: c.roomId }))),
    );
  } finally {
    ds?.close();
    ps?.close();
    c.doctorSocket = undefined;
    c.patientSocket = undefined;
  }
}
