import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Role } from '../../src/common/auth/role';
import { AppException } from '../../src/common/errors/app.exception';
import { ErrorCode } from '../../src/common/errors/error-code';
import { ConsentGate } from '../../src/modules/compliance/consents/consent-gate';
import { acceptInvitation, careRoom, inviteToRoom } from '../support/care';
import { authHeader, signIn, type SignedIn } from '../support/auth';
import { type Client, connect, Inbox, request } from '../support/signaling-client';
import {
  createTestApp,
  createTestDatabase,
  deleteRedisKeys,
  type TestApp,
  type TestDatabase,
} from '../support/test-app';

const SDP = 'v=0\r\ns=-\r\n';

// The consent gate (docs/compliance.md): a patient without a `telemedicine` consent in force cannot
// join a room, be admitted or answer a call, on REST or signaling; withdrawing it mid-session
// takes them out. Two instances share the database and Redis, as behind a load balancer, so
// the removal is shown to reach a socket held by the other instance.
describe('compliance: consent gating', () => {
  let dbi: TestDatabase;
  const prefix = `hekim-test:${randomBytes(6).toString('hex')}:`;
  let a: TestApp;
  let b: TestApp;
  let db: DataSource;
  const sockets: Client[] = [];

  beforeAll(async () => {
    dbi = await createTestDatabase();
    const env = { AUTH_RATE_LIMIT_PER_MINUTE: '10000', SIGNALING_RECONNECT_GRACE_SECONDS: '60' };
    a = await createTestApp({ db: dbi, redisPrefix: prefix, listen: true, env });
    b = await createTestApp({
      db: dbi,
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
    db = a.app.get(DataSource);
  });
  afterEach(() => {
    for (const s of sockets.splice(0)) s.close();
  });
  afterAll(async () => {
    await a?.close();
    await b?.close().catch(() => undefined);
    await dbi?.drop();
    await deleteRedisKeys(prefix);
  });

  async function on(t: TestApp, who: SignedIn): Promise<{ socket: Client; inbox: Inbox }> {
    const socket = await connect(t, { token: who.accessToken });
    sockets.push(socket);
    return { socket, inbox: new Inbox(socket) };
  }

  // A room of `host`'s whose invited members accepted (accepting needs no consent; joining
  // does).
  async function room(host: SignedIn, members: SignedIn[], waitingRoom = false): Promise<string> {
    const roomId = await inviteToRoom(a, host, members, { name: 'Gate', waitingRoom });
    for (const m of members) if (m.user.role === Role.Patient) await acceptInvitation(a, m, roomId);
    return roomId;
  }

  const grant = (who: SignedIn) =>
    a
      .http()
      .post('/api/v1/consents')
      .set(authHeader(who.accessToken))
      .send({ purpose: 'telemedicine', version: 1 })
      .expect(201);
  const withdraw = (who: SignedIn) =>
    a.http().delete('/api/v1/consents/telemedicine').set(authHeader(who.accessToken)).expect(204);
  const denials = (subjectId: string) =>
    db.query<{ action: string; actor_user_id: string; details: Record<string, unknown> }[]>(
      `SELECT action, actor_user_id, details FROM audit_events
        WHERE subject_id = $1 AND outcome = 'denied' ORDER BY seq`,
      [subjectId],
    );
  const liveStays = (userId: string) =>
    db.query<{ left_at: Date | null }[]>(
      'SELECT left_at FROM session_participants WHERE user_id = $1 AND left_at IS NULL',
      [userId],
    );

  // A doctor rings a patient they treat (the patient accepted an invitation of theirs).
  async function call(caller: SignedIn, callee: SignedIn): Promise<{ id: string; roomId: string }> {
    await careRoom(a, caller, callee);
    const res = await a
      .http()
      .post('/api/v1/calls')
      .set(authHeader(caller.accessToken))
      .send({ calleeIds: [callee.user.id], type: 'video' });
    expect(res.status).toBe(201);
    return (res.body as { call: { id: string; roomId: string } }).call;
  }

  async function callStatus(who: SignedIn, id: string): Promise<string> {
    const res = await a.http().get(`/api/v1/calls/${id}`).set(authHeader(who.accessToken));
    expect(res.status).toBe(200);
    return (res.body as { call: { status: string } }).call.status;
  }

  it('refuses room:join to a patient without consent, and lets them in once granted', async () => {
    const doctor = await signIn(a, Role.Doctor);
    const patient = await signIn(a, Role.Patient, { consent: false });
    const roomId = await room(doctor, [patient]);
    // Doctors are not gated (they hold no consent at all).
    expect((await request((await on(a, doctor)).socket, 'room:join', { roomId })).ok).toBe(true);

    const p = await on(b, patient);
    const refused = await request(p.socket, 'room:join', { roomId });
    expect(refused).toMatchObject({ ok: false, error: { code: 'CONSENT_REQUIRED' } });
    expect(await liveStays(patient.user.id)).toHaveLength(0);
    expect(await denials(patient.user.id)).toEqual([
      {
        action: 'room.join',
        actor_user_id: patient.user.id,
        details: { reason: 'consent_required' },
      },
    ]);

    await grant(patient);
    const joined = await request(p.socket, 'room:join', { roomId });
    expect(joined.ok).toBe(true);
    expect(await liveStays(patient.user.id)).toHaveLength(1);
  });

  it('refuses a patient who no longer consents at admission from the waiting room', async () => {
    const doctor = await signIn(a, Role.Doctor);
    const patient = await signIn(a, Role.Patient);
    const roomId = await room(doctor, [patient], true);
    const host = await on(a, doctor);
    await request(host.socket, 'room:join', { roomId });
    const p = await on(b, patient);
    expect((await request(p.socket, 'room:join', { roomId })).data).toEqual({ waiting: true });

    // The grant stops being in force behind the server's back (no removal runs): admission
    // itself must check.
    await db.query(
      `UPDATE consent_grants SET withdrawn_at = now() WHERE user_id = $1 AND withdrawn_at IS NULL`,
      [patient.user.id],
    );
    const admit = await request(host.socket, 'room:admit', { roomId, userId: patient.user.id });
    expect(admit).toMatchObject({ ok: false, error: { code: 'CONSENT_REQUIRED' } });
    expect(p.inbox.of('room:admitted')).toEqual([]);
    expect(await liveStays(patient.user.id)).toHaveLength(0);
    expect(await denials(patient.user.id)).toEqual([
      {
        action: 'room.admit',
        actor_user_id: doctor.user.id,
        details: { reason: 'consent_required' },
      },
    ]);
  });

  it('refuses to let a patient without consent answer a call, on REST and on signaling', async () => {
    const doctor = await signIn(a, Role.Doctor);
    const patient = await signIn(a, Role.Patient, { consent: false });
    const { id } = await call(doctor, patient);

    const rest = await a
      .http()
      .post(`/api/v1/calls/${id}/accept`)
      .set(authHeader(patient.accessToken));
    expect(rest.status).toBe(403);
    expect(rest.headers['content-type']).toMatch(/application\/problem\+json/);
    expect((rest.body as { code: string }).code).toBe('CONSENT_REQUIRED');

    const phone = await on(b, patient);
    const socketAccept = await request(phone.socket, 'call:accept', { callId: id, sdp: SDP });
    expect(socketAccept).toMatchObject({ ok: false, error: { code: 'CONSENT_REQUIRED' } });
    expect(await callStatus(doctor, id)).toBe('ringing');
    // Both refusals are recorded as denied answers (REST also as access.denied).
    const refusals = (await denials(patient.user.id)).filter((d) => d.action === 'call.accept');
    expect(refusals).toHaveLength(2);
    expect(refusals[0].details).toEqual({ reason: 'consent_required' });

    await grant(patient);
    expect((await request(phone.socket, 'call:accept', { callId: id, sdp: SDP })).ok).toBe(true);
    expect(await callStatus(doctor, id)).toBe('active');
  });

  it('takes a patient who withdraws mid-session out of the room, across instances', async () => {
    const doctor = await signIn(a, Role.Doctor);
    const patient = await signIn(a, Role.Patient);
    const roomId = await room(doctor, [patient]);
    const d = await on(a, doctor);
    const p = await on(b, patient);
    const pLaptop = await on(a, patient);
    expect((await request(d.socket, 'room:join', { roomId })).ok).toBe(true);
    const joined = await request(p.socket, 'room:join', { roomId });
    expect(joined.ok).toBe(true);
    const sessionId = (joined.data as { sessionId: string }).sessionId;

    await withdraw(patient);

    // Every device of the patient hears it, the doctor sees them leave.
    expect(await p.inbox.next('room:removed')).toEqual({ roomId, reason: 'consent_withdrawn' });
    expect(await pLaptop.inbox.next('room:removed')).toEqual({
      roomId,
      reason: 'consent_withdrawn',
    });
    expect(await d.inbox.next('room:participant-left')).toEqual({
      roomId,
      userId: patient.user.id,
    });
    expect(await liveStays(patient.user.id)).toHaveLength(0);
    const [leave] = await db.query<{ details: Record<string, unknown> }[]>(
      `SELECT details FROM audit_events
        WHERE action = 'room.leave' AND actor_user_id = $1 AND resource_id = $2`,
      [patient.user.id, roomId],
    );
    expect(leave.details).toMatchObject({ sessionId, reason: 'consent_withdrawn' });

    // The session goes on for the doctor; the patient can no longer signal or come back.
    const [session] = await db.query<{ status: string }[]>(
      'SELECT status FROM room_sessions WHERE id = $1',
      [sessionId],
    );
    expect(session.status).toBe('active');
    const relay = await request(p.socket, 'call:offer', { roomId, to: doctor.user.id, sdp: SDP });
    expect(relay.error?.code).toBe('FORBIDDEN');
    const again = await request(p.socket, 'room:join', { roomId });
    expect(again.error?.code).toBe('CONSENT_REQUIRED');
  });

  it('removes a knocking patient who withdraws from the waiting room', async () => {
    const doctor = await signIn(a, Role.Doctor);
    const patient = await signIn(a, Role.Patient);
    const roomId = await room(doctor, [patient], true);
    const host = await on(a, doctor);
    await request(host.socket, 'room:join', { roomId });
    const p = await on(b, patient);
    await request(p.socket, 'room:join', { roomId });

    await withdraw(patient);
    expect(await p.inbox.next('room:removed')).toEqual({ roomId, reason: 'consent_withdrawn' });
    const admit = await request(host.socket, 'room:admit', { roomId, userId: patient.user.id });
    expect(admit.ok).toBe(false);
    expect(admit.error?.code).not.toBe('INTERNAL');
  });

  it('ends an active call and refuses a ringing one when the patient withdraws', async () => {
    const doctor = await signIn(a, Role.Doctor);
    const patient = await signIn(a, Role.Patient);
    const d = await on(a, doctor);
    const p = await on(b, patient);

    const active = await call(doctor, patient);
    await p.inbox.next('call:incoming', (e) => e.callId === active.id);
    expect((await request(p.socket, 'call:accept', { callId: active.id })).ok).toBe(true);
    expect((await request(d.socket, 'room:join', { roomId: active.roomId })).ok).toBe(true);
    expect((await request(p.socket, 'room:join', { roomId: active.roomId })).ok).toBe(true);

    await withdraw(patient);
    expect(await d.inbox.next('call:ended', (e) => e.callId === active.id)).toMatchObject({
      callId: active.id,
    });
    expect(await callStatus(doctor, active.id)).toBe('ended');
    expect(await liveStays(patient.user.id)).toHaveLength(0);

    await grant(patient);
    const ringing = await call(doctor, patient);
    await p.inbox.next('call:incoming', (e) => e.callId === ringing.id);
    await withdraw(patient);
    expect(await d.inbox.next('call:rejected', (e) => e.callId === ringing.id)).toMatchObject({
      by: patient.user.id,
    });
    expect(await callStatus(doctor, ringing.id)).toBe('rejected');
  });

  it('refuses a patient whose grant is of an older text than the current one', async () => {
    const patient = await signIn(a, Role.Patient);
    await grant(patient);
    const gate = a.app.get(ConsentGate);
    const user = { id: patient.user.id, role: Role.Patient };
    const codeOf = (e: unknown): unknown => (e instanceof AppException ? e.code : e);
    // A newer text is published in a transaction rolled back at the end, so that the other
    // tests keep version 1 as the current one.
    const rolledBack = new Error('rolled back on purpose');
    const outcomes: unknown[] = [];
    await expect(
      db.transaction(async (m) => {
        outcomes.push(await gate.assertMayConsult(user, m).then(() => null, codeOf));
        await m.query(
          `INSERT INTO consent_texts (purpose, version, text, published_at)
           VALUES ('telemedicine', 2, 'a newer text', now())`,
        );
        outcomes.push(await gate.assertMayConsult(user, m).then(() => null, codeOf));
        throw rolledBack;
      }),
    ).rejects.toBe(rolledBack);
    expect(outcomes).toEqual([null, ErrorCode.ConsentRequired]);
  });

  it('does not gate doctors, and does not touch a doctor who withdraws', async () => {
    const doctor = await signIn(a, Role.Doctor);
    const other = await signIn(a, Role.Doctor);
    await grant(doctor);
    const roomId = await room(doctor, [other]);
    const d = await on(a, doctor);
    const o = await on(b, other);
    expect((await request(d.socket, 'room:join', { roomId })).ok).toBe(true);
    expect((await request(o.socket, 'room:join', { roomId })).ok).toBe(true);
    await withdraw(doctor);
    expect(await liveStays(doctor.user.id)).toHaveLength(1);
    expect(d.inbox.of('room:removed')).toEqual([]);
  });
});
