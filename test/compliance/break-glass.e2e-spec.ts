import { DataSource } from 'typeorm';
import { Role } from '../../src/common/auth/role';
import { AuditAction, AuditOutcome } from '../../src/modules/audit/audit-action';
import { BreakGlassService } from '../../src/modules/compliance/break-glass/break-glass.service';
import { authHeader, signIn, type SignedIn } from '../support/auth';
import { createTestApp, type TestApp } from '../support/test-app';
import { auditRecords, putProfile, randomTckn } from './privacy-support';

interface Grant {
  id: string;
  doctorId: string;
  patientId: string;
  status: string;
  startedAt: string;
  expiresAt: string;
}

describe('compliance: break-glass emergency access', () => {
  let t: TestApp;
  let second: TestApp;
  let db: DataSource;
  let patient: SignedIn;
  let doctor: SignedIn;
  let otherDoctor: SignedIn;
  let officer: SignedIn;
  const reason = 'Unconscious in the emergency room; need allergies and next of kin.';

  beforeAll(async () => {
    t = await createTestApp({
      env: { AUTH_RATE_LIMIT_PER_MINUTE: '10000', BREAK_GLASS_MAX_MINUTES: '60' },
    });
    // A second instance on the same database: expiry must be recorded once between them.
    second = await createTestApp({ db: t.db, env: { BREAK_GLASS_MAX_MINUTES: '60' } });
    db = t.app.get(DataSource);
    patient = await signIn(t, Role.Patient);
    doctor = await signIn(t, Role.Doctor);
    otherDoctor = await signIn(t, Role.Doctor);
    officer = await signIn(t, Role.ComplianceOfficer);
    await putProfile(t, patient, { nationalId: randomTckn(), phone: '+905321112233' });
  });
  afterAll(async () => {
    await second.close();
    await t.close();
  });

  const http = () => t.http();
  const readProfile = (who: SignedIn) =>
    http().get(`/api/v1/users/${patient.user.id}/profile`).set(authHeader(who.accessToken));
  const start = (who: SignedIn, body: Record<string, unknown>) =>
    http().post('/api/v1/break-glass').set(authHeader(who.accessToken)).send(body);

  it('denies a doctor outside a shared room without a grant', async () => {
    expect((await readProfile(doctor)).status).toBe(404);
  });

  it('refuses a grant without a written reason, too long, or for someone not a patient', async () => {
    const base = { patientId: patient.user.id, reason, durationMinutes: 30 };
    expect((await start(doctor, { ...base, reason: 'urgent' })).status).toBe(400);
    expect((await start(doctor, { patientId: patient.user.id, durationMinutes: 30 })).status).toBe(
      400,
    );
    const tooLong = await start(doctor, { ...base, durationMinutes: 61 });
    expect(tooLong.status).toBe(400);
    expect(JSON.stringify(tooLong.body)).toContain('durationMinutes');
    expect((await start(doctor, { ...base, durationMinutes: 0 })).status).toBe(400);
    expect((await start(doctor, { ...base, patientId: otherDoctor.user.id })).status).toBe(404);
    expect((await start(officer, base)).status).toBe(403);
  });

  it('opens access for the grant’s doctor only, auditing the start and every access', async () => {
    const res = await start(doctor, { patientId: patient.user.id, reason, durationMinutes: 30 });
    expect(res.status).toBe(201);
    const grant = res.body as Grant;
    expect(grant).toMatchObject({ doctorId: doctor.user.id, status: 'active', reason });
    const minutes = (Date.parse(grant.expiresAt) - Date.parse(grant.startedAt)) / 60_000;
    expect(minutes).toBeCloseTo(30, 5);
    expect(
      (await start(doctor, { patientId: patient.user.id, reason, durationMinutes: 5 })).status,
    ).toBe(409);

    const first = await readProfile(doctor);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ phone: '+905321112233' });
    expect((await readProfile(doctor)).status).toBe(200);
    expect((await readProfile(otherDoctor)).status).toBe(404);

    const [started] = await auditRecords(t, {
      action: AuditAction.BreakGlassStart,
      resourceId: grant.id,
    });
    expect(started).toMatchObject({
      actorUserId: doctor.user.id,
      subjectId: patient.user.id,
      outcome: AuditOutcome.Success,
    });
    // The free-text reason stays in the grant, out of the trail.
    expect(JSON.stringify(started.details)).not.toContain('emergency');
    const accesses = await auditRecords(t, {
      action: AuditAction.BreakGlassAccess,
      actorUserId: doctor.user.id,
    });
    expect(accesses).toHaveLength(2);
    expect(accesses.map((a) => a.details)).toEqual([
      { basis: 'break_glass', grantId: grant.id },
      { basis: 'break_glass', grantId: grant.id },
    ]);
  });

  it('expires on its own: access ends at expiry, the expiry is recorded once across instances', async () => {
    const [grant] = (
      (
        await http()
          .get('/api/v1/break-glass')
          .query({ status: 'active' })
          .set(authHeader(doctor.accessToken))
      ).body as { items: Grant[] }
    ).items;
    // Move the clock of this grant instead of waiting for it.
    await db.query(
      `UPDATE break_glass_grants SET expires_at = now() - interval '1 second' WHERE id = $1`,
      [grant.id],
    );
    expect((await readProfile(doctor)).status).toBe(404);
    const listed = await http()
      .get('/api/v1/break-glass')
      .query({ patientId: patient.user.id })
      .set(authHeader(officer.accessToken));
    expect((listed.body as { items: Grant[] }).items.find((g) => g.id === grant.id)?.status).toBe(
      'expired',
    );

    const counts = await Promise.all([
      t.app.get(BreakGlassService).sweepExpired(),
      second.app.get(BreakGlassService).sweepExpired(),
      t.app.get(BreakGlassService).sweepExpired(),
    ]);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(1);
    expect(await second.app.get(BreakGlassService).sweepExpired()).toBe(0);
    const expired = await auditRecords(t, {
      action: AuditAction.BreakGlassExpire,
      resourceId: grant.id,
    });
    expect(expired).toHaveLength(1);
    expect(expired[0]).toMatchObject({ actorUserId: null, actorRole: 'system' });
    expect(
      (await http().post(`/api/v1/break-glass/${grant.id}/end`).set(authHeader(doctor.accessToken)))
        .status,
    ).toBe(409);
  });

  it('ends early by its doctor (audited); other doctors cannot end it', async () => {
    const grant = (await start(doctor, { patientId: patient.user.id, reason, durationMinutes: 10 }))
      .body as Grant;
    const byOther = await http()
      .post(`/api/v1/break-glass/${grant.id}/end`)
      .set(authHeader(otherDoctor.accessToken));
    expect(byOther.status).toBe(404);
    const ended = await http()
      .post(`/api/v1/break-glass/${grant.id}/end`)
      .set(authHeader(doctor.accessToken));
    expect(ended.status).toBe(200);
    expect(ended.body).toMatchObject({ status: 'ended', endedById: doctor.user.id });
    expect((await readProfile(doctor)).status).toBe(404);
    const again = await http()
      .post(`/api/v1/break-glass/${grant.id}/end`)
      .set(authHeader(doctor.accessToken));
    expect(again.status).toBe(409);
    expect(
      await auditRecords(t, { action: AuditAction.BreakGlassEnd, resourceId: grant.id }),
    ).toHaveLength(1);
    // Ended grants are never swept as expired.
    await db.query(
      `UPDATE break_glass_grants SET expires_at = now() - interval '1 second' WHERE id = $1`,
      [grant.id],
    );
    expect(await t.app.get(BreakGlassService).sweepExpired()).toBe(0);
  });

  it('lists: officers see all with filters and pages, doctors their own, patients nothing', async () => {
    const mine = await start(otherDoctor, {
      patientId: patient.user.id,
      reason,
      durationMinutes: 5,
    });
    expect(mine.status).toBe(201);
    const all: Grant[] = [];
    let cursor: string | null = null;
    do {
      const page = await http()
        .get('/api/v1/break-glass')
        .query({ patientId: patient.user.id, limit: 1, ...(cursor ? { cursor } : {}) })
        .set(authHeader(officer.accessToken));
      expect(page.status).toBe(200);
      const body = page.body as { items: Grant[]; nextCursor: string | null };
      all.push(...body.items);
      cursor = body.nextCursor;
    } while (cursor);
    expect(all).toHaveLength(3);
    expect(new Set(all.map((g) => g.id)).size).toBe(3);
    expect(all.map((g) => g.status)).toEqual(['active', 'ended', 'expired']);

    const byDoctor = await http().get('/api/v1/break-glass').set(authHeader(doctor.accessToken));
    expect(
      (byDoctor.body as { items: Grant[] }).items.every((g) => g.doctorId === doctor.user.id),
    ).toBe(true);
    expect((byDoctor.body as { items: Grant[] }).items).toHaveLength(2);
    const snooping = await http()
      .get('/api/v1/break-glass')
      .query({ doctorId: otherDoctor.user.id })
      .set(authHeader(doctor.accessToken));
    expect((snooping.body as { items: Grant[] }).items).toEqual([]);
    const active = await http()
      .get('/api/v1/break-glass')
      .query({ status: 'active', doctorId: otherDoctor.user.id })
      .set(authHeader(officer.accessToken));
    expect((active.body as { items: Grant[] }).items.map((g) => g.id)).toEqual([
      (mine.body as Grant).id,
    ]);
    expect(
      (await http().get('/api/v1/break-glass').set(authHeader(patient.accessToken))).status,
    ).toBe(403);
  });
});
