import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Role } from '../../src/common/auth/role';
import { AuditAction, AuditOutcome } from '../../src/modules/audit/audit-action';
import { AuditService } from '../../src/modules/audit/audit.service';
import { ComplianceAlertsService } from '../../src/modules/compliance/reporting/compliance-alerts.service';
import { generateSecrets } from '../../src/config/secrets';
import { authHeader, signIn, type SignedIn } from '../support/auth';
import { createTestApp, type TestApp } from '../support/test-app';
import { auditRecords } from './privacy-support';

interface Alert {
  id: string;
  kind: string;
  status: string;
  userId: string | null;
  count: number;
  threshold: number;
  details: Record<string, unknown>;
  acknowledgedBy: string | null;
  note: string | null;
}

const ENV = {
  AUTH_RATE_LIMIT_PER_MINUTE: '10000',
  ALERT_RECORD_READS_PER_HOUR: '3',
  ALERT_DENIED_ACCESSES: '4',
  ALERT_DENIED_WINDOW_MINUTES: '10',
  ALERT_EXPORT_RECORDS: '5',
  // The tests run the passes themselves.
  ALERT_SCAN_INTERVAL_SECONDS: '3600',
  WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
};

// C17 (docs/compliance.md): the alarms read the audit trail in the shared database, so a
// pattern spread over two instances is seen whole and raised once.
describe('compliance: bulk-access and break-glass alarms across instances', () => {
  let a: TestApp;
  let b: TestApp;
  let db: DataSource;
  let doctor: SignedIn;
  let patient: SignedIn;
  let officer: SignedIn;
  let admin: SignedIn;

  beforeAll(async () => {
    // One set of secrets: a token from one instance is good on the other.
    const env = { ...ENV, ...generateSecrets() };
    a = await createTestApp({ env });
    b = await createTestApp({ db: a.db, env });
    db = a.app.get(DataSource);
    doctor = await signIn(a, Role.Doctor);
    patient = await signIn(a, Role.Patient);
    officer = await signIn(a, Role.ComplianceOfficer);
    admin = await signIn(a, Role.Admin);
    const hook = await a
      .http()
      .post('/api/v1/admin/webhooks')
      .set(authHeader(admin.accessToken))
      .send({ url: 'http://127.0.0.1:9/siem', events: ['compliance.alert'] });
    expect(hook.status).toBe(201);
    // Start from a quiet trail: everything before is read.
    await scanBoth();
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  // Both instances scan at once; the alerts raised by either.
  async function scanBoth() {
    const [x, y] = await Promise.all(
      [a, b].map((t) => t.app.get(ComplianceAlertsService).scanOnce()),
    );
    return [...x, ...y];
  }

  const readBy = (t: TestApp, actorId: string, subjectId: string) =>
    t.app.get(AuditService).record({
      action: AuditAction.PatientProfileRead,
      outcome: AuditOutcome.Success,
      actor: { userId: actorId, role: 'doctor' },
      resource: { type: 'patient_profile', id: subjectId },
      subjectId,
      details: { basis: 'care_relationship' },
    });

  const alertRows = (kind: string) =>
    db.query<
      { id: string; count: number; actor_user_id: string; details: Record<string, unknown> }[]
    >(`SELECT id, count, actor_user_id, details FROM compliance_alerts WHERE kind = $1`, [kind]);

  it('raises one alert for reads spread over two instances, none below the threshold', async () => {
    const patients = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    // Three patients (the threshold) on the two writers: no alert.
    await readBy(a, doctor.user.id, patients[0]);
    await readBy(b, doctor.user.id, patients[1]);
    await readBy(b, doctor.user.id, patients[2]);
    await readBy(a, doctor.user.id, patients[0]); // the same patient again counts once
    expect(await scanBoth()).toEqual([]);
    // A fourth patient, on the other instance: neither instance saw four alone.
    await readBy(a, doctor.user.id, patients[3]);
    const raised = await scanBoth();
    expect(raised.map((r) => r.kind)).toEqual(['record_reads']);
    expect(await alertRows('record_reads')).toEqual([
      expect.objectContaining({ count: 4, actor_user_id: doctor.user.id }),
    ]);
    // More reads in the same window: still one alert.
    await readBy(b, doctor.user.id, randomUUID());
    expect(await scanBoth()).toEqual([]);
    expect(await alertRows('record_reads')).toHaveLength(1);
  });

  it('raises an alert for every break-glass start, with its webhook event and audit record', async () => {
    const res = await a
      .http()
      .post('/api/v1/break-glass')
      .set(authHeader(doctor.accessToken))
      .send({
        patientId: patient.user.id,
        reason: 'Unconscious in the emergency room; need allergies and next of kin.',
        durationMinutes: 30,
      });
    expect(res.status).toBe(201);
    const raised = await scanBoth();
    expect(raised.map((r) => r.kind)).toEqual(['break_glass']);
    const [row] = await alertRows('break_glass');
    expect(row).toMatchObject({ actor_user_id: doctor.user.id });
    expect(row.details).toEqual({
      patientId: patient.user.id,
      grantId: (res.body as { id: string }).id,
    });
    const deliveries = await db.query<{ body: { type: string; data: Record<string, unknown> } }[]>(
      `SELECT body FROM webhook_deliveries WHERE event_type = 'compliance.alert'`,
    );
    expect(deliveries.map((d) => d.body.data)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ alertId: row.id, kind: 'break_glass', userId: doctor.user.id }),
      ]),
    );
    const records = await auditRecords(a, { action: AuditAction.ComplianceAlertRaise });
    expect(records.map((r) => r.resourceId)).toEqual(expect.arrayContaining([row.id]));
  });

  it('raises an alert for repeated refusals of one account, and for a bulk export', async () => {
    const probe = (t: TestApp) =>
      t.http().get(`/api/v1/users/${randomUUID()}/profile`).set(authHeader(patient.accessToken));
    for (const t of [a, b, a, b]) expect([403, 404]).toContain((await probe(t)).status);
    const exported = await a
      .http()
      .get('/api/v1/audit/export?format=csv')
      .set(authHeader(officer.accessToken));
    expect(exported.status).toBe(200);
    const raised = await scanBoth();
    expect(raised.map((r) => r.kind).sort()).toEqual(['bulk_export', 'denied_accesses']);
    expect((await alertRows('denied_accesses'))[0]).toMatchObject({
      actor_user_id: patient.user.id,
      count: 4,
    });
    expect((await alertRows('bulk_export'))[0].count).toBeGreaterThan(5);
  });

  it('counts the alerts in the metric of the instance that raised them', async () => {
    const scrape = async (t: TestApp) => (await t.http().get('/metrics')).text;
    const total = (text: string, kind: string) =>
      Number(
        new RegExp(`^hekim_compliance_alerts_total\\{kind="${kind}"\\} (\\d+)`, 'm').exec(
          text,
        )?.[1] ?? NaN,
      );
    const [ta, tb] = [await scrape(a), await scrape(b)];
    for (const kind of ['record_reads', 'break_glass', 'denied_accesses', 'bulk_export']) {
      expect(total(ta, kind) + total(tb, kind)).toBe(1);
    }
  });

  it('lists alerts for compliance officers and takes an acknowledgement with a note, audited', async () => {
    const list = (who: SignedIn, q = '') =>
      a.http().get(`/api/v1/compliance/alerts${q}`).set(authHeader(who.accessToken));
    const open = await list(officer, '?status=open');
    expect(open.status).toBe(200);
    const items = (open.body as { items: Alert[] }).items;
    expect(items.map((i) => i.kind).sort()).toEqual([
      'break_glass',
      'bulk_export',
      'denied_accesses',
      'record_reads',
    ]);
    for (const who of [doctor, patient, admin]) expect((await list(who)).status).toBe(403);
    const page = await list(officer, '?limit=3');
    expect((page.body as { items: Alert[] }).items).toHaveLength(3);
    const rest = await list(
      officer,
      `?limit=3&cursor=${(page.body as { nextCursor: string }).nextCursor}`,
    );
    expect((rest.body as { items: Alert[]; nextCursor: null }).items).toHaveLength(1);
    expect((await list(officer, '?status=closed')).status).toBe(400);
    expect((await list(officer, '?cursor=garbage')).status).toBe(400);

    const target = items.find((i) => i.kind === 'break_glass')!;
    const ack = (who: SignedIn, body: object, id = target.id) =>
      a
        .http()
        .post(`/api/v1/compliance/alerts/${id}/acknowledge`)
        .set(authHeader(who.accessToken))
        .send(body);
    expect((await ack(officer, { note: '   ' })).status).toBe(400);
    expect((await ack(doctor, { note: 'fine' })).status).toBe(403);
    expect((await ack(officer, { note: 'fine' }, randomUUID())).status).toBe(404);
    const done = await ack(officer, { note: 'Checked with the ward: a real emergency.' });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({
      status: 'acknowledged',
      acknowledgedBy: officer.user.id,
      note: 'Checked with the ward: a real emergency.',
    });
    expect((await ack(officer, { note: 'again' })).status).toBe(409);
    const acknowledged = await list(officer, '?status=acknowledged');
    expect((acknowledged.body as { items: Alert[] }).items.map((i) => i.id)).toEqual([target.id]);

    const acks = await auditRecords(a, { action: AuditAction.ComplianceAlertAcknowledge });
    expect(acks).toEqual([
      expect.objectContaining({ actorUserId: officer.user.id, resourceId: target.id }),
    ]);
    expect(JSON.stringify(acks[0].details)).not.toContain('ward');
    expect(
      (await auditRecords(a, { action: AuditAction.ComplianceAlertsRead })).length,
    ).toBeGreaterThanOrEqual(4);
  });
});
