import { DataSource } from 'typeorm';
import { Role } from '../../src/common/auth/role';
import { authHeader, signIn, type SignedIn } from '../support/auth';
import { acceptInvitation, careRelationshipsOf, inviteToRoom } from '../support/care';
import { createTestApp, type TestApp } from '../support/test-app';
import { randomTckn } from '../compliance/privacy-support';

// Finding 1: a doctor who put a patient's id into a room (or rang them) read the patient's
// decrypted profile, forever, and found them by national id. Access to a patient's record
// is earned by the patient's own act (accepting the invitation), never by the clinician's.
describe('security: a clinician’s unilateral act grants no access to a patient’s record', () => {
  let t: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    t = await createTestApp({ env: { AUTH_RATE_LIMIT_PER_MINUTE: '10000' } });
    db = t.app.get(DataSource);
  });
  afterAll(() => t.close());

  const get = (who: SignedIn, path: string) =>
    t.http().get(`/api/v1${path}`).set(authHeader(who.accessToken));

  async function patientWithProfile(): Promise<{ patient: SignedIn; nationalId: string }> {
    const patient = await signIn(t, Role.Patient);
    const nationalId = randomTckn();
    await t
      .http()
      .put('/api/v1/users/me/profile')
      .set(authHeader(patient.accessToken))
      .send({ nationalId, dateOfBirth: '1971-03-04', phone: '+905321112233' })
      .expect(200);
    return { patient, nationalId };
  }

  it('refuses record, profile and search after an invitation or a ring, and allows them once the patient accepts', async () => {
    const doctor = await signIn(t, Role.Doctor);
    const { patient, nationalId } = await patientWithProfile();

    // The clinician's acts: an invitation the patient has not answered, and a ring.
    const roomId = await inviteToRoom(t, doctor, [patient]);
    const ring = await t
      .http()
      .post('/api/v1/calls')
      .set(authHeader(doctor.accessToken))
      .send({ calleeIds: [patient.user.id], type: 'video' });
    expect(ring.status).toBe(403);

    for (const path of [`/users/${patient.user.id}`, `/users/${patient.user.id}/profile`]) {
      const res = await get(doctor, path);
      expect({ path, status: res.status, code: res.body.code }).toEqual({
        path,
        status: 404,
        code: 'NOT_FOUND',
      });
    }
    for (const query of ['role=patient', `nationalId=${nationalId}`]) {
      const res = await get(doctor, `/users?${query}`).expect(200);
      expect(res.body.items.map((u: { id: string }) => u.id)).not.toContain(patient.user.id);
    }

    // The patient's act: accepting the invitation.
    await acceptInvitation(t, patient, roomId);
    const [relationship] = await careRelationshipsOf(t, doctor);
    expect(relationship).toMatchObject({
      clinicianId: doctor.user.id,
      patientId: patient.user.id,
      source: 'room_invitation',
      sourceId: roomId,
      until: null,
      status: 'active',
    });
    const profile = await get(doctor, `/users/${patient.user.id}/profile`).expect(200);
    expect(profile.body.nationalId).toBe(nationalId);
    await get(doctor, `/users/${patient.user.id}`).expect(200);
    const found = await get(doctor, `/users?nationalId=${nationalId}`).expect(200);
    expect(found.body.items.map((u: { id: string }) => u.id)).toEqual([patient.user.id]);

    // Each read names its basis: the relationship it rests on.
    const reads = await db.query<{ action: string; details: Record<string, unknown> }[]>(
      `SELECT action, details FROM audit_events
        WHERE actor_user_id = $1 AND action IN ('user.read', 'patient_profile.read') AND outcome = 'success'`,
      [doctor.user.id],
    );
    expect(reads).toHaveLength(2);
    for (const r of reads)
      expect(r.details).toMatchObject({
        basis: 'care_relationship',
        careRelationshipId: relationship.id,
      });

    // The patient ends it: access ends at once.
    await t
      .http()
      .post(`/api/v1/care-relationships/${relationship.id}/end`)
      .set(authHeader(patient.accessToken))
      .expect(200);
    await get(doctor, `/users/${patient.user.id}/profile`).expect(404);
    await get(doctor, `/users/${patient.user.id}`).expect(404);
  });

  it('gives nothing to a clinician added to the room after the patient accepted', async () => {
    const host = await signIn(t, Role.Doctor);
    const later = await signIn(t, Role.Doctor);
    const { patient } = await patientWithProfile();
    const roomId = await inviteToRoom(t, host, [patient], { type: 'group', maxParticipants: 5 });
    await acceptInvitation(t, patient, roomId);
    await t
      .http()
      .post(`/api/v1/rooms/${roomId}/members`)
      .set(authHeader(host.accessToken))
      .send({ userId: later.user.id, role: 'participant' })
      .expect(201);
    await get(host, `/users/${patient.user.id}/profile`).expect(200);
    await get(later, `/users/${patient.user.id}/profile`).expect(404);
    expect(await careRelationshipsOf(t, later)).toEqual([]);
  });
});
