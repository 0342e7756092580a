import { DataSource } from 'typeorm';
import { Role } from '../../src/common/auth/role';
import { InstanceLiveness } from '../../src/modules/sessions/instance-liveness.service';
import { authHeader, signIn } from '../support/auth';
import { careRoom } from '../support/care';
import { request } from '../support/signaling-client';
import type { TestApp } from '../support/test-app';
import { startTwoInstances, type TwoInstances } from '../support/two-instances';

// The ring timeout is a deadline in PostgreSQL that every instance sweeps, so it fires even
// when the instance that started the call is gone.
describe('call ring timeout across two instances', () => {
  let two: TwoInstances;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    two = await startTwoInstances({
      CALL_RING_TIMEOUT_SECONDS: '8',
      SIGNALING_RECONNECT_GRACE_SECONDS: '1',
    });
    ({ a, b } = two);
  });
  afterAll(() => two?.close());

  const on = (t: TestApp, token: string) => two.on(t, token);

  it('missed: nobody answers, the server marks the call missed and tells both sides', async () => {
    const doctor = await signIn(a, Role.Doctor);
    const patient = await signIn(a, Role.Patient);
    await careRoom(a, doctor, patient);
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
    expect(texts.join('\n')).toMatch(
      /hekim_calls_total\{status="missed",end_reason="missed",type="audio"\} 1/,
    );
  }, 30_000);

  it('network failure: a device that drops mid-call and is not back within the grace fails the call', async () => {
    const doctor = await signIn(a, Role.Doctor);
    const patient = await signIn(a, Role.Patient);
    await careRoom(a, doctor, patient);
    const caller = await on(a, doctor.accessToken);
    const callee = await on(b, patient.accessToken);
    const started = await request(caller.socket, 'call:initiate', {
      calleeIds: [patient.user.id],
      type: 'video',
    });
    const callId = started.data?.callId as string;
    const roomId = started.data?.roomId as string;
    await callee.inbox.next('call:incoming');
    // The server joins both devices to the call's room, across the two instances.
    const accepted = await request(callee.socket, 'call:accept', { callId });
    expect(accepted.data).toMatchObject({ roomId, sessionId: expect.any(String), polite: true });
    expect(await caller.inbox.next('call:accepted')).toMatchObject({
      callId,
      roomId,
      sessionId: accepted.data?.sessionId,
      polite: false,
    });
    // B joined the caller's socket, but the stay belongs to A, where that socket lives: it
    // must end with A, not with B.
    const stays = await b.app
      .get(DataSource)
      .query<{ user_id: string; instance_id: string }[]>(
        `SELECT user_id, instance_id FROM session_participants WHERE session_id = $1`,
        [accepted.data?.sessionId],
      );
    const instanceOf = (t: TestApp): string => t.app.get(InstanceLiveness).instanceId;
    expect(Object.fromEntries(stays.map((r) => [r.user_id, r.instance_id]))).toEqual({
      [doctor.user.id]: instanceOf(a),
      [patient.user.id]: instanceOf(b),
    });

    callee.socket.disconnect();
    expect(await caller.inbox.next('call:ended', () => true, 20_000)).toMatchObject({
      callId,
      reason: 'failed',
    });
    const res = await a.http().get(`/api/v1/calls/${callId}`).set(authHeader(doctor.accessToken));
    expect(res.body).toMatchObject({ call: { status: 'ended', endReason: 'failed' } });
    // The call's session ended with it; nobody lingers in it.
    expect(await caller.inbox.next('room:session-ended')).toMatchObject({ roomId });
    const session = await a
      .http()
      .get(`/api/v1/sessions/${accepted.data?.sessionId as string}`)
      .set(authHeader(doctor.accessToken));
    expect(session.body).toMatchObject({ status: 'ended', endedAt: expect.any(String) });
    const ended = (session.body as { participants: { leftAt: string | null }[] }).participants;
    expect(ended).toHaveLength(2);
    expect(ended.every((p) => p.leftAt !== null)).toBe(true);
  }, 30_000);

  it('instance loss: the caller’s instance is killed while ringing; the other one fires the timeout, missed for both', async () => {
    const doctor = await signIn(a, Role.Doctor);
    const patient = await signIn(b, Role.Patient);
    await careRoom(a, doctor, patient);
    const caller = await on(a, doctor.accessToken);
    const callee = await on(b, patient.accessToken);
    const started = await request(caller.socket, 'call:initiate', {
      calleeIds: [patient.user.id],
      type: 'video',
    });
    const callId = started.data?.callId as string;
    await callee.inbox.next('call:incoming');

    await two.stop(a);
    // The caller's app reconnects to the surviving instance while the call still rings.
    const back = await on(b, doctor.accessToken);
    expect(caller.socket.connected).toBe(false);

    for (const d of [callee, back])
      expect(await d.inbox.next('call:missed', () => true, 20_000)).toEqual({ callId });
    for (const who of [doctor, patient]) {
      const res = await b.http().get(`/api/v1/calls/${callId}`).set(authHeader(who.accessToken));
      expect(res.body).toMatchObject({ call: { status: 'missed', endReason: 'missed' } });
    }
  }, 30_000);
});
