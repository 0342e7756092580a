import { DataSource } from 'typeorm';
import { Role } from '../../src/common/auth/role';
import { authHeader, signIn, type SignedIn } from '../support/auth';
import { careRoom } from '../support/care';
import { type Client, connect, Inbox, request } from '../support/signaling-client';
import { createTestApp, type TestApp } from '../support/test-app';

// Finding 4: anyone could ring anyone by id (patient → patient, patient → admin), deliver an
// arbitrary `sdp` string to the callee, and then read the callee's user record. Ringing is
// for two staff members, or a doctor and a patient in an active care relationship.
describe('security: ringing needs staff on both ends or a care relationship', () => {
  let t: TestApp;
  const open: Client[] = [];

  beforeAll(async () => {
    t = await createTestApp({ listen: true, env: { CALL_INITIATE_RATE_PER_MINUTE: '1000' } });
  });
  afterAll(async () => {
    for (const s of open) s.close();
    await t.close();
  });

  async function device(who: SignedIn): Promise<{ socket: Client; inbox: Inbox }> {
    const socket = await connect(t, { token: who.accessToken });
    open.push(socket);
    return { socket, inbox: new Inbox(socket) };
  }
  const ring = (caller: SignedIn, callee: SignedIn) =>
    t
      .http()
      .post('/api/v1/calls')
      .set(authHeader(caller.accessToken))
      .send({ calleeIds: [callee.user.id], type: 'audio' });

  it('refuses patient → patient, patient → admin and doctor → unrelated patient; nobody is rung', async () => {
    const [p1, p2] = [await signIn(t, Role.Patient), await signIn(t, Role.Patient)];
    const admin = await signIn(t, Role.Admin);
    const doctor = await signIn(t, Role.Doctor);
    const watched = await Promise.all([p2, admin].map(device));

    for (const [caller, callee] of [
      [p1, p2],
      [p1, admin],
      [doctor, p2],
      [p2, doctor],
    ] as const) {
      const res = await ring(caller, callee);
      expect({ status: res.status, code: res.body.code }).toEqual({
        status: 403,
        code: 'FORBIDDEN',
      });
    }
    // The socket path too, with an arbitrary sdp that must never reach anyone.
    const caller = await device(p1);
    const ack = await request(caller.socket, 'call:initiate', {
      calleeIds: [p2.user.id],
      type: 'video',
      sdp: 'anything the attacker wants delivered',
    });
    expect(ack.error?.code).toBe('FORBIDDEN');
    for (const w of watched) expect(w.inbox.of('call:incoming')).toEqual([]);
    const calls = await t.app.get(DataSource).query<unknown[]>('SELECT id FROM calls');
    expect(calls).toEqual([]);

    // Nor did the attempt open the callee's record.
    const record = await t
      .http()
      .get(`/api/v1/users/${p2.user.id}`)
      .set(authHeader(p1.accessToken));
    expect(record.status).toBe(404);
  });

  it('rings between staff, and between a doctor and a patient who accepted their invitation', async () => {
    const doctor = await signIn(t, Role.Doctor);
    const colleague = await signIn(t, Role.Doctor);
    const admin = await signIn(t, Role.Admin);
    const patient = await signIn(t, Role.Patient);
    await ring(doctor, colleague).expect(201);
    await ring(admin, doctor).expect(201);
    await ring(doctor, patient).expect(403);
    await careRoom(t, doctor, patient);
    const p = await device(patient);
    await ring(doctor, patient).expect(201);
    await p.inbox.next('call:incoming', (e) => e.from === doctor.user.id);
    await ring(patient, doctor).expect(201);
  });
});
