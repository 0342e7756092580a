import { Role } from '../../src/common/auth/role';
import { authHeader, signIn, type SignedIn } from '../support/auth';
import { acceptInvitation, careRoom, inviteToRoom } from '../support/care';
import { type Client, connect, Inbox, request, until } from '../support/signaling-client';
import { createTestApp, type TestApp } from '../support/test-app';
import { type VerifiedEvent, WebhookReceiver } from '../support/webhook-receiver';

// The call and participant events (docs/notifications.md#events), published by the calls and
// sessions modules in the transactions of their changes, as an integrator receives them.
const RING_SECONDS = 5;

describe('webhook events of calls and participants', () => {
  const receiver = new WebhookReceiver();
  let t: TestApp;
  let admin: SignedIn;
  let doctor: SignedIn;
  let patient: SignedIn;
  let secret: string;
  let sessionSecret: string;
  const open: Client[] = [];

  beforeAll(async () => {
    await receiver.start();
    t = await createTestApp({
      listen: true,
      env: {
        NOTIFY_RELAY_ENABLED: 'true',
        NOTIFY_POLL_INTERVAL_MS: '50',
        WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
        CALL_RING_TIMEOUT_SECONDS: String(RING_SECONDS),
        AUTH_RATE_LIMIT_PER_MINUTE: '1000',
      },
    });
    admin = await signIn(t, Role.Admin);
    const register = async (path: string, events: string[]): Promise<string> => {
      const res = await t
        .http()
        .post('/api/v1/admin/webhooks')
        .set(authHeader(admin.accessToken))
        .send({ url: `${receiver.url}${path}`, events });
      expect(res.status).toBe(201);
      return (res.body as { secret: string }).secret;
    };
    secret = await register('/events', ['call.*', 'participant.*']);
    sessionSecret = await register('/sessions', ['session.ended']);
    doctor = await signIn(t, Role.Doctor);
    patient = await signIn(t, Role.Patient);
    await careRoom(t, doctor, patient);
  });
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
  });
  afterAll(async () => {
    await t?.close();
    await receiver.stop();
  });

  async function device(who: SignedIn): Promise<{ socket: Client; inbox: Inbox }> {
    const socket = await connect(t, { token: who.accessToken });
    open.push(socket);
    return { socket, inbox: new Inbox(socket) };
  }

  // Every delivery to /events so far, signature-verified, that concerns `key` = `value`.
  const events = (key: string, value: string): VerifiedEvent[] =>
    receiver.verified('/events', secret).filter((e) => e.data[key] === value);
  // The relay sends a batch at once, so deliveries may arrive in any order: sorted.
  const types = (key: string, value: string): string[] =>
    events(key, value)
      .map((e) => e.type)
      .sort();
  const one = (key: string, value: string, type: string): Record<string, unknown> => {
    const found = events(key, value).filter((e) => e.type === type);
    expect(found).toHaveLength(1);
    return found[0].data;
  };

  it('ring, answer and hang up: initiated, accepted, ended, and both stays leave the call room', async () => {
    const d = await device(doctor);
    const p = await device(patient);
    const started = await request(d.socket, 'call:initiate', {
      calleeIds: [patient.user.id],
      type: 'video',
    });
    expect(started.ok).toBe(true);
    const callId = started.data?.callId as string;
    const roomId = started.data?.roomId as string;
    await p.inbox.next('call:incoming');
    const accepted = await request(p.socket, 'call:accept', { callId });
    expect(accepted.ok).toBe(true);
    const sessionId = accepted.data?.sessionId as string;
    await t
      .http()
      .post(`/api/v1/calls/${callId}/end`)
      .set(authHeader(doctor.accessToken))
      .expect(200);

    await until(
      () => types('callId', callId).length === 3 && types('sessionId', sessionId).length === 2,
    );
    expect(types('callId', callId)).toEqual(['call.accepted', 'call.ended', 'call.initiated']);
    const ids = { callId, roomId, callerId: doctor.user.id, calleeIds: [patient.user.id] };
    expect(one('callId', callId, 'call.initiated')).toEqual({
      ...ids,
      type: 'video',
      status: 'ringing',
      initiatedAt: expect.any(String),
    });
    expect(one('callId', callId, 'call.accepted')).toEqual({
      ...ids,
      type: 'video',
      status: 'active',
      userId: patient.user.id,
      acceptedAt: expect.any(String),
    });
    expect(one('callId', callId, 'call.ended')).toEqual({
      ...ids,
      type: 'video',
      status: 'ended',
      reason: 'completed',
      startedAt: expect.any(String),
      endedAt: expect.any(String),
    });
    // The call's room closed with the call: each stay in its session ended there.
    const left = events('sessionId', sessionId);
    expect(left.map((e) => [e.type, e.data.userId, e.data.reason]).sort()).toEqual(
      [
        ['participant.left', doctor.user.id, 'call-ended'],
        ['participant.left', patient.user.id, 'call-ended'],
      ].sort(),
    );
    expect(left[0].data).toEqual({
      roomId,
      sessionId,
      userId: expect.any(String),
      reason: 'call-ended',
      leftAt: expect.any(String),
    });
    // And the session ended with it, for the endpoint subscribed to that.
    await until(() =>
      receiver.verified('/sessions', sessionSecret).some((e) => e.data.sessionId === sessionId),
    );
    expect(
      receiver.verified('/sessions', sessionSecret).find((e) => e.data.sessionId === sessionId),
    ).toMatchObject({ type: 'session.ended', data: { roomId, reason: 'call-ended' } });
    // Each event is its own delivery, with its own webhook-id; no names travel.
    const all = receiver.verified('/events', secret);
    expect(new Set(all.map((e) => e.webhookId)).size).toBe(all.length);
    expect(JSON.stringify(all)).not.toMatch(/displayName|email|sdp/i);
  });

  it('ring and cancel; ring and refuse', async () => {
    const place = async (): Promise<string> => {
      const res = await t
        .http()
        .post('/api/v1/calls')
        .set(authHeader(doctor.accessToken))
        .send({ calleeIds: [patient.user.id], type: 'audio' })
        .expect(201);
      return (res.body as { call: { id: string } }).call.id;
    };
    const cancelled = await place();
    await t
      .http()
      .post(`/api/v1/calls/${cancelled}/cancel`)
      .set(authHeader(doctor.accessToken))
      .expect(200);
    const rejected = await place();
    await t
      .http()
      .post(`/api/v1/calls/${rejected}/reject`)
      .set(authHeader(patient.accessToken))
      .expect(200);

    await until(
      () => types('callId', cancelled).length === 2 && types('callId', rejected).length === 2,
    );
    expect(types('callId', cancelled)).toEqual(['call.cancelled', 'call.initiated']);
    expect(one('callId', cancelled, 'call.cancelled')).toMatchObject({
      userId: doctor.user.id,
      status: 'cancelled',
      type: 'audio',
      cancelledAt: expect.any(String),
    });
    expect(types('callId', rejected)).toEqual(['call.initiated', 'call.rejected']);
    expect(one('callId', rejected, 'call.rejected')).toMatchObject({
      userId: patient.user.id,
      status: 'rejected',
      rejectedAt: expect.any(String),
    });
  });

  it('a ring nobody answers is missed when its timeout runs out', async () => {
    const d = await device(doctor);
    const started = await request(d.socket, 'call:initiate', {
      calleeIds: [patient.user.id],
      type: 'audio',
    });
    const callId = started.data?.callId as string;
    // Any instance's housekeeping tick expires the ring after CALL_RING_TIMEOUT_SECONDS.
    await until(() => types('callId', callId).length === 2, (RING_SECONDS + 15) * 1000);
    expect(types('callId', callId)).toEqual(['call.initiated', 'call.missed']);
    const missed = one('callId', callId, 'call.missed');
    expect(missed).toMatchObject({
      status: 'missed',
      userIds: [patient.user.id],
      missedAt: expect.any(String),
    });
    const initiated = one('callId', callId, 'call.initiated');
    expect(
      Date.parse(missed.missedAt as string) - Date.parse(initiated.initiatedAt as string),
    ).toBeGreaterThanOrEqual(RING_SECONDS * 1000);
  }, 30_000);

  it('a waiting room: the knock waits, the host admits, the patient leaves', async () => {
    const roomId = await inviteToRoom(t, doctor, [patient], { waitingRoom: true });
    await acceptInvitation(t, patient, roomId);
    const p = await device(patient);
    const d = await device(doctor);
    expect((await request(p.socket, 'room:join', { roomId })).data).toEqual({ waiting: true });
    const hostJoin = await request(d.socket, 'room:join', { roomId });
    const sessionId = hostJoin.data?.sessionId as string;
    expect((await request(d.socket, 'room:admit', { roomId, userId: patient.user.id })).ok).toBe(
      true,
    );
    await p.inbox.next('room:admitted');
    expect((await request(p.socket, 'room:leave', { roomId })).ok).toBe(true);

    await until(() => types('roomId', roomId).length === 3);
    expect(types('roomId', roomId)).toEqual([
      'participant.admitted',
      'participant.left',
      'participant.waiting',
    ]);
    // The knock came before the host opened a session.
    expect(one('roomId', roomId, 'participant.waiting')).toEqual({
      roomId,
      sessionId: null,
      userId: patient.user.id,
      waitingAt: expect.any(String),
    });
    expect(one('roomId', roomId, 'participant.admitted')).toEqual({
      roomId,
      sessionId,
      userId: patient.user.id,
      admittedBy: doctor.user.id,
      admittedAt: expect.any(String),
    });
    expect(one('roomId', roomId, 'participant.left')).toEqual({
      roomId,
      sessionId,
      userId: patient.user.id,
      reason: 'left',
      leftAt: expect.any(String),
    });
  });

  it('a knock that ends without admission: participant.left without a session', async () => {
    const roomId = await inviteToRoom(t, doctor, [patient], { waitingRoom: true });
    await acceptInvitation(t, patient, roomId);
    const p = await device(patient);
    expect((await request(p.socket, 'room:join', { roomId })).data).toEqual({ waiting: true });
    p.socket.close();

    await until(() => types('roomId', roomId).length === 2);
    expect(types('roomId', roomId)).toEqual(['participant.left', 'participant.waiting']);
    expect(one('roomId', roomId, 'participant.left')).toEqual({
      roomId,
      sessionId: null,
      userId: patient.user.id,
      reason: 'disconnected',
      leftAt: expect.any(String),
    });
  });
});
