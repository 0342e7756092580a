import { DataSource } from 'typeorm';
import { Role } from '../../src/common/auth/role';
import { AuditAction } from '../../src/modules/audit/audit-action';
import { authHeader, signIn, type SignedIn } from '../support/auth';
import { createTestApp, type TestApp } from '../support/test-app';
import { auditRecords, putProfile, randomTckn, shareRoom } from './privacy-support';

interface ErasureRequest {
  id: string;
  type: string;
  userId: string;
  status: string;
  requestedAt: string;
  dueAt: string;
  reason: string | null;
  destroyed?: Record<string, number> | null;
  destructionRecordId?: string | null;
}

const DAY_MS = 24 * 3600 * 1000;

describe('compliance: erasure (KVKK art. 7, 11)', () => {
  let t: TestApp;
  let db: DataSource;
  let patient: SignedIn;
  let doctor: SignedIn;
  let officer: SignedIn;
  const nationalId = randomTckn();

  beforeAll(async () => {
    t = await createTestApp({ env: { AUTH_RATE_LIMIT_PER_MINUTE: '10000' } });
    db = t.app.get(DataSource);
    patient = await signIn(t, Role.Patient, { displayName: 'Ayşe Erasable' });
    doctor = await signIn(t, Role.Doctor);
    officer = await signIn(t, Role.ComplianceOfficer);
    await putProfile(t, patient, { nationalId, dateOfBirth: '1979-12-01', phone: '+905301112233' });
    await shareRoom(t, doctor, patient);
    // A failed login on the patient's address: its audit record must not hold the address.
    await t
      .http()
      .post('/api/v1/auth/login')
      .send({ email: patient.user.email, password: 'not-the-password-1A!' })
      .expect(401);
  });
  afterAll(() => t.close());

  const http = () => t.http();
  const requestErasure = (who: SignedIn) =>
    http().post('/api/v1/users/me/erasure-request').set(authHeader(who.accessToken));

  it('takes a request with a 30-day due date, once, and lists it for officers', async () => {
    const res = await requestErasure(patient);
    expect(res.status).toBe(202);
    const request = res.body as ErasureRequest;
    expect(request).toMatchObject({ type: 'erasure', userId: patient.user.id, status: 'open' });
    expect(Date.parse(request.dueAt) - Date.parse(request.requestedAt)).toBe(30 * DAY_MS);
    const again = await requestErasure(patient);
    expect(again.status).toBe(202);
    expect((again.body as ErasureRequest).id).toBe(request.id);
    expect(
      await auditRecords(t, { action: AuditAction.ErasureRequest, subjectId: patient.user.id }),
    ).toHaveLength(1);

    const listed = await http()
      .get('/api/v1/compliance/requests')
      .set(authHeader(officer.accessToken));
    expect(listed.status).toBe(200);
    expect((listed.body as { items: ErasureRequest[] }).items).toContainEqual(
      expect.objectContaining({ id: request.id, dueAt: request.dueAt, status: 'open' }),
    );
  });

  it('rejects only with a written reason, and a rejected request leaves the list', async () => {
    const other = await signIn(t, Role.Patient);
    const request = (await requestErasure(other)).body as ErasureRequest;
    const url = `/api/v1/compliance/erasure-requests/${request.id}/reject`;
    expect((await http().post(url).set(authHeader(officer.accessToken)).send({})).status).toBe(400);
    const rejected = await http()
      .post(url)
      .set(authHeader(officer.accessToken))
      .send({ reason: 'Medical records must be kept for fifteen years.' });
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({
      status: 'rejected',
      reason: 'Medical records must be kept for fifteen years.',
      destroyed: null,
    });
    expect(
      (
        await http()
          .post(url)
          .set(authHeader(officer.accessToken))
          .send({ reason: 'Changed my mind, sorry.' })
      ).status,
    ).toBe(409);
    const listed = await http()
      .get('/api/v1/compliance/requests')
      .set(authHeader(officer.accessToken));
    expect((listed.body as { items: ErasureRequest[] }).items.map((r) => r.id)).not.toContain(
      request.id,
    );
    // The person can still sign in and use the service.
    expect((await http().get('/api/v1/users/me').set(authHeader(other.accessToken))).status).toBe(
      200,
    );
  });

  it('approval anonymizes the person, kills their tokens and keeps a verifiable trail', async () => {
    const [open] = (
      (await http().get('/api/v1/compliance/requests').set(authHeader(officer.accessToken)))
        .body as { items: ErasureRequest[] }
    ).items.filter((r) => r.userId === patient.user.id);
    const approved = await http()
      .post(`/api/v1/compliance/erasure-requests/${open.id}/approve`)
      .set(authHeader(officer.accessToken));
    expect(approved.status).toBe(200);
    const decision = approved.body as ErasureRequest;
    expect(decision.status).toBe('erased');
    expect(decision.destroyed).toMatchObject({ sessionsRevoked: 1, user: 1, patientProfile: 2 });

    // Tokens: the access token is refused at once, the refresh token is dead, the password too.
    expect((await http().get('/api/v1/users/me').set(authHeader(patient.accessToken))).status).toBe(
      401,
    );
    expect(
      (await http().post('/api/v1/auth/refresh').send({ refreshToken: patient.refreshToken }))
        .status,
    ).toBe(401);
    expect(
      (
        await http()
          .post('/api/v1/auth/login')
          .send({ email: patient.user.email, password: patient.password })
      ).status,
    ).toBe(401);

    // Name and e-mail replaced; the id (the pseudonym) stays.
    const [user] = await db.query<{ email: string; display_name: string; status: string }[]>(
      'SELECT email, display_name, status FROM users WHERE id = $1',
      [patient.user.id],
    );
    expect(user).toEqual({
      email: `erased-${patient.user.id}@invalid`,
      display_name: 'Erased user',
      status: 'deactivated',
    });
    // Crypto-shredded: the data key is gone, so the ciphertext left behind is unreadable,
    // and the blind index no longer finds the national id.
    expect(
      await db.query('SELECT 1 FROM patient_data_keys WHERE user_id = $1', [patient.user.id]),
    ).toEqual([]);
    const [profile] = await db.query<{ national_id: string; national_id_index: string | null }[]>(
      'SELECT national_id, national_id_index FROM patient_profiles WHERE user_id = $1',
      [patient.user.id],
    );
    expect(profile.national_id_index).toBeNull();
    expect(profile.national_id).toMatch(/^v1\./);
    const admin = await signIn(t, Role.Admin);
    const search = await http()
      .get('/api/v1/users')
      .query({ nationalId })
      .set(authHeader(admin.accessToken));
    expect((search.body as { items: unknown[] }).items).toEqual([]);
    const [session] = await db.query<{ ip: string | null; revoked_reason: string }[]>(
      'SELECT ip, revoked_reason FROM auth_sessions WHERE user_id = $1',
      [patient.user.id],
    );
    expect(session).toEqual({ ip: null, revoked_reason: 'user_deactivated' });

    // The destruction record: what, how many, by whom, when.
    const records = await db.query<
      {
        request_id: string;
        performed_by_id: string;
        method: string;
        destroyed: Record<string, number>;
        performed_at: Date;
      }[]
    >('SELECT * FROM erasure_destruction_records WHERE subject_id = $1', [patient.user.id]);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      request_id: open.id,
      performed_by_id: officer.user.id,
      method: 'crypto_shred+anonymize',
      destroyed: decision.destroyed,
    });
    expect(records[0].destroyed).toEqual(
      expect.objectContaining({ rooms: 0, sessions: 0, calls: 0, audit: 0, deviceSessions: 2 }),
    );

    const [approval] = await auditRecords(t, {
      action: AuditAction.ErasureApprove,
      subjectId: patient.user.id,
    });
    expect(approval.actorUserId).toBe(officer.user.id);
    expect(approval.details).toMatchObject({ destructionRecordId: decision.destructionRecordId });

    // The trail keeps pseudonymous ids only: no e-mail, name or national id anywhere in it.
    const leaks = await db.query<{ seq: string }[]>(
      `SELECT seq FROM audit_events WHERE row_to_json(audit_events)::text ILIKE ANY($1)`,
      [[`%${patient.user.email}%`, '%Erasable%', `%${nationalId}%`]],
    );
    expect(leaks).toEqual([]);
    expect((await auditRecords(t, { subjectId: patient.user.id })).length).toBeGreaterThanOrEqual(
      5,
    );
    const verify = await http().get('/api/v1/audit/verify').set(authHeader(officer.accessToken));
    expect(verify.status).toBe(200);
    expect(verify.body).toMatchObject({ valid: true });

    // Decided requests cannot be decided again.
    expect(
      (
        await http()
          .post(`/api/v1/compliance/erasure-requests/${open.id}/approve`)
          .set(authHeader(officer.accessToken))
      ).status,
    ).toBe(409);
  });

  it('pages the open requests by due date', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const p = await signIn(t, Role.Patient);
      ids.push(((await requestErasure(p)).body as ErasureRequest).id);
    }
    const seen: ErasureRequest[] = [];
    let cursor: string | null = null;
    do {
      const res = await http()
        .get('/api/v1/compliance/requests')
        .query({ limit: 2, ...(cursor ? { cursor } : {}) })
        .set(authHeader(officer.accessToken));
      const body = res.body as { items: ErasureRequest[]; nextCursor: string | null };
      seen.push(...body.items);
      cursor = body.nextCursor;
    } while (cursor);
    expect(seen.map((r) => r.id)).toEqual(ids);
    const due = seen.map((r) => Date.parse(r.dueAt));
    expect([...due].sort((a, b) => a - b)).toEqual(due);
    expect(
      (
        await http()
          .get('/api/v1/compliance/requests')
          .query({ cursor: 'nope' })
          .set(authHeader(officer.accessToken))
      ).status,
    ).toBe(400);
  });
});
