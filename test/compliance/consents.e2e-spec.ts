import { DataSource } from 'typeorm';
import { Role } from '../../src/common/auth/role';
import { ConsentsPersonalData } from '../../src/modules/compliance/consents/consents.personal-data';
import { PersonalDataRegistry } from '../../src/common/personal-data/personal-data-registry';
import { authHeader, signIn, type SignedIn } from '../support/auth';
import { createTestApp, type TestApp } from '../support/test-app';

interface MyConsents {
  consents: { purpose: string; version: number; grantedAt: string; withdrawnAt: string | null }[];
  required: { purpose: string; version: number; text: string }[];
}

interface GrantRow {
  id: string;
  purpose: string;
  version: number;
  withdrawn_at: Date | null;
  superseded_at: Date | null;
  ip: string | null;
  user_agent: string | null;
}

// Consent texts and grants over REST (docs/compliance.md): what a person sees, what is stored as
// evidence, what is audited, and what erasure keeps.
describe('compliance: consents', () => {
  let t: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    t = await createTestApp({ env: { AUTH_RATE_LIMIT_PER_MINUTE: '10000' } });
    db = t.app.get(DataSource);
  });
  afterAll(() => t.close());

  const http = () => t.http();
  const patient = () => signIn(t, Role.Patient, { consent: false });
  const mine = async (who: SignedIn) =>
    (await http().get('/api/v1/consents/me').set(authHeader(who.accessToken)).expect(200))
      .body as MyConsents;
  const grants = (userId: string) =>
    db.query<GrantRow[]>(
      'SELECT * FROM consent_grants WHERE user_id = $1 ORDER BY granted_at, id',
      [userId],
    );
  const audits = (subjectId: string) =>
    db.query<{ action: string; actor_ip: string | null; details: Record<string, unknown> }[]>(
      `SELECT action, actor_ip, details FROM audit_events
        WHERE subject_id = $1 AND action LIKE 'consent.%' ORDER BY seq`,
      [subjectId],
    );

  it('serves the seeded first version of every purpose’s text', async () => {
    const p = await patient();
    const res = await http().get('/api/v1/consents/texts').set(authHeader(p.accessToken));
    expect(res.status).toBe(200);
    const items = (res.body as { items: { purpose: string; version: number; text: string }[] })
      .items;
    expect(items.map((i) => i.purpose).sort()).toEqual(['data_processing', 'telemedicine']);
    for (const i of items) expect(i.text.length).toBeGreaterThan(50);
  });

  it('asks a new patient for every current text and stores a grant with its origin', async () => {
    const p = await patient();
    const before = await mine(p);
    expect(before.consents).toEqual([]);
    expect(before.required.map((r) => `${r.purpose}@${r.version}`).sort()).toEqual([
      'data_processing@1',
      'telemedicine@1',
    ]);

    const res = await http()
      .post('/api/v1/consents')
      .set(authHeader(p.accessToken))
      .set('User-Agent', 'ConsentTest/1.0')
      .send({ purpose: 'telemedicine', version: 1 });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      consent: { purpose: 'telemedicine', version: 1, withdrawnAt: null },
    });

    const after = await mine(p);
    expect(after.consents).toHaveLength(1);
    expect(after.required.map((r) => r.purpose)).toEqual(['data_processing']);
    const [row] = await grants(p.user.id);
    expect(row.user_agent).toBe('ConsentTest/1.0');
    expect(row.ip).toMatch(/127\.0\.0\.1/);
    const [audit] = await audits(p.user.id);
    expect(audit).toMatchObject({
      action: 'consent.grant',
      details: { purpose: 'telemedicine', version: 1 },
    });
    expect(audit.actor_ip).toMatch(/127\.0\.0\.1/);
  });

  it('grants only the current version, once, and refuses malformed requests', async () => {
    const p = await patient();
    const post = (body: unknown) =>
      http()
        .post('/api/v1/consents')
        .set(authHeader(p.accessToken))
        .send(body as object);
    const stale = await post({ purpose: 'telemedicine', version: 2 });
    expect(stale.status).toBe(409);
    expect((stale.body as { code: string }).code).toBe('CONFLICT');
    expect((await post({ purpose: 'marketing', version: 1 })).status).toBe(400);
    expect((await post({ purpose: 'telemedicine', version: 1, extra: 1 })).status).toBe(400);
    expect((await post({ purpose: 'telemedicine', version: '1' })).status).toBe(400);

    expect((await post({ purpose: 'telemedicine', version: 1 })).status).toBe(201);
    expect((await post({ purpose: 'telemedicine', version: 1 })).status).toBe(201);
    expect(await grants(p.user.id)).toHaveLength(1);
    expect(await audits(p.user.id)).toHaveLength(1);
  });

  it('withdraws, audits the withdrawal, and answers 404 when nothing is in force', async () => {
    const p = await patient();
    await http()
      .post('/api/v1/consents')
      .set(authHeader(p.accessToken))
      .send({ purpose: 'data_processing', version: 1 })
      .expect(201);
    const del = () =>
      http().delete('/api/v1/consents/data_processing').set(authHeader(p.accessToken));
    expect((await del()).status).toBe(204);
    expect((await del()).status).toBe(404);
    expect(
      (await http().delete('/api/v1/consents/marketing').set(authHeader(p.accessToken))).status,
    ).toBe(400);

    const me = await mine(p);
    expect(me.consents[0].withdrawnAt).not.toBeNull();
    expect(me.required.map((r) => r.purpose).sort()).toEqual(['data_processing', 'telemedicine']);
    expect((await audits(p.user.id)).map((a) => a.action)).toEqual([
      'consent.grant',
      'consent.withdraw',
    ]);
  });

  it('publishes a new version that patients must grant again, keeping the old grant', async () => {
    const admin = await signIn(t, Role.Admin);
    const p = await patient();
    const post = (version: number) =>
      http()
        .post('/api/v1/consents')
        .set(authHeader(p.accessToken))
        .send({ purpose: 'data_processing', version });
    expect((await post(1)).status).toBe(201);

    const published = await http()
      .post('/api/v1/consents/texts')
      .set(authHeader(admin.accessToken))
      .send({ purpose: 'data_processing', text: 'Version two of the data processing text.' });
    expect(published.status).toBe(201);
    expect(published.body).toMatchObject({ purpose: 'data_processing', version: 2 });
    const [publishAudit] = await db.query<{ actor_user_id: string; details: object }[]>(
      `SELECT actor_user_id, details FROM audit_events WHERE action = 'consent.text_publish'
        ORDER BY seq DESC LIMIT 1`,
    );
    expect(publishAudit).toEqual({
      actor_user_id: admin.user.id,
      details: { purpose: 'data_processing', version: 2 },
    });

    expect((await mine(p)).required).toContainEqual({
      purpose: 'data_processing',
      version: 2,
      text: 'Version two of the data processing text.',
    });
    expect((await post(1)).status).toBe(409);
    expect((await post(2)).status).toBe(201);
    const rows = await grants(p.user.id);
    expect(rows.map((r) => [r.version, r.superseded_at !== null, r.withdrawn_at])).toEqual([
      [1, true, null],
      [2, false, null],
    ]);
    const all = await http()
      .get('/api/v1/consents/texts?purpose=data_processing&all=true')
      .set(authHeader(p.accessToken))
      .expect(200);
    expect((all.body as { items: { version: number }[] }).items.map((i) => i.version)).toEqual([
      2, 1,
    ]);
    const current = await http()
      .get('/api/v1/consents/texts?purpose=data_processing')
      .set(authHeader(p.accessToken))
      .expect(200);
    expect((current.body as { items: { version: number }[] }).items.map((i) => i.version)).toEqual([
      2,
    ]);
    const short = await http()
      .post('/api/v1/consents/texts')
      .set(authHeader(admin.accessToken))
      .send({ purpose: 'data_processing', text: 'too short' });
    expect(short.status).toBe(400);
  });

  it('exports grants with their origin and erases the origin but keeps the fact', async () => {
    const p = await patient();
    await http()
      .post('/api/v1/consents')
      .set(authHeader(p.accessToken))
      .set('User-Agent', 'ConsentTest/2.0')
      .send({ purpose: 'telemedicine', version: 1 })
      .expect(201);
    const registry = t.app.get(PersonalDataRegistry);
    const contributor = registry.all().find((c) => c.section === 'consents');
    expect(contributor?.tables).toEqual(['consent_grants']);
    const section = t.app.get(ConsentsPersonalData);

    const exported = (await db.transaction((m) => section.exportFor(p.user, m))) as {
      purpose: string;
      userAgent: string | null;
    }[];
    expect(exported).toEqual([
      expect.objectContaining({ purpose: 'telemedicine', userAgent: 'ConsentTest/2.0' }),
    ]);

    expect(await db.transaction((m) => section.eraseFor(p.user, m))).toBe(1);
    const [row] = await grants(p.user.id);
    expect(row).toMatchObject({ purpose: 'telemedicine', version: 1, ip: null, user_agent: null });
    expect(row.withdrawn_at).not.toBeNull();
    // Nothing left to change: erasure is idempotent.
    expect(await db.transaction((m) => section.eraseFor(p.user, m))).toBe(0);
  });
});
