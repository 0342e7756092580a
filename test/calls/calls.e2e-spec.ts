import { DataSource } from 'typeorm';
import { Role } from '../../src/common/auth/role';
import { AppException } from '../../src/common/errors/app.exception';
import { ErrorCode } from '../../src/common/errors/error-code';
import { CallAcceptPolicy } from '../../src/modules/calls/call-accept.policy';
import { CallsService } from '../../src/modules/calls/calls.service';
import { RoomJoinPolicy } from '../../src/modules/sessions/ports/room-join.policy';
import { authHeader, signIn, type SignedIn } from '../support/auth';
import { careRoom } from '../support/care';
import { tapPgWire, type WireSpan } from '../support/pg-wire-tap';
import { type Client, connect, Inbox, request, until } from '../support/signaling-client';
import { createTestApp, type TestApp } from '../support/test-app';

const OFFER = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=offer\r\nt=0 0\r\n';
const ANSWER = 'v=0\r\no=- 3 4 IN IP4 127.0.0.1\r\ns=answer\r\nt=0 0\r\n';
const CANDIDATE = {
  candidate: 'candidate:1 1 udp 2122260223 192.0.2.10 54321 typ host',
  sdpMid: '0',
  sdpMLineIndex: 0,
};

interface CallBody {
  id: string;
  type: string;
  status: string;
  callerId: string;
  roomId: string;
  participants: { userId: string; state: string }[];
  startedAt: string | null;
  endedAt: string | null;
  durationSeconds: number | null;
  endReason: string | null;
  quality: Record<string, unknown> | null;
}

interface Device {
  socket: Client;
  inbox: Inbox;
}

// A transaction as it went over the wire: its statements from START TRANSACTION to COMMIT or
// ROLLBACK, and for each the round trip it went out in on its connection.
type WireTransaction = WireSpan;

// Every transaction sent to PostgreSQL from now until restore() (test/support/pg-wire-tap.ts
// counts the round trips).
function tapWire(): { transactions: () => WireTransaction[]; restore: () => void } {
  const { spans, restore } = tapPgWire({
    opens: (sql) => sql === 'START TRANSACTION',
    closes: (sql) => sql === 'COMMIT' || sql === 'ROLLBACK',
  });
  return { transactions: spans, restore };
}

// Round trips from START TRANSACTION to COMMIT, both included.
function roundTripsOf(t: WireTransaction): number {
  return new Set(t.roundTrips).size;
}

// The audit chain's head is locked by the statement before the COMMIT only, sent with it: the
// lock that serialises every audited transaction is held for that last round trip alone
// (docs/audit.md, "Written with the commit").
function chainLockedAtCommit(t: WireTransaction): boolean {
  const chain = t.statements.flatMap((x, i) => (x.includes('audit_chain_head') ? [i] : []));
  const n = t.statements.length;
  return (
    chain.length === 1 &&
    chain[0] === n - 2 &&
    t.statements[n - 1] === 'COMMIT' &&
    t.roundTrips[n - 2] === t.roundTrips[n - 1]
  );
}

