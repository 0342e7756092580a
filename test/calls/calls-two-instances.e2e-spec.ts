import { randomBytes } from 'node:crypto';
import { Role } from '../../src/common/auth/role';
import { authHeader, signIn } from '../support/auth';
import { type Client, connect, Inbox, request } from '../support/signaling-client';
import {
  createTestApp,
  createTestDatabase,
  deleteRedisKeys,
  type TestApp,
  type TestDatabase,
} from '../support/test-app';

// The ring timeout is a deadline in PostgreSQL that every instance sweeps, so it fires even
// when the instance that started the call is gone.
describe('call ring timeout across two instances', () => {
  let db: TestDatabase;
  const prefix = `hekim-test:${randomBytes(6).toString('hex')}:`;
  let a: TestApp;
  let b: TestApp;
  let aClosed = false;
  const sockets: Client[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    const env = { CALL_RING_TIMEOUT_SECONDS: '5', SIGNALING_RECONNECT_GRACE_SECONDS: '1' };
    a = await createTestApp({ db, redisPrefix: prefix, listen: true, env });
    b = await createTestApp({
      db,
      redisPrefix: prefix,
      listen: true,
      env: {
        ...env,
        JWT_SECRET: a.config.auth.jwtSecret,
        TURN_SECRET: a.config.ice.turnSecret,
        AUDIT_SIGNING_KEY: a.config.audit.signingKey,
        DATA_ENCRYPTION_KEY: a.config.encryption.dataEncryptionKey,
      },
    });
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    if (!aClosed) await a?.close();
    await b?.close().catch(() => undefined);
    await db?.drop();
    await deleteRedisKeys(prefix);
  });

  async function on(t: TestApp, token: string): Promise<{ socket: Client; inbox: Inbox }> {
    const socket = await connect(t, { token });
    sockets.push(socket);
    return { socket, inbox: new Inbox(socket) };
  }

  it('missed: nobody answers, the server marks the call missed and tells both sides', async () => {
    const doctor = await signIn(a, Role.Doctor);
    const patient = await signIn(a, Role.Patient);
    const caller = await on(a, doctor.accessToken);
    const phone = await on(b, patient.accessToken);
    const laptop = await on(a, patient.accessToken);
    const started = await request(caller.socket, 'call:initiate', {
      calleeIds: [patient.user.id],
      type: 'audio',
    });
    const callId = started.data?.callId as string;
    await phone.inbox.next('call:incoming');
    await laptop.inbox.next('call:incoming');

    for (const d of [caller, phone, laptop])
      expect(await d.inbox.next('call:missed', () => true, 20_000)).toEqual({ callId });
    const res = await b.http().get(`/api/v1/calls/${callId}`).set(authHeader(patient.accessToken));
    expect(res.body).toMatchObject({
      call: { status: 'missed', endReason: 'missed', durationSeconds: null },
    });
    expect((await request(phone.socket, 'call:accept', { callId })).error?.code).toBe('CONFLICT');
    // Whichever instance's sweep won counted it.
    const texts = await Promise.all([a, b].map(async (t) => (await t.http().get('/metrics')).text));
    expect(texts.join('\n')).toMatch(/hekim_calls_total\{status="missed",type="audio"\} 1/);
  }, 30_000);

  it('network failure: a device that drops mid-call and is not back within the grace fails the call', async () => {
    const doctor = await signIn(a, Role.Doctor);
    const patient = await signIn(a, Role.Patient);
    const caller = await on(a, doctor.accessToken);
    const callee = await on(b, patient.accessToken);
    const started = await request(caller.socket, 'call:initiate', {
      calleeIds: [patient.user.id],
      type: 'video',
    });
    const callId = started.data?.callId as string;
    const roomId = started.data?.roomId as string;
    await callee.inbox.next('call:incoming');
    expect((await request(callee.socket, 'call:accept', { callId })).ok).toBe(true);
    expect((await request(caller.socket, 'room:join', { roomId })).ok).toBe(true);
    expect((await request(callee.socket, 'room:join', { roomId })).ok).toBe(true);

    callee.socket.disconnect();
    expect(await caller.inbox.next('call:ended', () => true, 20_000)).toMatchObject({
      callId,
      reason: 'failed',
    });
    const res = await a.http().get(`/api/v1/calls/${callId}`).set(authHeader(doctor.accessToken));
    expect(res.body).toMatchObject({ call: { status: 'ended', endReason: 'failed' } });
  }, 30_000);

  it('instance loss: the caller’s instance goes away while ringing; the other one fires the timeout', async () => {
    const doctor = await signIn(a, Role.Doctor);
    const patient = await signIn(b, Role.Patient);
    const caller = await on(a, doctor.accessToken);
    const callee = await on(b, patient.accessToken);
    const started = await request(caller.socket, 'call:initiate', {
      calleeIds: [patient.user.id],
      type: 'video',
    });
    const callId = started.data?.callId as string;
    await callee.inbox.next('call:incoming');

    await a.close();
    aClosed = true;

    expect(await callee.inbox.next('call:missed', () => true, 20_000)).toEqual({ callId });
    for (const who of [doctor, patient]) {
      const res = await b.http().get(`/api/v1/calls/${callId}`).set(authHeader(who.accessToken));
      expect(res.body).toMatchObject({ call: { status: 'missed', endReason: 'missed' } });
    }
  }, 30_000);
});
