import { writeFile, rm } from 'node:fs/promises';
import { DataSource } from 'typeorm';
import { join } from 'node:path';
import { publicKeyFromPem } from '../../src/modules/audit/chain/audit-signing';
import { verifyExportFile } from '../../src/modules/audit/verification/audit-verify-cli';
import { AuditService } from '../../src/modules/audit/audit.service';
import { AuditAction, AuditOutcome } from '../../src/modules/audit/audit-action';
import { Role } from '../../src/common/auth/role';
import { authHeader, signIn } from '../support/auth';
import { createTestApp, type TestApp } from '../support/test-app';
import { recordMany, tempDir } from './audit-support';

interface Page {
  items: { seq: string; action: string; outcome: string; hash: string; prevHash: string }[];
  nextCursor: string | null;
}

describe('audit trail: HTTP API', () => {
  let t: TestApp;
  let dir: string;
  let token: string;
  let first: number;

  beforeAll(async () => {
    t = await createTestApp({ env: { AUDIT_CHECKPOINT_EVERY_RECORDS: '10' } });
    token = (await signIn(t, Role.ComplianceOfficer)).accessToken;
    const [{ head }] = await t.app
      .get(DataSource)
      .query<{ head: string }[]>('SELECT coalesce(max(seq), 0) AS head FROM audit_events');
    first = Number(head) + 1;
    await recordMany(t, 12);
    await t.app.get(AuditService).record({
      action: AuditAction.AuthLogout,
      outcome: AuditOutcome.Denied,
      actor: { userId: '11111111-2222-4333-8444-555555555555' },
    });
    dir = await tempDir();
  });
  afterAll(async () => {
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  const get = (path: string) => t.http().get(`/api/v1/audit/${path}`).set(authHeader(token));

  it('publishes the Ed25519 public key', async () => {
    const res = await get('public-key').expect(200);
    expect(res.body).toMatchObject({
      algorithm: 'Ed25519',
      keyId: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    expect(publicKeyFromPem(res.body.publicKey as string).asymmetricKeyType).toBe('ed25519');
  });

  it('lists events in seq order with cursor pagination and filters', async () => {
    const page1 = (await get('events?limit=5').expect(200)).body as Page;
    expect(page1.items.map((i) => i.seq)).toEqual(['1', '2', '3', '4', '5']);
    expect(page1.nextCursor).toBe('5');
    const page2 = (await get(`events?limit=5&cursor=${page1.nextCursor}`).expect(200)).body as Page;
    expect(page2.items[0].seq).toBe('6');
    expect(page2.items[0].prevHash).toBe(page1.items[4].hash);
    const all = (await get('events?limit=200').expect(200)).body as Page;
    expect(all.nextCursor).toBeNull();
    const denied = (await get('events?outcome=denied&action=auth.logout').expect(200)).body as Page;
    expect(denied.items.map((i) => i.seq)).toEqual([String(first + 12)]);
    const byActor = (await get('events?actorId=11111111-2222-4333-8444-555555555555').expect(200))
      .body as Page;
    expect(byActor.items).toHaveLength(1);
    const bySubject = (
      await get('events?subjectId=0e8f5c1a-2b3c-4d5e-8f70-1a2b3c4d5e6f&limit=200').expect(200)
    ).body as Page;
    // The 12 logins, then this very read: listing someone's trail is a read of their data.
    expect(bySubject.items.map((i) => i.action)).toEqual([
      ...Array<string>(12).fill('auth.login'),
      'audit.events.read',
    ]);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const none = (await get(`events?from=${encodeURIComponent(future)}`).expect(200)).body as Page;
    expect(none.items).toEqual([]);
    const until = (await get(`events?to=${encodeURIComponent(future)}&limit=1`).expect(200))
      .body as Page;
    expect(until.items[0].seq).toBe('1');
    const reads = (await get('events?action=audit.events.read&limit=200').expect(200)).body as Page;
    expect(reads.items.length).toBeGreaterThanOrEqual(8);
  });

  it.each([
    'events?limit=500',
    'events?limit=0',
    'events?cursor=abc',
    'events?outcome=maybe',
    'events?actorId=x',
    'events?from=yesterday',
    'events?foo=1',
    'export',
    'export?format=xml',
    'verify?to=soon',
  ])('rejects %s with 400', async (path) => {
    const res = await get(path).expect(400);
    expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it.each([
    ['ndjson', 'application/x-ndjson'],
    ['csv', 'text/csv; charset=utf-8'],
    ['fhir', 'application/fhir+json'],
  ])('streams a %s export with a download filename that verifies offline', async (format, type) => {
    const res = await get(`export?format=${format}`)
      .buffer(true)
      .parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect(res.headers['content-type']).toBe(type);
    expect(res.headers['content-disposition']).toMatch(
      /^attachment; filename="hekim-audit-1-\d+\.(ndjson|csv|fhir\.json)"$/,
    );
    const path = join(dir, `http.${format}`);
    await writeFile(path, res.body as Buffer);
    const key = (await get('public-key').expect(200)).body as { publicKey: string };
    expect(await verifyExportFile(path, publicKeyFromPem(key.publicKey))).toMatchObject({
      valid: true,
    });
  });

  it('exports an empty range as an empty, valid file', async () => {
    const future = encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString());
    const res = await get(`export?format=ndjson&from=${future}`).expect(200);
    expect(res.headers['content-disposition']).toBe(
      'attachment; filename="hekim-audit-empty.ndjson"',
    );
    expect(res.text).toBe('');
  });

  it('verifies the whole chain or a time range, and records each call', async () => {
    const whole = await get('verify').expect(200);
    expect(whole.body).toEqual({ valid: true, checked: expect.any(Number) });
    const from = encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString());
    const to = encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString());
    expect((await get(`verify?from=${from}&to=${to}`).expect(200)).body).toMatchObject({
      valid: true,
    });
    const empty = encodeURIComponent(new Date(Date.now() + 7_200_000).toISOString());
    expect((await get(`verify?from=${empty}`).expect(200)).body).toEqual({
      valid: true,
      checked: 0,
    });
    const verifies = (await get('events?action=audit.verify&limit=200').expect(200)).body as Page;
    expect(verifies.items).toHaveLength(3);
    const exports = (await get('events?action=audit.export&limit=200').expect(200)).body as Page;
    expect(exports.items.length).toBeGreaterThanOrEqual(4);
  });

  describe('who may call', () => {
    const routes = ['events', 'export?format=ndjson', 'verify'];

    it.each(routes)('%s: 401 without a token, and the refusal is answered', async (path) => {
      const res = await t.http().get(`/api/v1/audit/${path}`).expect(401);
      expect(res.body).toMatchObject({ code: 'UNAUTHORIZED' });
    });

    it.each([
      [Role.Patient, 403],
      [Role.Doctor, 403],
      [Role.Admin, 200],
      [Role.ComplianceOfficer, 200],
    ])('%s gets %i on events, export and verify', async (role, status) => {
      const { accessToken } = await signIn(t, role);
      for (const path of routes) {
        await t.http().get(`/api/v1/audit/${path}`).set(authHeader(accessToken)).expect(status);
      }
    });

    it('a role refusal by the guard is recorded as access.denied', async () => {
      const doctor = await signIn(t, Role.Doctor);
      await t.http().get('/api/v1/audit/verify').set(authHeader(doctor.accessToken)).expect(403);
      const denials = (await get('events?action=access.denied&limit=200').expect(200)).body as {
        items: { actor: { userId: string }; outcome: string }[];
      };
      expect(denials.items.filter((d) => d.actor.userId === doctor.user.id)).toEqual([
        expect.objectContaining({ outcome: 'denied' }),
      ]);
    });

    it('the public key is public', async () => {
      await t.http().get('/api/v1/audit/public-key').expect(200);
    });

    it('records a 403 or 404 thrown by a handler on a protected route as access.denied', async () => {
      const patient = await signIn(t, Role.Patient);
      const other = await signIn(t, Role.Patient);
      const res = await t
        .http()
        .get(`/api/v1/users/${other.user.id}`)
        .set(authHeader(patient.accessToken));
      expect([403, 404]).toContain(res.status);
      const denials = (await get('events?action=access.denied&limit=200').expect(200)).body as {
        items: {
          actor: { userId: string };
          resource: { id: string };
          details: { status: number };
        }[];
      };
      expect(denials.items).toContainEqual(
        expect.objectContaining({
          actor: expect.objectContaining({ userId: patient.user.id }) as unknown,
          resource: { type: 'route', id: 'GET /api/v1/users/:id' },
          details: { status: res.status, resourceId: other.user.id },
        }),
      );
    });
  });
});
