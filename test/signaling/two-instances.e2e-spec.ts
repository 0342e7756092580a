import { Redis } from 'ioredis';
import { Role } from '../../src/common/auth/role';
import { InstanceLiveness } from '../../src/modules/sessions/instance-liveness.service';
import { signIn, type SignedIn } from '../support/auth';
import { careRoom } from '../support/care';
import { Inbox, request, until } from '../support/signaling-client';
import { TEST_REDIS_URL } from '../support/test-env';
import type { TestApp } from '../support/test-app';
import { startTwoInstances, type TwoInstances } from '../support/two-instances';

const SDP = 'v=0\r\ns=-\r\n';

// Two Hekim instances on one database and one Redis prefix, as behind a load balancer: the
// Socket.IO Redis adapter carries emits between them, room state lives in PostgreSQL.
describe('signaling across two instances', () => {
  let two: TwoInstances;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    two = await startTwoInstances({ SIGNALING_RECONNECT_GRACE_SECONDS: '1' });
    ({ a, b } = two);
  });
  afterAll(() => two?.close());

  const on = (t: TestApp, token: string) => two.on(t, token);

  // A room of the doctor's that the patient was invited to and accepted.
  function room(t: TestApp, doctor: SignedIn, patient: SignedIn, waitingRoom = false) {
    return careRoom(t, doctor, patient, { name: 'Across', waitingRoom });
  }

  // A doctor on A and a patient on B, both joined in a new room of the doctor's.
  async function joinedAcross() {
    const doctor = await signIn(a, Role.Doctor);
    const patient = await signIn(a, Role.Patient);
    const roomId = await room(a, doctor, patient);
    const d = await on(a, doctor.accessToken);
    const p = await on(b, patient.accessToken);
    await request(d.socket, 'room:join', { roomId });
    await request(p.socket, 'room:join', { roomId });
    return { doctor, patient, roomId, d, p };
  }

  it('negotiates between a client on each instance, one device per room across them', async () => {
    const doctor = await signIn(a, Role.Doctor);
    const patient = await signIn(a, Role.Patient);
    const roomId = await room(a, doctor, patient);
    const d = await on(a, doctor.accessToken);
    const p = await on(b, patient.accessToken);

    const dj = await request(d.socket, 'room:join', { roomId });
    const pj = await request(p.socket, 'room:join', { roomId });
    expect(pj.data).toMatchObject({ sessionId: dj.data?.sessionId, polite: true });
    await d.inbox.next('room:participant-joined', (e) => e.userId === patient.user.id);

    await request(d.socket, 'call:offer', { roomId, to: patient.user.id, sdp: SDP });
    expect(await p.inbox.next('call:offer')).toEqual({ roomId, from: doctor.user.id, sdp: SDP });
    await request(p.socket, 'call:answer', { roomId, to: doctor.user.id, sdp: SDP });
    expect(await d.inbox.next('call:answer')).toEqual({ roomId, from: patient.user.id, sdp: SDP });
    const candidate = {
      candidate: 'candidate:1 1 udp 1 192.0.2.1 9 typ host',
      sdpMid: '0',
      sdpMLineIndex: 0,
    };
    await request(p.socket, 'call:ice-candidate', { roomId, to: doctor.user.id, candidate });
    expect(await d.inbox.next('call:ice-candidate')).toEqual({
      roomId,
      from: patient.user.id,
      candidate,
    });

    // A non-member on instance B cannot join a room whose members are on A.
    const stranger = await signIn(b, Role.Patient);
    const s = await on(b, stranger.accessToken);
    expect((await request(s.socket, 'room:join', { roomId })).error?.code).toBe('NOT_FOUND');

    // The patient's second device on A replaces the one on B.
    const p2 = await on(a, patient.accessToken);
    await request(p2.socket, 'room:join', { roomId });
    expect(await p.inbox.next('room:replaced')).toEqual({ roomId });
    await request(d.socket, 'call:offer', { roomId, to: patient.user.id, sdp: 'v=0 second' });
    await p2.inbox.next('call:offer');
    expect(p.inbox.of('call:offer')).toHaveLength(1);
  });

  it('carries a burst of relays to the other instance in order, on the channel of that instance alone', async () => {
    const { doctor, patient, roomId, d, p } = await joinedAcross();
    await d.inbox.next('room:participant-joined', (e) => e.userId === patient.user.id);

    // What goes over the relay channels, seen from two more Redis connections.
    const watcher = new Redis(TEST_REDIS_URL);
    const publisher = new Redis(TEST_REDIS_URL);
    const seen: { channel: string; message: string }[] = [];
    watcher.on('pmessage', (_pattern: string, channel: string, message: string) => {
      seen.push({ channel, message });
    });
    const toA = `${a.config.redis.keyPrefix}relay#${a.app.get(InstanceLiveness).instanceId}`;
    try {
      await watcher.psubscribe(`${a.config.redis.keyPrefix}relay#*`);
      // What is not a batch on A's channel is dropped; A goes on relaying.
      expect(await publisher.publish(toA, '{not a batch')).toBe(2);

      const sent = Array.from({ length: 40 }, (_, n) => ({
        candidate: `candidate:${n} 1 udp 1 192.0.2.1 9 typ host`,
        sdpMid: '0',
        sdpMLineIndex: 0,
      }));
      const acks = await Promise.all(
        sent.map((candidate) =>
          request(p.socket, 'call:ice-candidate', { roomId, to: doctor.user.id, candidate }),
        ),
      );
      expect(acks.every((x) => x.ok)).toBe(true);
      await until(() => d.inbox.of('call:ice-candidate').length >= 40);
      expect(d.inbox.of('call:ice-candidate')).toEqual(
        sent.map((candidate) => ({ roomId, from: patient.user.id, candidate })),
      );
      // Every relay went to A's channel alone (B, the sender, received none of its own).
      const batches = seen.slice(1);
      expect(batches.every((x) => x.channel === toA)).toBe(true);
      const relays = batches.map((x) => (JSON.parse(x.message) as unknown[]).length / 3);
      expect(relays.reduce((n, k) => n + k, 0)).toBe(40);
    } finally {
      watcher.disconnect();
      publisher.disconnect();
    }
  });

  it('runs the waiting room across instances', async () => {
    const doctor = await signIn(a, Role.Doctor);
    const patient = await signIn(a, Role.Patient);
    const roomId = await room(a, doctor, patient, true);
    const h = await on(a, doctor.accessToken);
    const p = await on(b, patient.accessToken);
    expect((await request(p.socket, 'room:join', { roomId })).data).toEqual({ waiting: true });
    await h.inbox.next(
      'room:waiting',
      (e) => (e.user as { userId: string }).userId === patient.user.id,
    );
    const hj = await request(h.socket, 'room:join', { roomId });
    expect((await request(h.socket, 'room:admit', { roomId, userId: patient.user.id })).ok).toBe(
      true,
    );
    expect(await p.inbox.next('room:admitted')).toMatchObject({
      roomId,
      sessionId: hj.data?.sessionId,
    });
    await request(p.socket, 'call:offer', { roomId, to: doctor.user.id, sdp: SDP });
    await h.inbox.next('call:offer');
  });

  it('expires the reconnect grace of a client whose instance went away', async () => {
    const { patient, roomId, d, p } = await joinedAcross();
    // Instance B shuts down: its clients are told to reconnect and their grace starts; A,
    // the survivor, fires the deadline.
    const draining = new Inbox(p.socket);
    await two.stop(b);
    expect(
      draining.of('server:draining').length + p.inbox.of('server:draining').length,
    ).toBeGreaterThan(0);
    expect(await d.inbox.next('room:participant-left')).toEqual({
      roomId,
      userId: patient.user.id,
    });
  });
});
