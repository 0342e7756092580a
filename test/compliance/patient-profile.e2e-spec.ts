import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Role } from '../../src/common/auth/role';
import { AuditAction, AuditOutcome } from '../../src/modules/audit/audit-action';
import { authHeader, signIn, type SignedIn } from '../support/auth';
import { createTestApp, type TestApp } from '../support/test-app';
import { auditRecords, putProfile, randomTckn, shareRoom } from './privacy-support';

describe('compliance: encrypted patient profile', () => {
  let t: TestApp;
  let db: DataSource;
  let patient: SignedIn;
  let doctor: SignedIn;
  let otherDoctor: SignedIn;
  let admin: SignedIn;
  const nationalId = randomTckn();
  const profile = { nationalId, dateOfBirth: '1987-03-14', phone: '+905321234567' };

  beforeAll(async () => {
    t = await createTestApp({ env: { AUTH_RATE_LIMIT_PER_MINUTE: '10000' } });
    db = t.app.get(DataSource);
    patient = await signIn(t, Role.Patient);
    doctor = await signIn(t, Role.Doctor);
    otherDoctor = await signIn(t, Role.Doctor);
    admin = await signIn(t, Role.Admin);
    await shareRoom(t, doctor, patient);
  });
  afterAll(() => t.close());

  const http = () => t.http();

  it('starts empty, then stores and returns the profile to its owner', async () => {
    const empty = await http().get('/api/v1/users/me/profile').set(authHeader(patient.accessToken));
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual({
      userId: patient.user.id,
      nationalId: null,
      dateOfBirth: null,
      phone: null,
      updatedAt: null,
    });

    const put = await http()
      .put('/api/v1/users/me/profile')
      .set(authHeader(patient.accessToken))
      .send({ ...profile, nationalId: `${nationalId.slice(0, 3)} ${nationalId.slice(3)}` });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ userId: patient.user.id, ...profile });

    const got = await http().get('/api/v1/users/me/profile').set(authHeader(patient.accessToken));
    expect(got.body).toMatchObject(profile);
    const [update] = await auditRecords(t, {
      action: AuditAction.PatientProfileUpdate,
      subjectId: patient.user.id,
    });
    expect(update.details).toEqual({ fieldsSet: ['nationalId', 'dateOfBirth', 'phone'] });
  });

  it('keeps only ciphertext in the database: a raw SELECT shows no plaintext', async () => {
    const rows = await db.query<Record<string, unknown>[]>(
      'SELECT * FROM patient_profiles WHERE user_id = $1',
      [patient.user.id],
    );
    const keys = await db.query<Record<string, unknown>[]>(
      'SELECT * FROM patient_data_keys WHERE user_id = $1',
      [patient.user.id],
    );
    expect(rows).toHaveLength(1);
    expect(keys).toHaveLength(1);
    const dump = JSON.stringify([rows, keys]);
    for (const plain of [nationalId, '1987-03-14', '1987', '905321234567', '5321234567']) {
      expect(dump).not.toContain(plain);
    }
    for (const column of ['national_id', 'date_of_birth', 'phone']) {
      expect(rows[0][column]).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    }
    // The blind index is keyed: not the plain SHA-256 anyone could compute.
    expect(rows[0].national_id_index).toMatch(/^[0-9a-f]{64}$/);
    expect(rows[0].national_id_index).not.toBe(
      createHash('sha256').update(nationalId).digest('hex'),
    );
    expect(keys[0].key_id).toBe(t.config.patientData.masterKey.id);
    // And the audit trail holds no value of it either.
    const trail = await db.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM audit_events WHERE row_to_json(audit_events)::text LIKE $1`,
      [`%${nationalId}%`],
    );
    expect(trail[0].n).toBe(0);
  });

  it('validates: TCKN check digits, a real past date, E.164 phone, no unknown fields', async () => {
    const bad = nationalId.slice(0, 10) + String((Number(nationalId[10]) + 1) % 10);
    for (const body of [
      { nationalId: bad },
      { nationalId: '0' + nationalId.slice(1) },
      { dateOfBirth: '2999-01-01' },
      { dateOfBirth: '1990-02-30' },
      { phone: '05321234567' },
      { ...profile, bloodType: 'A+' },
    ]) {
      const res = await http()
        .put('/api/v1/users/me/profile')
        .set(authHeader(patient.accessToken))
        .send(body);
      expect({ body, status: res.status, code: (res.body as { code: string }).code }).toEqual({
        body,
        status: 400,
        code: 'VALIDATION_FAILED',
      });
    }
  });

  it('lets a doctor treating the patient read it (audited with the relationship), and nobody else', async () => {
    const ok = await http()
      .get(`/api/v1/users/${patient.user.id}/profile`)
      .set(authHeader(doctor.accessToken));
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject(profile);
    const reads = await auditRecords(t, {
      action: AuditAction.PatientProfileRead,
      actorUserId: doctor.user.id,
    });
    expect(reads.map((r) => [r.outcome, r.subjectId, r.details])).toEqual([
      [
        AuditOutcome.Success,
        patient.user.id,
        { basis: 'care_relationship', careRelationshipId: expect.any(String) },
      ],
    ]);

    const refused = await http()
      .get(`/api/v1/users/${patient.user.id}/profile`)
      .set(authHeader(otherDoctor.accessToken));
    expect(refused.status).toBe(404);
    const denied = await auditRecords(t, {
      action: AuditAction.PatientProfileRead,
      actorUserId: otherDoctor.user.id,
    });
    expect(denied.map((r) => [r.outcome, r.details])).toEqual([
      [AuditOutcome.Denied, { reason: 'not_allowed' }],
    ]);
    // Minimum necessary: admins manage accounts, not clinical data.
    const adminRes = await http()
      .get(`/api/v1/users/${patient.user.id}/profile`)
      .set(authHeader(admin.accessToken));
    expect(adminRes.status).toBe(403);
    // A doctor's id is not a patient record.
    const notPatient = await http()
      .get(`/api/v1/users/${otherDoctor.user.id}/profile`)
      .set(authHeader(doctor.accessToken));
    expect(notPatient.status).toBe(404);
  });

  it('finds patients by national id through the blind index, within what the caller may list', async () => {
    const other = await signIn(t, Role.Patient);
    await putProfile(t, other, { nationalId: randomTckn() });
    const search = (who: SignedIn, id: string) =>
      http().get('/api/v1/users').query({ nationalId: id }).set(authHeader(who.accessToken));

    const byAdmin = await search(admin, nationalId);
    expect(byAdmin.status).toBe(200);
    expect((byAdmin.body as { items: { id: string }[] }).items.map((u) => u.id)).toEqual([
      patient.user.id,
    ]);
    const byDoctor = await search(doctor, ` ${nationalId} `);
    expect((byDoctor.body as { items: { id: string }[] }).items.map((u) => u.id)).toEqual([
      patient.user.id,
    ]);
    const byStranger = await search(otherDoctor, nationalId);
    expect((byStranger.body as { items: unknown[] }).items).toEqual([]);
    const unknown = await search(admin, randomTckn());
    expect((unknown.body as { items: unknown[] }).items).toEqual([]);
    expect((await search(admin, '12345678901')).status).toBe(400);

    const searches = await auditRecords(t, {
      action: AuditAction.UserSearch,
      actorUserId: admin.user.id,
    });
    expect(searches[0].details).toMatchObject({ byNationalId: true, returned: 1 });
    expect(JSON.stringify(searches)).not.toContain(nationalId);
  });

  it('replaces the whole profile on PUT: fields left out are cleared, and the index with them', async () => {
    const res = await http()
      .put('/api/v1/users/me/profile')
      .set(authHeader(patient.accessToken))
      .send({ phone: '+905329876543' });
    expect(res.body).toMatchObject({ nationalId: null, dateOfBirth: null, phone: '+905329876543' });
    const [row] = await db.query<
      { national_id: string | null; national_id_index: string | null }[]
    >('SELECT national_id, national_id_index FROM patient_profiles WHERE user_id = $1', [
      patient.user.id,
    ]);
    expect(row).toEqual({ national_id: null, national_id_index: null });
    await putProfile(t, patient, profile);
  });
});
