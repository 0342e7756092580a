import { Role } from '../../src/common/auth/role';
import { authHeader, signIn, type SignedIn } from '../support/auth';
import { careRoom } from '../support/care';
import { createTestApp, type TestApp } from '../support/test-app';

describe('rooms, sessions and ICE over REST', () => {
  let t: TestApp;
  let doctor: SignedIn;
  let patient: SignedIn;
  let stranger: SignedIn;
  let admin: SignedIn;
  let otherDoctor: SignedIn;

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        TURN_URLS: 'turn:turn.example.test:3478?transport=udp',
        STUN_URLS: 'stun:stun.example.test:3478',
      },
    });
    doctor = await signIn(t, Role.Doctor);
    patient = await signIn(t, Role.Patient);
    stranger = await signIn(t, Role.Patient);
    admin = await signIn(t, Role.Admin);
    otherDoctor = await signIn(t, Role.Doctor);
  });
  afterAll(() => t.close());

  it('lets doctors and admins create rooms, and hides them from non-members', async () => {
    expect(
      (
        await t
          .http()
          .post('/api/v1/rooms')
          .set(authHeader(patient.accessToken))
          .send({ name: 'x', type: 'consultation', memberIds: [] })
      ).status,
    ).toBe(403);
    expect(
      (
        await t
          .http()
          .post('/api/v1/rooms')
          .send({ name: 'x', type: 'consultation', memberIds: [] })
      ).status,
    ).toBe(401);
    expect(
      (
        await t
          .http()
          .post('/api/v1/rooms')
          .set(authHeader(doctor.accessToken))
          .send({ name: 'x', type: 'call', memberIds: [] })
      ).status,
    ).toBe(400);
    expect(
      (
        await t
          .http()
          .post('/api/v1/rooms')
          .set(authHeader(doctor.accessToken))
          .send({ name: 'x', type: 'group', memberIds: [], evil: 1 })
      ).status,
    ).toBe(400);

    const created = await t
      .http()
      .post('/api/v1/rooms')
      .set(authHeader(doctor.accessToken))
      .send({
        name: 'Check-up',
        type: 'consultation',
        memberIds: [patient.user.id],
        waitingRoom: true,
        maxParticipants: 3,
        scheduledFor: '2030-01-01T10:00:00.000Z',
      });
    expect(created.status).toBe(201);
    const room = created.body as { id: string };
    expect(created.body).toMatchObject({
      name: 'Check-up',
      type: 'consultation',
      hostId: doctor.user.id,
      status: 'open',
      waitingRoom: true,
      maxParticipants: 3,
      scheduledFor: '2030-01-01T10:00:00.000Z',
      members: [
        { userId: doctor.user.id, role: 'host', status: 'active' },
        { userId: patient.user.id, role: 'participant', status: 'invited' },
      ],
    });
    // The invitation gives the doctor nothing yet; the patient's acceptance does.
    expect(
      (await t.http().get(`/api/v1/users/${patient.user.id}`).set(authHeader(doctor.accessToken)))
        .status,
    ).toBe(404);
    const accepted = await t
      .http()
      .post(`/api/v1/rooms/${room.id}/accept`)
      .set(authHeader(patient.accessToken));
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({
      id: room.id,
      members: expect.arrayContaining([
        { userId: patient.user.id, role: 'participant', status: 'active' },
      ]),
    });

    expect(
      (await t.http().get(`/api/v1/rooms/${room.id}`).set(authHeader(patient.accessToken))).status,
    ).toBe(200);
    expect(
      (await t.http().get(`/api/v1/rooms/${room.id}`).set(authHeader(admin.accessToken))).status,
    ).toBe(200);
    const hidden = await t
      .http()
      .get(`/api/v1/rooms/${room.id}`)
      .set(authHeader(stranger.accessToken));
    expect(hidden.status).toBe(404);
    expect(hidden.body).toMatchObject({ code: 'NOT_FOUND' });
    expect(
      (
        await t
          .http()
          .patch(`/api/v1/rooms/${room.id}`)
          .set(authHeader(otherDoctor.accessToken))
          .send({ name: 'y' })
      ).status,
    ).toBe(404);
    expect(
      (await t.http().get(`/api/v1/rooms/${room.id}`).set(authHeader(otherDoctor.accessToken)))
        .status,
    ).toBe(404);
    expect(
      (
        await t
          .http()
          .patch(`/api/v1/rooms/${room.id}`)
          .set(authHeader(patient.accessToken))
          .send({ name: 'y' })
      ).status,
    ).toBe(403);
    expect(
      (
        await t
          .http()
          .patch(`/api/v1/rooms/${room.id}`)
          .set(authHeader(doctor.accessToken))
          .send({ name: 'y' })
      ).body,
    ).toMatchObject({ name: 'y' });

    const added = await t
      .http()
      .post(`/api/v1/rooms/${room.id}/members`)
      .set(authHeader(doctor.accessToken))
      .send({ userId: stranger.user.id, role: 'participant' });
    expect(added.status).toBe(201);
    expect(
      (await t.http().get(`/api/v1/rooms/${room.id}`).set(authHeader(stranger.accessToken))).status,
    ).toBe(200);
    expect(
      (
        await t
          .http()
          .delete(`/api/v1/rooms/${room.id}/members/${stranger.user.id}`)
          .set(authHeader(patient.accessToken))
      ).status,
    ).toBe(403);
    expect(
      (
        await t
          .http()
          .delete(`/api/v1/rooms/${room.id}/members/${stranger.user.id}`)
          .set(authHeader(doctor.accessToken))
      ).status,
    ).toBe(204);

    // The accepted invitation (a care relationship) lets the doctor read the patient's record.
    expect(
      (await t.http().get(`/api/v1/users/${patient.user.id}`).set(authHeader(doctor.accessToken)))
        .status,
    ).toBe(200);
    const listed = await t.http().get('/api/v1/users').set(authHeader(doctor.accessToken));
    expect((listed.body as { items: { id: string }[] }).items.map((u) => u.id)).toContain(
      patient.user.id,
    );
    expect(
      (await t.http().get(`/api/v1/users/${patient.user.id}`).set(authHeader(stranger.accessToken)))
        .status,
    ).toBe(404);

    const mine = await t.http().get('/api/v1/rooms').set(authHeader(patient.accessToken));
    expect((mine.body as { items: { id: string }[] }).items.map((r) => r.id)).toContain(room.id);
    const theirs = await t.http().get('/api/v1/rooms').set(authHeader(stranger.accessToken));
    expect(theirs.body).toEqual({ items: [], nextCursor: null });

    expect(
      (await t.http().delete(`/api/v1/rooms/${room.id}`).set(authHeader(patient.accessToken)))
        .status,
    ).toBe(403);
    expect(
      (await t.http().delete(`/api/v1/rooms/${room.id}`).set(authHeader(doctor.accessToken)))
        .status,
    ).toBe(204);
    expect(
      (await t.http().get(`/api/v1/rooms/${room.id}`).set(authHeader(doctor.accessToken))).body,
    ).toMatchObject({ status: 'closed' });
  });

  it('lists sessions of the caller’s rooms only and refuses unknown ids', async () => {
    const list = await t.http().get('/api/v1/sessions').set(authHeader(stranger.accessToken));
    expect(list.body).toEqual({ items: [], nextCursor: null });
    expect(
      (
        await t
          .http()
          .get('/api/v1/sessions/5b0c1f8e-2f6a-4d8e-9a43-0f4f6a3c1d2e')
          .set(authHeader(doctor.accessToken))
      ).status,
    ).toBe(404);
    expect(
      (
        await t
          .http()
          .post('/api/v1/sessions/5b0c1f8e-2f6a-4d8e-9a43-0f4f6a3c1d2e/end')
          .set(authHeader(doctor.accessToken))
      ).status,
    ).toBe(404);
    expect(
      (await t.http().get('/api/v1/sessions?limit=500').set(authHeader(doctor.accessToken))).status,
    ).toBe(400);
  });

  it('hands out TURN credentials for the caller only', async () => {
    // An active member of an open room (docs/access-model.md).
    await careRoom(t, doctor, patient);
    const res = await t.http().get('/api/v1/ice-servers').set(authHeader(patient.accessToken));
    expect(res.status).toBe(200);
    const body = res.body as {
      iceServers: { urls: string[]; username?: string; credential?: string }[];
      ttlSeconds: number;
      expiresAt: string;
    };
    expect(body.iceServers[0]).toEqual({ urls: ['stun:stun.example.test:3478'] });
    expect(body.iceServers[1].username).toMatch(new RegExp(`^\\d+:${patient.user.id}$`));
    expect(body.ttlSeconds).toBe(t.config.ice.turnTtlSeconds);
    expect(Date.parse(body.expiresAt)).toBeGreaterThan(Date.now());
    expect((await t.http().get('/api/v1/ice-servers')).status).toBe(401);
  });
});