describe('direct calls', () => {
  let t: TestApp;
  const open: Client[] = [];

  beforeAll(async () => {
    t = await createTestApp({
      listen: true,
      env: {
        TURN_URLS: 'turn:turn.example.test:3478?transport=udp',
        STUN_URLS: 'stun:stun.example.test:3478',
        TURN_SECRET: 'a-turn-secret-for-these-tests',
        SIGNALING_EVENTS_PER_SECOND: '50',
        SIGNALING_RECONNECT_GRACE_SECONDS: '30',
        // Every test signs in fresh users from one address.
        AUTH_RATE_LIMIT_PER_MINUTE: '1000',
      },
    });
  });
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
  });
  afterAll(() => t.close());

  async function device(who: SignedIn): Promise<Device> {
    const socket = await connect(t, { token: who.accessToken });
    open.push(socket);
    return { socket, inbox: new Inbox(socket) };
  }

  // A doctor and a patient who accepted the doctor's room invitation: a care relationship,
  // which ringing needs (docs/access-model.md).
  async function people(): Promise<{ doctor: SignedIn; patient: SignedIn }> {
    const doctor = await signIn(t, Role.Doctor);
    const patient = await signIn(t, Role.Patient);
    await careRoom(t, doctor, patient);
    return { doctor, patient };
  }

  async function related(doctor: SignedIn, ...patients: SignedIn[]): Promise<void> {
    for (const p of patients) await careRoom(t, doctor, p);
  }

  async function place(caller: SignedIn, calleeIds: string[], type = 'audio'): Promise<CallBody> {
    const res = await t
      .http()
      .post('/api/v1/calls')
      .set(authHeader(caller.accessToken))
      .send({ calleeIds, type });
    expect(res.status).toBe(201);
    return (res.body as { call: CallBody }).call;
  }

  function act(
    who: SignedIn,
    callId: string,
    action: string,
  ): Promise<{ status: number; body: unknown }> {
    return t
      .http()
      .post(`/api/v1/calls/${callId}/${action}`)
      .set(authHeader(who.accessToken))
      .send();
  }

  async function get(who: SignedIn, callId: string): Promise<CallBody> {
    const res = await t.http().get(`/api/v1/calls/${callId}`).set(authHeader(who.accessToken));
    expect(res.status).toBe(200);
    return (res.body as { call: CallBody }).call;
  }

  async function actions(
    callId: string,
  ): Promise<{ action: string; details: Record<string, unknown> }[]> {
    return t.app
      .get(DataSource)
      .query(`SELECT action, details FROM audit_events WHERE resource_id = $1 ORDER BY seq`, [
        callId,
      ]);
  }

  // A doctor's call to a patient over signaling, rung on the patient's one device.
  async function ringingCall(): Promise<{
    doctor: SignedIn;
    patient: SignedIn;
    caller: Device;
    callee: Device;
    callId: string;
    roomId: string;
  }> {
    const { doctor, patient } = await people();
    const caller = await device(doctor);
    const callee = await device(patient);
    const started = await request(caller.socket, 'call:initiate', {
      calleeIds: [patient.user.id],
      type: 'audio',
    });
    await callee.inbox.next('call:incoming');
    return {
      doctor,
      patient,
      caller,
      callee,
      callId: started.data?.callId as string,
      roomId: started.data?.roomId as string,
    };
  }

  interface SessionBody {
    id: string;
    status: string;
    endedAt: string | null;
    durationSeconds: number | null;
    participants: { userId: string; joinedAt: string; leftAt: string | null }[];
  }

  // The sessions of a call's room, as its participants see them.
  async function sessionsOf(who: SignedIn, roomId: string): Promise<SessionBody[]> {
    const res = await t
      .http()
      .get(`/api/v1/sessions?roomId=${roomId}`)
      .set(authHeader(who.accessToken));
    expect(res.status).toBe(200);
    return (res.body as { items: SessionBody[] }).items;
  }

  // Once a call is over, no session of its room is left running and every stay has ended.
  async function expectNoLiveSession(who: SignedIn, roomId: string): Promise<SessionBody[]> {
    const sessions = await sessionsOf(who, roomId);
    for (const session of sessions) {
      expect(session.status).toBe('ended');
      expect(session.endedAt).not.toBeNull();
      expect(session.durationSeconds).toEqual(expect.any(Number));
      for (const stay of session.participants) expect(stay.leftAt).not.toBeNull();
    }
    return sessions;
  }

  // Runs the ring-timeout sweep as if the deadline had passed (what any instance's tick does).
  const expireRingsNow = (): Promise<number> =>
    t.app.get(CallsService).expireRinging(new Date(Date.now() + 3_600_000));

  it('one-to-one audio: rings every device with the callee’s own ICE servers, answer, hang-up', async () => {
    const { doctor, patient } = await people();
    const caller = await device(doctor);
    const phone = await device(patient);
    const laptop = await device(patient);

    const started = await request(caller.socket, 'call:initiate', {
      calleeIds: [patient.user.id],
      type: 'audio',
      sdp: OFFER,
    });
    expect(started.ok).toBe(true);
    const callId = started.data?.callId as string;
    expect(started.data?.roomId).toEqual(expect.any(String));

    for (const d of [phone, laptop]) {
      const incoming = await d.inbox.next('call:incoming');
      expect(incoming).toMatchObject({
        callId,
        roomId: started.data?.roomId,
        from: doctor.user.id,
        type: 'audio',
        sdp: OFFER,
      });
      const servers = incoming.iceServers as { urls: string[]; username?: string }[];
      expect(servers.find((s) => s.username)?.username).toMatch(new RegExp(`:${patient.user.id}$`));
    }
    expect((await get(doctor, callId)).status).toBe('ringing');

    // On accept the server joins the caller's device (the one that started the call), then
    // the accepting device, to the call's room; each gets its join answer.
    const roomId = started.data?.roomId as string;
    const accepted = await request(phone.socket, 'call:accept', { callId, sdp: ANSWER });
    expect(accepted).toMatchObject({
      ok: true,
      data: {
        callId,
        roomId,
        sessionId: expect.any(String),
        polite: true,
        participants: [{ userId: doctor.user.id }],
      },
    });
    const sessionId = accepted.data?.sessionId as string;
    const callerAccepted = await caller.inbox.next('call:accepted');
    expect(callerAccepted).toMatchObject({
      callId,
      by: patient.user.id,
      sdp: ANSWER,
      roomId,
      sessionId,
      polite: false,
      // Joined first; the callee joined right after, before the caller was told.
      participants: [expect.objectContaining({ userId: patient.user.id })],
    });
    const callerServers = callerAccepted.iceServers as { username?: string }[];
    expect(callerServers.find((s) => s.username)?.username).toMatch(
      new RegExp(`:${doctor.user.id}$`),
    );
    expect(await caller.inbox.next('room:participant-joined')).toMatchObject({
      roomId,
      userId: patient.user.id,
    });
    expect(await laptop.inbox.next('call:answered-elsewhere')).toEqual({ callId });
    expect(phone.inbox.of('call:answered-elsewhere')).toHaveLength(0);
    expect(laptop.inbox.of('call:accepted')).toHaveLength(0);

    // A client of the old shape still sends room:join itself: it gets the same answer.
    const again = await request(phone.socket, 'room:join', { roomId });
    expect(again).toMatchObject({ ok: true, data: { sessionId, polite: true } });
    const callerAgain = await request(caller.socket, 'room:join', { roomId });
    expect(callerAgain).toMatchObject({ ok: true, data: { sessionId, polite: false } });
    // Nothing changed, so nobody is told anyone joined again.
    expect(caller.inbox.of('room:participant-joined')).toHaveLength(1);
    expect(phone.inbox.of('room:participant-joined')).toHaveLength(0);
    // They negotiate through the relay.
    expect(
      (await request(caller.socket, 'call:offer', { roomId, to: patient.user.id, sdp: OFFER })).ok,
    ).toBe(true);
    expect(await phone.inbox.next('call:offer')).toEqual({
      roomId,
      from: doctor.user.id,
      sdp: OFFER,
    });

    const active = await get(patient, callId);
    expect(active).toMatchObject({ status: 'active', endReason: null });
    expect(active.startedAt).not.toBeNull();

    expect(await request(caller.socket, 'call:end', { callId })).toEqual({
      ok: true,
      data: { callId, status: 'ended' },
    });
    for (const d of [caller, phone, laptop]) {
      const ended = await d.inbox.next('call:ended');
      expect(ended).toMatchObject({ callId, reason: 'completed' });
      expect(ended.durationSeconds).toEqual(expect.any(Number));
    }
    const done = await get(doctor, callId);
    expect(done).toMatchObject({
      type: 'audio',
      status: 'ended',
      endReason: 'completed',
      callerId: doctor.user.id,
      participants: [
        { userId: doctor.user.id, state: 'left' },
        { userId: patient.user.id, state: 'left' },
      ],
    });
    expect(done.durationSeconds).toBeGreaterThanOrEqual(0);
    // Ending the call ended its room's session, with both stays closed.
    await caller.inbox.next('room:session-ended', (p) => p.sessionId === sessionId);
    const [session] = await expectNoLiveSession(doctor, roomId);
    expect(session?.id).toBe(sessionId);
    expect(session?.participants.map((p) => p.userId).sort()).toEqual(
      [doctor.user.id, patient.user.id].sort(),
    );
  });

  it('one-to-one video: after accept both join the call room and negotiate through the relay; stats summary', async () => {
    const { doctor, patient } = await people();
    const caller = await device(doctor);
    const callee = await device(patient);
    const call = await place(doctor, [patient.user.id], 'video');
    expect(call).toMatchObject({ type: 'video', status: 'ringing' });
    await callee.inbox.next('call:incoming', (p) => p.callId === call.id);

    // Started over REST: the caller's only connected device is the one joined on accept.
    const accepted = await request(callee.socket, 'call:accept', { callId: call.id });
    expect(accepted.data).toMatchObject({ roomId: call.roomId, polite: true });
    expect(await caller.inbox.next('call:accepted')).toMatchObject({
      roomId: call.roomId,
      sessionId: accepted.data?.sessionId,
      polite: false,
    });
    const { roomId } = call;
    expect(
      (await request(caller.socket, 'call:offer', { roomId, to: patient.user.id, sdp: OFFER })).ok,
    ).toBe(true);
    expect(await callee.inbox.next('call:offer')).toEqual({
      roomId,
      from: doctor.user.id,
      sdp: OFFER,
    });
    await request(callee.socket, 'call:answer', { roomId, to: doctor.user.id, sdp: ANSWER });
    expect(await caller.inbox.next('call:answer')).toEqual({
      roomId,
      from: patient.user.id,
      sdp: ANSWER,
    });
    await request(callee.socket, 'call:ice-candidate', {
      roomId,
      to: doctor.user.id,
      candidate: CANDIDATE,
    });
    expect((await caller.inbox.next('call:ice-candidate')).candidate).toMatchObject(CANDIDATE);

    const stats = [
      { rttMs: 40, jitterMs: 5, packetLossPct: 0, bitrateKbps: 1200 },
      { rttMs: 80, jitterMs: 15, packetLossPct: 2, bitrateKbps: 800 },
    ];
    expect((await request(caller.socket, 'call:stats', { callId: call.id, ...stats[0] })).ok).toBe(
      true,
    );
    expect((await request(callee.socket, 'call:stats', { callId: call.id, ...stats[1] })).ok).toBe(
      true,
    );
    const bad = await request(callee.socket, 'call:stats', { callId: call.id, packetLossPct: 101 });
    expect(bad.error?.code).toBe('VALIDATION_FAILED');

    expect((await get(doctor, call.id)).quality).toEqual({
      reports: 2,
      rttMs: { min: 40, avg: 60, max: 80 },
      jitterMs: { min: 5, avg: 10, max: 15 },
      packetLossPct: { min: 0, avg: 1, max: 2 },
      bitrateKbps: { min: 800, avg: 1000, max: 1200 },
    });
    const metrics = await t.http().get('/metrics');
    // In base units (docs/operations.md, "Metrics"): seconds, bytes per second.
    expect(metrics.text).toMatch(/hekim_call_rtt_seconds_bucket\{le="0.05"\} [1-9]/);
    expect(metrics.text).toMatch(/hekim_call_bitrate_bytes_per_second_bucket\{le="250000"\} [1-9]/);
    expect(metrics.text).toMatch(/hekim_call_setup_seconds_count \d+/);

    expect((await act(patient, call.id, 'end')).status).toBe(200);
    await caller.inbox.next('call:ended', (p) => p.callId === call.id);
    const after = await request(caller.socket, 'call:stats', { callId: call.id, rttMs: 1 });
    expect(after.error?.code).toBe('CONFLICT');
    expect((await t.http().get('/metrics')).text).toMatch(
      /hekim_calls_total\{status="ended",end_reason="completed",type="video"\} \d+/,
    );
  });

  it('rejection: every party hears it and the call is rejected', async () => {
    const { doctor, patient } = await people();
    const caller = await device(doctor);
    const phone = await device(patient);
    const laptop = await device(patient);
    const call = await place(doctor, [patient.user.id]);
    await phone.inbox.next('call:incoming');

    const res = await act(patient, call.id, 'reject');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ call: { status: 'rejected', endReason: 'rejected' } });
    for (const d of [caller, phone, laptop])
      expect(await d.inbox.next('call:rejected')).toEqual({
        callId: call.id,
        by: patient.user.id,
        status: 'rejected',
      });
    const done = await get(doctor, call.id);
    expect(done).toMatchObject({ status: 'rejected', durationSeconds: null });
    expect(done.participants[1]).toMatchObject({ state: 'declined' });
    // Too late now: refused with CONFLICT.
    expect((await act(patient, call.id, 'accept')).status).toBe(409);
    // Nobody joined its room, so no session was ever opened.
    expect(await sessionsOf(doctor, call.roomId)).toEqual([]);
  });

  it('cancel: the caller hangs up while ringing; the callee devices stop ringing', async () => {
    const { doctor, patient } = await people();
    const caller = await device(doctor);
    const phone = await device(patient);
    const started = await request(caller.socket, 'call:initiate', {
      calleeIds: [patient.user.id],
      type: 'video',
    });
    const callId = started.data?.callId as string;
    const incoming = await phone.inbox.next('call:incoming');
    expect(incoming).not.toHaveProperty('sdp');
    // The caller's app may join the call's room while it rings.
    const early = await request(caller.socket, 'room:join', { roomId: started.data?.roomId });
    expect(early.ok).toBe(true);

    // Only the caller cancels.
    expect((await request(phone.socket, 'call:cancel', { callId })).error?.code).toBe('CONFLICT');
    expect(await request(caller.socket, 'call:cancel', { callId })).toEqual({
      ok: true,
      data: { callId, status: 'cancelled' },
    });
    expect(await phone.inbox.next('call:cancelled')).toEqual({ callId });
    expect(await get(patient, callId)).toMatchObject({
      status: 'cancelled',
      endReason: 'cancelled',
    });
    const late = await request(phone.socket, 'call:accept', { callId });
    expect(late.error?.code).toBe('CONFLICT');
    // The call's room is closed with it, and the session the caller had opened is over.
    expect((await request(phone.socket, 'room:join', { roomId: started.data?.roomId })).ok).toBe(
      false,
    );
    await caller.inbox.next('room:session-ended');
    const sessions = await expectNoLiveSession(doctor, started.data?.roomId as string);
    expect(sessions).toHaveLength(1);
  });

  it('answered elsewhere: accepting over REST stops every device of the callee', async () => {
    const { doctor, patient } = await people();
    const caller = await device(doctor);
    const phone = await device(patient);
    const laptop = await device(patient);
    const call = await place(doctor, [patient.user.id]);
    await laptop.inbox.next('call:incoming');

    expect((await act(patient, call.id, 'accept')).status).toBe(200);
    expect(await caller.inbox.next('call:accepted')).toMatchObject({
      callId: call.id,
      by: patient.user.id,
      roomId: call.roomId,
      sessionId: expect.any(String),
    });
    for (const d of [phone, laptop])
      expect(await d.inbox.next('call:answered-elsewhere')).toEqual({ callId: call.id });
    expect(caller.inbox.of('call:answered-elsewhere')).toHaveLength(0);
    // Accepted over REST there is no accepting device: the callee's device joins itself.
    const joined = await request(laptop.socket, 'room:join', { roomId: call.roomId });
    expect(joined).toMatchObject({ ok: true, data: { polite: true } });
  });

  it('on accept, a call started over REST by a caller with two devices joins neither of them', async () => {
    const { doctor, patient } = await people();
    const desk = await device(doctor);
    const tablet = await device(doctor);
    const callee = await device(patient);
    const call = await place(doctor, [patient.user.id]);
    await callee.inbox.next('call:incoming');

    const accepted = await request(callee.socket, 'call:accept', { callId: call.id });
    // The accepting device is joined (first in the room, so not polite)…
    expect(accepted.data).toMatchObject({ sessionId: expect.any(String), polite: false });
    // …but the server cannot tell which of the caller's devices is in use: both hear the plain
    // event and the one in use joins.
    for (const d of [desk, tablet])
      expect(await d.inbox.next('call:accepted')).toEqual({
        callId: call.id,
        by: patient.user.id,
      });
    const joined = await request(tablet.socket, 'room:join', { roomId: call.roomId });
    expect(joined).toMatchObject({
      ok: true,
      data: { sessionId: accepted.data?.sessionId, polite: true },
    });
    expect(await callee.inbox.next('room:participant-joined')).toMatchObject({
      userId: doctor.user.id,
    });
  });

  it('race: two devices accepting at once — one wins, the other is refused and told', async () => {
    const { doctor, patient } = await people();
    const caller = await device(doctor);
    const phone = await device(patient);
    const laptop = await device(patient);
    const call = await place(doctor, [patient.user.id]);
    await phone.inbox.next('call:incoming');
    await laptop.inbox.next('call:incoming');

    const [a, b] = await Promise.all([
      request(phone.socket, 'call:accept', { callId: call.id, sdp: ANSWER }),
      request(laptop.socket, 'call:accept', { callId: call.id, sdp: ANSWER }),
    ]);
    expect([a.ok, b.ok].filter(Boolean)).toHaveLength(1);
    const [winner, loser] = a.ok ? [phone, laptop] : [laptop, phone];
    expect((a.ok ? b : a).error?.code).toBe('CONFLICT');
    expect(await loser.inbox.next('call:answered-elsewhere')).toEqual({ callId: call.id });
    expect(await caller.inbox.next('call:accepted')).toMatchObject({ by: patient.user.id });
    expect((await get(doctor, call.id)).status).toBe('active');
    // Only the winning device is in the call's room.
    const winnerAck = (a.ok ? a : b).data;
    expect(winnerAck).toMatchObject({ sessionId: expect.any(String) });
    expect(
      (
        await request(caller.socket, 'call:offer', {
          roomId: call.roomId,
          to: patient.user.id,
          sdp: OFFER,
        })
      ).ok,
    ).toBe(true);
    expect(await winner.inbox.next('call:offer')).toMatchObject({ from: doctor.user.id });

    // Emits to a device arrive in order: once call:ended is in, every earlier event is too.
    await request(caller.socket, 'call:end', { callId: call.id });
    for (const d of [caller, winner, loser]) await d.inbox.next('call:ended');
    expect(caller.inbox.of('call:accepted')).toHaveLength(1);
    expect(loser.inbox.of('call:answered-elsewhere')).toHaveLength(1);
    expect(winner.inbox.of('call:answered-elsewhere')).toHaveLength(0);
    expect(loser.inbox.of('call:offer')).toHaveLength(0);
    const accepts = (await actions(call.id)).filter((r) => r.action === 'call.accept');
    expect(accepts).toHaveLength(1);
  });

  it('race: accept against cancel — exactly one outcome, told to both sides', async () => {
    for (let round = 0; round < 3; round++) {
      const { doctor, patient } = await people();
      const caller = await device(doctor);
      const callee = await device(patient);
      const call = await place(doctor, [patient.user.id]);
      await callee.inbox.next('call:incoming');

      const [accept, cancel] = await Promise.all([
        request(callee.socket, 'call:accept', { callId: call.id }),
        request(caller.socket, 'call:cancel', { callId: call.id }),
      ]);
      expect([accept.ok, cancel.ok].filter(Boolean)).toHaveLength(1);
      const final = await get(doctor, call.id);
      if (accept.ok) {
        expect(cancel.error?.code).toBe('CONFLICT');
        expect(final.status).toBe('active');
        await caller.inbox.next('call:accepted');
        // Hang up: call:ended comes after anything the race could have sent.
        await request(caller.socket, 'call:end', { callId: call.id });
        for (const d of [caller, callee]) await d.inbox.next('call:ended');
        expect([
          ...caller.inbox.of('call:cancelled'),
          ...callee.inbox.of('call:cancelled'),
        ]).toHaveLength(0);
        expect(caller.inbox.of('call:accepted')).toHaveLength(1);
      } else {
        expect(accept.error?.code).toBe('CONFLICT');
        expect(final).toMatchObject({ status: 'cancelled', endReason: 'cancelled' });
        await callee.inbox.next('call:cancelled');
        await caller.inbox.next('call:cancelled');
        expect(caller.inbox.of('call:accepted')).toHaveLength(0);
        expect(callee.inbox.of('call:accepted')).toHaveLength(0);
        expect(await sessionsOf(doctor, call.roomId)).toEqual([]);
      }
      await expectNoLiveSession(doctor, call.roomId);
    }
  });

  it('race: accept against the ring timeout — exactly one outcome, told to both sides', async () => {
    for (let round = 0; round < 3; round++) {
      const { doctor, patient } = await people();
      const caller = await device(doctor);
      const callee = await device(patient);
      const call = await place(doctor, [patient.user.id]);
      await callee.inbox.next('call:incoming');

      const [accept] = await Promise.all([
        request(callee.socket, 'call:accept', { callId: call.id }),
        expireRingsNow(),
      ]);
      const final = await get(doctor, call.id);
      if (accept.ok) {
        expect(final.status).toBe('active');
        await caller.inbox.next('call:accepted');
        await request(callee.socket, 'call:end', { callId: call.id });
        for (const d of [caller, callee]) await d.inbox.next('call:ended');
        expect([...caller.inbox.of('call:missed'), ...callee.inbox.of('call:missed')]).toHaveLength(
          0,
        );
        expect(caller.inbox.of('call:accepted')).toHaveLength(1);
      } else {
        expect(accept.error?.code).toBe('CONFLICT');
        expect(final).toMatchObject({ status: 'missed', endReason: 'missed' });
        await caller.inbox.next('call:missed');
        await callee.inbox.next('call:missed');
        expect(caller.inbox.of('call:accepted')).toHaveLength(0);
        expect(callee.inbox.of('call:accepted')).toHaveLength(0);
      }
      await expectNoLiveSession(doctor, call.roomId);
    }
  });

  it('missed: an unanswered call becomes missed for both parties (sweep at the deadline)', async () => {
    const { doctor, patient } = await people();
    const caller = await device(doctor);
    const callee = await device(patient);
    const call = await place(doctor, [patient.user.id]);
    await callee.inbox.next('call:incoming');
    expect((await request(caller.socket, 'room:join', { roomId: call.roomId })).ok).toBe(true);
    expect(await t.app.get(CallsService).expireRinging(new Date())).toBe(0);
    expect(await expireRingsNow()).toBeGreaterThanOrEqual(1);
    expect(await caller.inbox.next('call:missed')).toEqual({ callId: call.id });
    expect(await callee.inbox.next('call:missed')).toEqual({ callId: call.id });
    for (const who of [doctor, patient]) {
      const res = await t
        .http()
        .get('/api/v1/calls?status=missed')
        .set(authHeader(who.accessToken));
      expect((res.body as { items: CallBody[] }).items.map((c) => c.id)).toEqual([call.id]);
    }
    expect((await get(patient, call.id)).participants[1]).toMatchObject({ state: 'missed' });
    // The session the waiting caller had opened ended with the call.
    await caller.inbox.next('room:session-ended');
    expect(await expectNoLiveSession(doctor, call.roomId)).toHaveLength(1);
  });

  it('history: filters by status, type and time, with cursor pagination', async () => {
    const { doctor, patient } = await people();
    const other = await signIn(t, Role.Patient);
    await related(doctor, other);
    const first = await place(doctor, [patient.user.id], 'audio');
    await act(doctor, first.id, 'cancel');
    const second = await place(doctor, [patient.user.id], 'video');
    await act(patient, second.id, 'reject');
    const third = await place(doctor, [other.user.id], 'audio');
    await act(other, third.id, 'accept');

    const list = async (
      who: SignedIn,
      query: string,
    ): Promise<{ items: CallBody[]; nextCursor: string | null }> => {
      const res = await t.http().get(`/api/v1/calls${query}`).set(authHeader(who.accessToken));
      expect(res.status).toBe(200);
      return res.body as { items: CallBody[]; nextCursor: string | null };
    };
    const page1 = await list(doctor, '?limit=2');
    expect(page1.items.map((c) => c.id)).toEqual([third.id, second.id]);
    expect(page1.nextCursor).toEqual(expect.any(String));
    const page2 = await list(doctor, `?limit=2&cursor=${page1.nextCursor}`);
    expect(page2).toEqual({ items: [expect.objectContaining({ id: first.id })], nextCursor: null });

    expect((await list(doctor, '?type=video')).items.map((c) => c.id)).toEqual([second.id]);
    expect((await list(doctor, '?status=active')).items.map((c) => c.id)).toEqual([third.id]);
    expect((await list(doctor, '?status=cancelled&type=audio')).items.map((c) => c.id)).toEqual([
      first.id,
    ]);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await list(doctor, `?from=${future}`)).items).toEqual([]);
    expect((await list(doctor, `?to=${future}`)).items).toHaveLength(3);
    // A callee's history holds their own calls only.
    expect((await list(patient, '')).items.map((c) => c.id)).toEqual([second.id, first.id]);
    expect((await list(other, '')).items.map((c) => c.id)).toEqual([third.id]);

    const bad = await t
      .http()
      .get('/api/v1/calls?status=bogus')
      .set(authHeader(doctor.accessToken));
    expect(bad.status).toBe(400);
    const badCursor = await t
      .http()
      .get('/api/v1/calls?cursor=nope')
      .set(authHeader(doctor.accessToken));
    expect(badCursor.status).toBe(400);
  });

  it('permission denial: a non-participant neither sees nor acts on a call', async () => {
    const { doctor, patient } = await people();
    const outsider = await signIn(t, Role.Doctor);
    const call = await place(doctor, [patient.user.id]);
    expect(
      (await t.http().get(`/api/v1/calls/${call.id}`).set(authHeader(outsider.accessToken))).status,
    ).toBe(404);
    for (const action of ['accept', 'reject', 'cancel', 'end'])
      expect((await act(outsider, call.id, action)).status).toBe(404);
    const socket = await device(outsider);
    expect((await request(socket.socket, 'call:accept', { callId: call.id })).error?.code).toBe(
      'NOT_FOUND',
    );
    expect(
      (await request(socket.socket, 'call:stats', { callId: call.id, rttMs: 1 })).error?.code,
    ).toBe('NOT_FOUND');
    expect((await request(socket.socket, 'room:join', { roomId: call.roomId })).ok).toBe(false);
    const history = await t.http().get('/api/v1/calls').set(authHeader(outsider.accessToken));
    expect((history.body as { items: unknown[] }).items).toEqual([]);
    expect((await t.http().get(`/api/v1/calls/${call.id}`)).status).toBe(401);
    expect((await get(patient, call.id)).id).toBe(call.id);
  });

  it('consent check point: the accept policy runs inside accept and can refuse it', async () => {
    const { doctor, patient } = await people();
    const callee = await device(patient);
    const call = await place(doctor, [patient.user.id]);
    await callee.inbox.next('call:incoming');
    // What the compliance module's policy does for a patient without telemedicine consent.
    const policy = jest
      .spyOn(t.app.get(CallAcceptPolicy), 'assertMayAccept')
      .mockRejectedValueOnce(new AppException(ErrorCode.ConsentRequired, 'Consent required.'));
    const refused = await act(patient, call.id, 'accept');
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'CONSENT_REQUIRED' });
    expect(policy).toHaveBeenCalledWith(
      expect.objectContaining({ id: patient.user.id }),
      call.id,
      expect.anything(),
    );
    expect((await get(doctor, call.id)).status).toBe('ringing');
    expect((await request(callee.socket, 'call:accept', { callId: call.id })).ok).toBe(true);
    policy.mockRestore();
  });

  it('initiation is validated and rate limited per user', async () => {
    const { doctor, patient } = await people();
    const post = (body: unknown) =>
      t
        .http()
        .post('/api/v1/calls')
        .set(authHeader(doctor.accessToken))
        .send(body as object);
    expect((await post({ calleeIds: [doctor.user.id], type: 'audio' })).status).toBe(400);
    expect((await post({ calleeIds: [], type: 'audio' })).status).toBe(400);
    expect((await post({ calleeIds: [patient.user.id], type: 'fax' })).status).toBe(400);
    expect((await post({ calleeIds: [patient.user.id], type: 'audio', extra: 1 })).status).toBe(
      400,
    );
    // An unknown callee is refused like one out of reach: the answer reveals nobody.
    expect(
      (await post({ calleeIds: ['6f1c7a4e-1b2c-4d3e-8f90-123456789abc'], type: 'audio' })).status,
    ).toBe(403);
    const caller = await device(doctor);
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++)
      statuses.push((await post({ calleeIds: [patient.user.id], type: 'audio' })).status);
    // The 403 above already counted: the limit is reached inside these ten.
    expect(statuses.filter((s) => s === 201).length).toBeLessThan(10);
    const limited = await post({ calleeIds: [patient.user.id], type: 'audio' });
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBeDefined();
    const bySocket = await request(caller.socket, 'call:initiate', {
      calleeIds: [patient.user.id],
      type: 'audio',
    });
    expect(bySocket.error?.code).toBe('RATE_LIMITED');
    // The same wait as REST's Retry-After: the seconds of the per-minute window.
    expect(bySocket.error?.retryAfter).toBe(Number(limited.headers['retry-after']));
  });

  it('notifier: a callee with no connected device gets a call.incoming push per registered device in the outbox', async () => {
    const { doctor, patient } = await people();
    const db = t.app.get(DataSource);
    // A registered phone (this app configures no push provider, so it is written directly).
    const [{ id: deviceId }] = await db.query<{ id: string }[]>(
      `INSERT INTO push_devices (user_id, platform, token) VALUES ($1, 'fcm', $2) RETURNING id`,
      [patient.user.id, `fcm-token-${patient.user.id}`],
    );
    const call = await place(doctor, [patient.user.id]);
    await until(async () => {
      const rows = await db.query<{ payload: Record<string, unknown> }[]>(
        `SELECT payload FROM notification_outbox
          WHERE channel = 'push' AND recipient = $1 AND kind = 'call.incoming'`,
        [deviceId],
      );
      return rows.some((r) => r.payload.callId === call.id);
    });
    await until(async () =>
      (await actions(call.id)).some(
        (r) => r.action === 'call.incoming_delivered' && r.details.devices === 0,
      ),
    );
  });

  it('audit: a full call leaves initiate, delivery, accept, answered-elsewhere and end, without SDP', async () => {
    const { doctor, patient } = await people();
    const caller = await device(doctor);
    const callee = await device(patient);
    const wire = tapWire();
    let callId: string;
    try {
      const started = await request(caller.socket, 'call:initiate', {
        calleeIds: [patient.user.id],
        type: 'video',
        sdp: OFFER,
      });
      callId = started.data?.callId as string;
      await callee.inbox.next('call:incoming');
      await until(async () => (await actions(callId)).length >= 2);
      await request(callee.socket, 'call:accept', { callId, sdp: ANSWER });
      await request(callee.socket, 'call:end', { callId });
      await caller.inbox.next('call:ended');
    } finally {
      wire.restore();
    }
    // Every audited transaction of the flow (initiate, the deliveries' group commit, accept,
    // end) locks the chain's head only with its COMMIT.
    const audited = wire
      .transactions()
      .filter((x) => x.statements.some((q) => q.includes('audit_chain_head')));
    expect(audited.length).toBeGreaterThanOrEqual(4);
    // And each of their round trips left in one write to the socket, not one per statement
    // (docs/calls.md, "Round trips of the accept").
    const all = wire.transactions();
    const sum = (f: (x: WireTransaction) => number): number => all.reduce((a, x) => a + f(x), 0);
    expect(sum((x) => x.writes)).toBeLessThanOrEqual(sum(roundTripsOf));
    expect(sum((x) => x.writes)).toBeLessThan(sum((x) => x.statements.length));
    expect(audited.filter((x) => !chainLockedAtCommit(x))).toEqual([]);
    const rows = await actions(callId);
    expect(rows.map((r) => r.action)).toEqual([
      'call.initiate',
      'call.incoming_delivered',
      'call.accept',
      'call.answered_elsewhere',
      'call.end',
    ]);
    expect(rows[1]?.details).toMatchObject({ devices: 1 });
    expect(rows[4]?.details).toMatchObject({ status: 'ended', reason: 'completed' });
    expect(JSON.stringify(rows)).not.toContain('v=0');
  });

  it('accept over signaling: the call’s change and both devices’ joins commit in one transaction, records in order', async () => {
    const { doctor, patient, caller, callee, callId, roomId } = await ringingCall();
    await until(async () => (await actions(callId)).length >= 2);

    const wire = tapWire();
    let accepted: Awaited<ReturnType<typeof request>>;
    try {
      accepted = await request(callee.socket, 'call:accept', { callId });
    } finally {
      wire.restore();
    }
    expect(accepted.data).toMatchObject({ roomId, sessionId: expect.any(String), polite: true });
    const sessionId = accepted.data?.sessionId as string;
    const transaction = wire
      .transactions()
      .find((c) => c.statements.some((x) => x.includes('session_participants')));
    // One transaction from START to COMMIT, in at most 9 round trips (docs/calls.md, "What
    // the server does on accept": START, the call's lock with its reads, the consent check, the
    // call's and the callee's updates with the pushes' follow-up, the room's lock with members,
    // session and knocks, then the names, the session with the first stay, the second stay, the
    // COMMIT with the five records); 10 before the session and its first stay went in one
    // statement, 11 before the follow-up went with the updates, 18 before the reads went behind
    // their locks, 39 in three transactions before that.
    expect(transaction?.statements.at(-1)).toBe('COMMIT');
    expect(transaction && roundTripsOf(transaction)).toBeLessThanOrEqual(9);
    expect(transaction && chainLockedAtCommit(transaction)).toBe(true);
    // A round trip's statements leave in one write to the socket, not one write each (a
    // connection's statements are corked per tick, src/infra/database/typeorm-options.ts).
    expect(transaction?.writes).toBeLessThanOrEqual(transaction ? roundTripsOf(transaction) : 0);
    expect(await caller.inbox.next('call:accepted')).toMatchObject({
      sessionId,
      polite: false,
      participants: [expect.objectContaining({ userId: patient.user.id })],
    });

    const db = t.app.get(DataSource);
    const records = (): Promise<{ action: string; actor: string; tx: string }[]> =>
      db.query(
        `SELECT action, actor_user_id AS actor, xmin::text AS tx FROM audit_events
          WHERE resource_id = ANY($1) AND action <> ALL($2) ORDER BY seq`,
        [
          [callId, roomId],
          ['call.initiate', 'call.incoming_delivered'],
        ],
      );
    const rows = await records();
    // The same records, in the same order, as when each join was a transaction of its own.
    expect(rows.map((r) => [r.action, r.actor])).toEqual([
      ['call.accept', patient.user.id],
      ['call.answered_elsewhere', patient.user.id],
      ['session.start', doctor.user.id],
      ['room.join', doctor.user.id],
      ['room.join', patient.user.id],
    ]);
    // One transaction wrote them all, the call's update and both stays (one xmin).
    const tx = rows[0]?.tx;
    expect(new Set(rows.map((r) => r.tx))).toEqual(new Set([tx]));
    const [call] = await db.query<{ tx: string }[]>(
      `SELECT xmin::text AS tx FROM calls WHERE id = $1`,
      [callId],
    );
    expect(call?.tx).toBe(tx);
    const stays = await db.query<{ userId: string; tx: string }[]>(
      `SELECT user_id AS "userId", xmin::text AS tx FROM session_participants WHERE session_id = $1`,
      [sessionId],
    );
    expect(stays.map((s) => s.userId).sort()).toEqual([doctor.user.id, patient.user.id].sort());
    expect(stays.every((s) => s.tx === tx)).toBe(true);

    // A second accept changes nothing; a `room:join` from a joined device gets its answer again.
    const again = await request(callee.socket, 'call:accept', { callId });
    expect(again.error?.code).toBe('CONFLICT');
    const rejoined = await request(callee.socket, 'room:join', { roomId });
    expect(rejoined).toMatchObject({ ok: true, data: { sessionId, polite: true } });
    expect(caller.inbox.of('room:participant-joined')).toHaveLength(1);
    expect((await records()).slice(0, 5)).toEqual(rows);
  });

  it('accept over signaling: a caller’s device the join policy refuses stays out, and the accept stands', async () => {
    const { doctor, patient, caller, callee, callId, roomId } = await ringingCall();
    // The join policy refuses the caller (what it does for a patient without consent); the
    // accepting device was checked by the accept's own policy and is not asked again.
    const policy = jest
      .spyOn(t.app.get(RoomJoinPolicy), 'assertMayJoin')
      .mockRejectedValueOnce(new AppException(ErrorCode.ConsentRequired, 'Consent required.'));
    try {
      const accepted = await request(callee.socket, 'call:accept', { callId });
      expect(accepted.data).toMatchObject({ roomId, sessionId: expect.any(String), polite: false });
      expect(policy).toHaveBeenCalledTimes(1);
      expect(policy).toHaveBeenCalledWith(
        expect.objectContaining({ id: doctor.user.id }),
        roomId,
        expect.anything(),
      );
    } finally {
      policy.mockRestore();
    }
    expect(await caller.inbox.next('call:accepted')).toEqual({ callId, by: patient.user.id });
    expect((await get(doctor, callId)).status).toBe('active');
    const denied = await t.app.get(DataSource).query<{ outcome: string; actor: string }[]>(
      `SELECT outcome, actor_user_id AS actor FROM audit_events
          WHERE resource_id = $1 AND action = 'room.join' ORDER BY seq`,
      [roomId],
    );
    expect(denied).toEqual([
      { outcome: 'denied', actor: doctor.user.id },
      { outcome: 'success', actor: patient.user.id },
    ]);
    // The caller's device can still join itself.
    const joined = await request(caller.socket, 'room:join', { roomId });
    expect(joined).toMatchObject({ ok: true, data: { polite: true } });
  });

  it('group audio: mixed responses — joined, declined, missed — and the call stays active while two are in', async () => {
    const doctor = await signIn(t, Role.Doctor);
    const [p1, p2, p3] = [
      await signIn(t, Role.Patient),
      await signIn(t, Role.Patient),
      await signIn(t, Role.Patient),
    ];
    await related(doctor, p1, p2, p3);
    const caller = await device(doctor);
    const d1 = await device(p1);
    const d2 = await device(p2);
    const d3 = await device(p3);
    const call = await place(doctor, [p1.user.id, p2.user.id, p3.user.id], 'audio');
    for (const d of [d1, d2, d3]) await d.inbox.next('call:incoming');

    expect((await request(d2.socket, 'call:reject', { callId: call.id })).data).toEqual({
      callId: call.id,
      status: 'ringing',
    });
    await caller.inbox.next('call:rejected');
    const accepted = await request(d1.socket, 'call:accept', { callId: call.id });
    expect(accepted.data).toMatchObject({
      sessionId: expect.any(String),
      participants: [{ userId: doctor.user.id }],
    });
    expect(await caller.inbox.next('call:accepted')).toMatchObject({
      by: p1.user.id,
      sessionId: accepted.data?.sessionId,
    });
    // The others still ringing hear the accept too, without a join.
    expect(await d3.inbox.next('call:accepted')).toEqual({ callId: call.id, by: p1.user.id });
    await expireRingsNow();
    expect(await d3.inbox.next('call:missed')).toEqual({ callId: call.id });
    const mid = await get(doctor, call.id);
    expect(mid.status).toBe('active');
    expect(mid.participants.map((p) => [p.userId, p.state])).toEqual([
      [doctor.user.id, 'joined'],
      [p1.user.id, 'joined'],
      [p2.user.id, 'declined'],
      [p3.user.id, 'missed'],
    ]);
    expect(caller.inbox.of('call:missed')).toHaveLength(0);

    // One of two leaves: fewer than two remain, so it ends for everyone.
    expect((await request(d1.socket, 'call:end', { callId: call.id })).data).toMatchObject({
      status: 'ended',
    });
    expect(await caller.inbox.next('call:ended')).toMatchObject({
      callId: call.id,
      reason: 'completed',
    });
    const [session] = await expectNoLiveSession(doctor, call.roomId);
    expect(session?.participants.map((p) => p.userId).sort()).toEqual(
      [doctor.user.id, p1.user.id].sort(),
    );
  });

  it('group video: a participant leaving keeps the call active for the other two until the caller ends it', async () => {
    const doctor = await signIn(t, Role.Doctor);
    const [p1, p2] = [await signIn(t, Role.Patient), await signIn(t, Role.Patient)];
    await related(doctor, p1, p2);
    const caller = await device(doctor);
    const d1 = await device(p1);
    const d2 = await device(p2);
    const call = await place(doctor, [p1.user.id, p2.user.id], 'video');
    await d1.inbox.next('call:incoming');
    await d2.inbox.next('call:incoming');
    // Each accept joins that device to the call's room (the caller's device with the first).
    const first = await request(d1.socket, 'call:accept', { callId: call.id });
    expect(first.data?.participants).toEqual([expect.objectContaining({ userId: doctor.user.id })]);
    await caller.inbox.next('call:accepted', (p) => p.by === p1.user.id);
    const second = await request(d2.socket, 'call:accept', { callId: call.id });
    expect(second.data).toMatchObject({ sessionId: first.data?.sessionId, polite: true });
    expect((second.data?.participants as { userId: string }[]).map((p) => p.userId).sort()).toEqual(
      [doctor.user.id, p1.user.id].sort(),
    );
    // The caller was already in: the second accept comes without a join of its own.
    expect(await caller.inbox.next('call:accepted', (p) => p.by === p2.user.id)).toEqual({
      callId: call.id,
      by: p2.user.id,
    });
    for (const d of [caller, d1])
      await d.inbox.next('room:participant-joined', (p) => p.userId === p2.user.id);
    // Everyone in the group call's room negotiates pairwise through the relay.
    await request(d1.socket, 'call:offer', { roomId: call.roomId, to: p2.user.id, sdp: OFFER });
    expect(await d2.inbox.next('call:offer')).toMatchObject({ from: p1.user.id });

    expect((await request(d2.socket, 'call:end', { callId: call.id })).data).toMatchObject({
      status: 'active',
    });
    expect(await caller.inbox.next('call:participant-left')).toEqual({
      callId: call.id,
      userId: p2.user.id,
    });
    // Leaving the call is leaving its room.
    for (const d of [caller, d1])
      expect(await d.inbox.next('room:participant-left')).toEqual({
        roomId: call.roomId,
        userId: p2.user.id,
      });
    const mid = await get(p1, call.id);
    expect(mid.status).toBe('active');
    expect(mid.participants.find((p) => p.userId === p2.user.id)?.state).toBe('left');

    expect((await act(doctor, call.id, 'end')).status).toBe(200);
    for (const d of [d1, d2]) await d.inbox.next('call:ended');
    expect(await get(p2, call.id)).toMatchObject({ status: 'ended', endReason: 'completed' });
    const [session] = await expectNoLiveSession(doctor, call.roomId);
    expect(session?.participants).toHaveLength(3);
  });

  it('reconnection and network failure: a socket dropped mid-call resumes within the grace and the call goes on', async () => {
    const { doctor, patient } = await people();
    const caller = await device(doctor);
    const callee = await device(patient);
    const call = await place(doctor, [patient.user.id], 'video');
    await callee.inbox.next('call:incoming');
    const accepted = await request(callee.socket, 'call:accept', { callId: call.id });
    expect(accepted.data).toMatchObject({ sessionId: expect.any(String) });
    await caller.inbox.next('room:participant-joined');

    // The network drops the callee's socket.
    callee.socket.disconnect();
    const back = await device(patient);
    const resumed = await request(back.socket, 'room:join', { roomId: call.roomId });
    // The same session goes on.
    expect(resumed).toMatchObject({ ok: true, data: { sessionId: accepted.data?.sessionId } });
    expect(caller.inbox.of('room:participant-left')).toHaveLength(0);
    expect((await get(doctor, call.id)).status).toBe('active');
    await request(caller.socket, 'call:offer', {
      roomId: call.roomId,
      to: patient.user.id,
      sdp: OFFER,
    });
    expect(await back.inbox.next('call:offer')).toMatchObject({ from: doctor.user.id, sdp: OFFER });
    expect((await request(back.socket, 'call:end', { callId: call.id })).ok).toBe(true);
    await caller.inbox.next('call:ended');
  });
});

