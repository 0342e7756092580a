import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { DataSource } from 'typeorm';
import { Role } from '../../src/common/auth/role';
import { PersonalDataRegistry } from '../../src/common/personal-data/personal-data-registry';
import { authHeader, signIn, type SignedIn } from '../support/auth';
import {
  BrowserSubscription,
  pushCredentials,
  type PushCredentials,
} from '../support/push-services';
import { selfSignedCertificate } from '../support/self-signed';
import { createTestApp, type TestApp } from '../support/test-app';

const APNS_TOKEN = (): string => randomBytes(32).toString('hex');
const FCM_TOKEN = (): string =>
  `${randomBytes(11).toString('base64url')}:APA91b${randomBytes(100).toString('base64url')}`;

interface Problem {
  code: string;
  errors?: { field: string; messages: string[] }[];
}

// POST/GET/DELETE /devices: the signed-in user's own push devices (docs/notifications.md#push).
describe('push devices', () => {
  let t: TestApp;
  let db: DataSource;
  let creds: PushCredentials;
  let alice: SignedIn;
  let bob: SignedIn;

  beforeAll(async () => {
    creds = pushCredentials({ tls: await selfSignedCertificate() });
    t = await createTestApp({ env: { ...creds.env, AUTH_RATE_LIMIT_PER_MINUTE: '1000' } });
    db = t.app.get(DataSource);
    alice = await signIn(t, Role.Patient);
    bob = await signIn(t, Role.Doctor);
  });
  afterAll(async () => {
    await t?.close();
    rmSync(creds.dir, { recursive: true, force: true });
  });

  const post = (who: SignedIn, body: unknown) =>
    t
      .http()
      .post('/api/v1/devices')
      .set(authHeader(who.accessToken))
      .send(body as object);
  const list = (who: SignedIn, query = '') =>
    t.http().get(`/api/v1/devices${query}`).set(authHeader(who.accessToken));

  it('registers a Web Push subscription and answers the bare device; the same subscription again is the same device', async () => {
    const sub = new BrowserSubscription('https://fcm.push.example.test/send/abc');
    const res = await post(alice, { platform: 'web', subscription: sub.toJSON() });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(String) as string,
      platform: 'web',
      voip: false,
      hint: 'fcm.push.example.test',
      createdAt: expect.any(String) as string,
    });
    const again = await post(alice, { platform: 'web', subscription: sub.toJSON() });
    expect(again.status).toBe(201);
    expect((again.body as { id: string }).id).toBe((res.body as { id: string }).id);
    const page = await list(alice);
    expect(page.status).toBe(200);
    expect(page.body).toEqual({ items: [res.body], nextCursor: null });
    const [{ n }] = await db.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM audit_events WHERE action = 'device.register' AND resource_id = $1`,
      [(res.body as { id: string }).id],
    );
    expect(n).toBe(2);
  });

  it('registers APNs (VoIP) and FCM tokens, pages them and never shows a token', async () => {
    const carol = await signIn(t, Role.Patient);
    const token = APNS_TOKEN();
    const apns = await post(carol, { platform: 'apns', token: token.toUpperCase(), voip: true });
    expect(apns.status).toBe(201);
    expect(apns.body).toMatchObject({ platform: 'apns', voip: true, hint: `…${token.slice(-8)}` });
    const fcm = await post(carol, { platform: 'fcm', token: FCM_TOKEN() });
    expect(fcm.body).toMatchObject({ platform: 'fcm', voip: false });
    const first = await list(carol, '?limit=1');
    const body = first.body as { items: { id: string }[]; nextCursor: string };
    expect(body.items.map((d) => d.id)).toEqual([(fcm.body as { id: string }).id]);
    const second = await list(carol, `?limit=1&cursor=${encodeURIComponent(body.nextCursor)}`);
    expect(second.body).toEqual({ items: [apns.body], nextCursor: null });
    expect(JSON.stringify([first.body, second.body])).not.toContain(token);
  });

  it('refuses malformed registrations with a 400 problem naming the field', async () => {
    const good = new BrowserSubscription('https://push.example.test/x').toJSON();
    const onCurve = good.keys.p256dh;
    const offCurve = Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 7)]).toString('base64url');
    const cases: [unknown, string][] = [
      [{ platform: 'web' }, 'subscription'],
      [
        { platform: 'web', subscription: { ...good, endpoint: 'http://push.example.test/x' } },
        'subscription.endpoint',
      ],
      [
        { platform: 'web', subscription: { ...good, endpoint: 'https://169.254.169.254/latest' } },
        'subscription.endpoint',
      ],
      [
        {
          platform: 'web',
          subscription: { ...good, endpoint: 'https://evil.example.org/push.example.test' },
        },
        'subscription.endpoint',
      ],
      [
        { platform: 'web', subscription: { ...good, keys: { ...good.keys, p256dh: offCurve } } },
        'subscription.keys.p256dh',
      ],
      [
        {
          platform: 'web',
          subscription: { ...good, keys: { ...good.keys, p256dh: onCurve.slice(0, 40) } },
        },
        'subscription.keys.p256dh',
      ],
      [
        { platform: 'web', subscription: { ...good, keys: { ...good.keys, auth: 'c2hvcnQ' } } },
        'subscription.keys.auth',
      ],
      [
        { platform: 'web', subscription: { ...good, keys: { p256dh: onCurve } } },
        'subscription.keys.auth',
      ],
      [{ platform: 'web', subscription: good, token: APNS_TOKEN() }, 'token'],
      [{ platform: 'web', subscription: { ...good, extra: 1 } }, 'subscription.extra'],
      [{ platform: 'apns', token: 'not-hex' }, 'token'],
      [{ platform: 'apns', token: APNS_TOKEN().slice(1) }, 'token'],
      [{ platform: 'apns' }, 'token'],
      [{ platform: 'apns', token: APNS_TOKEN(), voip: 'yes' }, 'voip'],
      [{ platform: 'fcm', token: 'x y' }, 'token'],
      [{ platform: 'fcm', token: FCM_TOKEN(), voip: true }, 'voip'],
      [{ platform: 'fcm', token: FCM_TOKEN(), subscription: good }, 'subscription'],
      [{ platform: 'sms', token: FCM_TOKEN() }, 'platform'],
    ];
    for (const [body, field] of cases) {
      const res = await post(alice, body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      const problem = res.body as Problem;
      expect(problem.code).toBe('VALIDATION_FAILED');
      expect({ body, fields: problem.errors?.map((e) => e.field) }).toEqual({
        body,
        fields: expect.arrayContaining([field]) as string[],
      });
    }
    expect((await list(alice)).body).toMatchObject({ items: [expect.anything()] });
  });

  it('lets only the owner remove a device; a token registered by someone else moves to them', async () => {
    const dave = await signIn(t, Role.Patient);
    const token = APNS_TOKEN();
    const mine = (await post(dave, { platform: 'apns', token })).body as { id: string };
    const del = (who: SignedIn, id: string) =>
      t.http().delete(`/api/v1/devices/${id}`).set(authHeader(who.accessToken));

    expect((await del(bob, mine.id)).status).toBe(404);
    expect((await t.http().delete(`/api/v1/devices/${mine.id}`)).status).toBe(401);
    expect((await t.http().get('/api/v1/devices')).status).toBe(401);
    expect((await del(dave, 'not-a-uuid')).status).toBe(400);
    expect(((await list(dave)).body as { items: unknown[] }).items).toHaveLength(1);

    // The phone changed hands: the new owner registers its token and the old one loses it.
    const moved = (await post(bob, { platform: 'apns', token })).body as { id: string };
    expect(moved.id).toBe(mine.id);
    expect(((await list(dave)).body as { items: unknown[] }).items).toHaveLength(0);
    expect((await del(dave, mine.id)).status).toBe(404);
    expect((await del(bob, mine.id)).status).toBe(204);
    expect(((await list(bob)).body as { items: unknown[] }).items).toHaveLength(0);

    const audit = await db.query<
      { action: string; actor_user_id: string; details: Record<string, unknown> }[]
    >(
      `SELECT action, actor_user_id, details FROM audit_events
        WHERE resource_id = $1 AND action LIKE 'device.%' ORDER BY seq`,
      [mine.id],
    );
    expect(audit).toEqual([
      {
        action: 'device.register',
        actor_user_id: dave.user.id,
        details: expect.objectContaining({ moved: false }) as object,
      },
      {
        action: 'device.register',
        actor_user_id: bob.user.id,
        details: expect.objectContaining({ moved: true }) as object,
      },
      {
        action: 'device.remove',
        actor_user_id: bob.user.id,
        details: expect.objectContaining({ reason: 'owner' }) as object,
      },
    ]);
    expect(JSON.stringify(audit)).not.toContain(token);
  });

  it('refuses more than 20 devices per user', async () => {
    const erin = await signIn(t, Role.Patient);
    for (let i = 0; i < 20; i++)
      expect((await post(erin, { platform: 'fcm', token: FCM_TOKEN() })).status).toBe(201);
    const res = await post(erin, { platform: 'fcm', token: FCM_TOKEN() });
    expect(res.status).toBe(409);
    expect((res.body as Problem).code).toBe('CONFLICT');
  });

  it("exports a user's devices without tokens and destroys them on erasure", async () => {
    const frank = await signIn(t, Role.Patient);
    const token = APNS_TOKEN();
    const device = (await post(frank, { platform: 'apns', token, voip: true })).body as {
      id: string;
    };
    const contributor = t.app
      .get(PersonalDataRegistry)
      .all()
      .find((c) => c.section === 'pushDevices')!;
    expect(contributor.tables).toEqual(['push_devices', 'push_rings']);
    const exported = await db.transaction((m) => contributor.exportFor(frank.user, m));
    expect(exported).toEqual([
      {
        id: device.id,
        platform: 'apns',
        voip: true,
        createdAt: expect.any(Date) as Date,
        rungForCallIds: [],
      },
    ]);
    expect(JSON.stringify(exported)).not.toContain(token);
    expect(await db.transaction((m) => contributor.eraseFor(frank.user, m))).toBe(1);
    expect(((await list(frank)).body as { items: unknown[] }).items).toEqual([]);
  });
});
