import { DataSource } from 'typeorm';
import { Role } from '../../src/common/auth/role';
import { AuditAction } from '../../src/modules/audit/audit-action';
import { ABOUT_PERSON_SQL } from '../../src/modules/audit/audit.repository';
import { authHeader, signIn, type SignedIn } from '../support/auth';
import { careRoom } from '../support/care';
import { until } from '../support/signaling-client';
import { createTestApp, type TestApp } from '../support/test-app';
import { WebhookReceiver } from '../support/webhook-receiver';
import { auditRecords, putProfile, randomTckn } from './privacy-support';

interface Item {
  at: string;
  actorId: string | null;
  actorRole: string | null;
  action: string;
  basis: string;
  recipient?: string;
}
interface Report {
  items: Item[];
  nextCursor: string | null;
  auditRecordsSentTo: string[];
}

// C11 (docs/compliance.md): who read or changed a person's data, on what basis, and which
// third parties received it, read from the audit trail.
describe('compliance: access report (accounting of disclosures)', () => {
  const receiver = new WebhookReceiver();
  let t: TestApp;
  let db: DataSource;
  let patient: SignedIn;
  let doctor: SignedIn;
  let emergencyDoctor: SignedIn;
  let officer: SignedIn;
  let admin: SignedIn;
  let endpointId: string;

  beforeAll(async () => {
    await receiver.start();
    t = await createTestApp({
      env: {
        AUTH_RATE_LIMIT_PER_MINUTE: '10000',
        NOTIFY_RELAY_ENABLED: 'true',
        NOTIFY_POLL_INTERVAL_MS: '50',
        WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
      },
    });
    db = t.app.get(DataSource);
    patient = await signIn(t, Role.Patient, { consent: false });
    doctor = await signIn(t, Role.Doctor);
    emergencyDoctor = await signIn(t, Role.Doctor);
    officer = await signIn(t, Role.ComplianceOfficer);
    admin = await signIn(t, Role.Admin);

    // The patient's own change, a treating doctor's read, an emergency read.
    await putProfile(t, patient, { nationalId: randomTckn(), phone: '+905321112233' });
    await careRoom(t, doctor, patient);
    const read = (who: SignedIn) =>
      t.http().get(`/api/v1/users/${patient.user.id}/profile`).set(authHeader(who.accessToken));
    expect((await read(doctor)).status).toBe(200);
    const grant = await t
      .http()
      .post('/api/v1/break-glass')
      .set(authHeader(emergencyDoctor.accessToken))
      .send({
        patientId: patient.user.id,
        reason: 'Unconscious in the emergency room; need allergies and next of kin.',
        durationMinutes: 30,
      });
    expect(grant.status).toBe(201);
    expect((await read(emergencyDoctor)).status).toBe(200);

    // An integrator receives the patient's consent event (a disclosure to a third party).
    const created = await t
      .http()
      .post('/api/v1/admin/webhooks')
      .set(authHeader(admin.accessToken))
      .send({ url: `${receiver.url}/ehr`, events: ['consent.*'], description: 'EHR' });
    expect(created.status).toBe(201);
    endpointId = (created.body as { id: string }).id;
    const consent = await t
      .http()
      .post('/api/v1/consents')
      .set(authHeader(patient.accessToken))
      .send({ purpose: 'telemedicine', version: 1 });
    expect(consent.status).toBe(201);
    await until(
      async () =>
        (await auditRecords(t, { action: AuditAction.WebhookDelivery })).some(
          (r) => r.outcome === 'success',
        ),
      15_000,
    );

    // A compliance officer exports the trail, the patient's records with it.
    const exported = await t
      .http()
      .get('/api/v1/audit/export?format=ndjson')
      .set(authHeader(officer.accessToken));
    expect(exported.status).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
    await receiver.stop();
  });

  const mine = (who: SignedIn, query = '') =>
    t.http().get(`/api/v1/users/me/access-report${query}`).set(authHeader(who.accessToken));

  it('lists who touched the patient’s data, on what basis, and who received it', async () => {
    const res = await mine(patient);
    expect(res.status).toBe(200);
    const report = res.body as Report;
    expect(report.nextCursor).toBeNull();
    expect(report.auditRecordsSentTo).toEqual([]);
    const find = (action: string, actorId: string | null) =>
      report.items.filter((i) => i.action === action && i.actorId === actorId);
    expect(find('patient_profile.update', patient.user.id)[0]).toMatchObject({ basis: 'self' });
    expect(find('patient_profile.read', doctor.user.id)[0]).toMatchObject({
      basis: 'care_relationship',
      actorRole: 'doctor',
    });
    expect(find('break_glass.start', emergencyDoctor.user.id)[0]).toMatchObject({
      basis: 'break_glass',
    });
    expect(find('break_glass.access', emergencyDoctor.user.id)[0]).toMatchObject({
      basis: 'break_glass',
    });
    expect(find('webhook.delivery', null)[0]).toMatchObject({
      basis: 'disclosure',
      actorRole: 'system',
      recipient: `webhook_endpoint:${endpointId}`,
    });
    expect(find('audit.export', officer.user.id)[0]).toMatchObject({
      basis: 'export',
      recipient: 'audit_trail_export',
    });
    // In chain order, with ISO times; no sign-ins or refreshes of the patient's own.
    const times = report.items.map((i) => i.at);
    expect([...times].sort()).toEqual(times);
    expect(report.items.some((i) => i.action.startsWith('auth.'))).toBe(false);
  });

  it('pages with a cursor and keeps to the range asked for', async () => {
    const all = (await mine(patient)).body as Report;
    const first = (await mine(patient, '?limit=2')).body as Report;
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).toMatch(/^[1-9][0-9]*$/);
    const second = (await mine(patient, `?limit=2&cursor=${first.nextCursor}`)).body as Report;
    expect(second.items.map((i) => i.action)).toEqual(all.items.slice(2, 4).map((i) => i.action));
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect(((await mine(patient, `?from=${future}`)).body as Report).items).toEqual([]);
    expect((await mine(patient, '?cursor=abc')).status).toBe(400);
    expect((await mine(patient, '?from=yesterday')).status).toBe(400);
  });

  it('gives the compliance officer anyone’s report, and nobody else', async () => {
    const path = `/api/v1/compliance/access-reports/${patient.user.id}`;
    const res = await t.http().get(path).set(authHeader(officer.accessToken));
    expect(res.status).toBe(200);
    const items = (res.body as Report).items;
    expect(
      items.some((i) => i.action === 'patient_profile.read' && i.basis === 'care_relationship'),
    ).toBe(true);
    for (const who of [patient, doctor, admin]) {
      expect((await t.http().get(path).set(authHeader(who.accessToken))).status).toBe(403);
    }
    expect((await t.http().get(path)).status).toBe(401);
    expect(
      (
        await t
          .http()
          .get('/api/v1/compliance/access-reports/nope')
          .set(authHeader(officer.accessToken))
      ).status,
    ).toBe(400);
    // The officer's look shows in the patient's own report.
    const after = (await mine(patient)).body as Report;
    expect(after.items.at(-1)).toMatchObject({
      action: 'compliance.access_report',
      actorId: officer.user.id,
      basis: 'administration',
    });
  });

  it('audits both calls, with the person as subject', async () => {
    const records = await auditRecords(t, { action: AuditAction.AccessReportRead });
    expect(
      records.some((r) => r.actorUserId === patient.user.id && r.subjectId === patient.user.id),
    ).toBe(true);
    expect(
      records.some((r) => r.actorUserId === officer.user.id && r.subjectId === patient.user.id),
    ).toBe(true);
    // A doctor's own report: the patient's reads are not theirs; their own profile changes are.
    const docReport = (await mine(doctor)).body as Report;
    expect(docReport.items.every((i) => i.action !== 'patient_profile.read')).toBe(true);
  });

  // Last: it fills the trail with rows outside the chain, for the planner.
  it('reads a person’s records through the indexes, not a scan of the trail', async () => {
    await db.query(`
      INSERT INTO audit_events (seq, occurred_at, actor_user_id, actor_role, action, outcome,
                                subject_id, details, prev_hash, hash)
      SELECT h.seq + g, now(), gen_random_uuid(), 'doctor',
             (ARRAY['user.read', 'webhook.delivery', 'room.join', 'auth.login'])[1 + g % 4],
             'success', gen_random_uuid(),
             CASE WHEN g % 4 = 1 THEN jsonb_build_object('subjectIds', jsonb_build_array(gen_random_uuid()))
                  ELSE '{}'::jsonb END,
             repeat('0', 64), repeat('0', 64)
        FROM audit_chain_head h, generate_series(1, 60000) g`);
    await db.query('ANALYZE audit_events');
    const plan = (
      await db.query<{ 'QUERY PLAN': string }[]>(`EXPLAIN ${ABOUT_PERSON_SQL}`, [
        patient.user.id,
        JSON.stringify([patient.user.id]),
        '0',
        null,
        null,
        51,
      ])
    )
      .map((r) => r['QUERY PLAN'])
      .join('\n');
    expect(plan).toContain('audit_events_subject_idx');
    expect(plan).toContain('audit_events_subject_ids_idx');
    expect(plan).not.toMatch(/Seq Scan on audit_events/);
    const res = await mine(patient);
    expect(res.status).toBe(200);
  });
});