describe('direct calls: configured limits', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      env: {
        CALL_MAX_CALLEES: '2',
        CALL_INITIATE_RATE_PER_MINUTE: '2',
        AUTH_RATE_LIMIT_PER_MINUTE: '1000',
      },
    });
  });
  afterAll(() => t.close());

  it('CALL_MAX_CALLEES and CALL_INITIATE_RATE_PER_MINUTE bound what one user may start', async () => {
    const doctor = await signIn(t, Role.Doctor);
    const [p1, p2, p3] = [
      await signIn(t, Role.Patient),
      await signIn(t, Role.Patient),
      await signIn(t, Role.Patient),
    ];
    for (const p of [p1, p2, p3]) await careRoom(t, doctor, p);
    // Each patient has one registered phone (written directly: no push provider here).
    for (const p of [p1, p2, p3])
      await t.app
        .get(DataSource)
        .query(`INSERT INTO push_devices (user_id, platform, token) VALUES ($1, 'fcm', $2)`, [
          p.user.id,
          `fcm-token-${p.user.id}`,
        ]);
    const post = (calleeIds: string[]) =>
      t
        .http()
        .post('/api/v1/calls')
        .set(authHeader(doctor.accessToken))
        .send({ calleeIds, type: 'audio' });
    const tooMany = await post([p1.user.id, p2.user.id, p3.user.id]);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body).toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: [{ field: 'calleeIds', messages: ['must contain no more than 2 elements'] }],
    });
    // The refused attempt did not count against the rate.
    expect((await post([p1.user.id, p2.user.id])).status).toBe(201);
    expect((await post([p3.user.id])).status).toBe(201);
    expect((await post([p3.user.id])).status).toBe(429);
    // Nobody had a socket connected: each of the three rings went to the outbox as a push.
    await until(async () => {
      const [row] = await t.app
        .get(DataSource)
        .query<{ n: number }[]>(
          `SELECT count(*)::int AS n FROM notification_outbox WHERE kind = 'call.incoming'`,
        );
      return row?.n === 3;
    });
  });
});
