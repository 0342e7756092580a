import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { DataSource } from 'typeorm';
import { Role } from '../../src/common/auth/role';
import type { CallEntity } from '../../src/modules/calls/call.entity';
import { CallsService } from '../../src/modules/calls/calls.service';
import { authHeader, signIn, type SignedIn } from '../support/auth';
import { careRoom } from '../support/care';
import {
  BrowserSubscription,
  Http2Provider,
  pushCredentials,
  vapidKey,
  verifyJwt,
  WebPushService,
  type PushCredentials,
  type RecordedRequest,
} from '../support/push-services';
import { selfSignedCertificate } from '../support/self-signed';
import { until } from '../support/signaling-client';
import { createTestApp, type TestApp } from '../support/test-app';

const FCM_ACCESS_TOKEN = `ya29.${randomBytes(24).toString('base64url')}`;

interface OutboxRow {
  id: string;
  recipient: string;
  kind: string;
  status: string;
  attempts: number;
  last_error: string | null;
}

interface Phone {
  web: BrowserSubscription;
  voipToken: string;
  alertToken: string;
  fcmToken: string;
  ids: Record<'web' | 'voip' | 'alert' | 'fcm', string>;
}

// An incoming call to a user with no connected socket is pushed to their devices through the
// outbox, against local stand-ins of a Web Push service, APNs and FCM that check what they
// get the way the providers would (docs/notifications.md#push).
describe('push to devices', () => {
  let t: TestApp;
  let db: DataSource;
  let creds: PushCredentials;
  const webPush = new WebPushService();
  const apns = new Http2Provider();
  const fcm = new Http2Provider();
  let doctor: SignedIn;

  beforeAll(async () => {
    const tls = await selfSignedCertificate();
    await Promise.all([webPush.start(tls), apns.start(tls), fcm.start(tls)]);
    creds = pushCredentials({
      tls,
      webPushHosts: 'localhost',
      apnsPort: apns.port,
      fcmPort: fcm.port,
    });
    t = await createTestApp({
      listen: true,
      env: {
        ...creds.env,
        NOTIFY_RELAY_ENABLED: 'true',
        NOTIFY_POLL_INTERVAL_MS: '50',
        NOTIFY_RETRY_BASE_MS: '50',
        NOTIFY_RETRY_MAX_MS: '200',
        NOTIFY_MAX_ATTEMPTS: '20',
        AUTH_RATE_LIMIT_PER_MINUTE: '1000',
        CALL_INITIATE_RATE_PER_MINUTE: '100',
      },
    });
    db = t.app.get(DataSource);
    doctor = await signIn(t, Role.Doctor);
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([webPush.stop(), apns.stop(), fcm.stop()]);
    rmSync(creds.dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    webPush.answer = () => ({ status: 201 });
    apns.answer = () => ({ status: 200 });
    fcm.answer = fcmAnswer;
  });

  // FCM: the token endpoint issues an access token for a valid assertion; the send endpoint
  // takes only that token.
  function fcmAnswer(r: RecordedRequest): { status: number; body?: unknown } {
    if (r.path === '/token')
      return {
        status: 200,
        body: { access_token: FCM_ACCESS_TOKEN, expires_in: 3599, token_type: 'Bearer' },
      };
    if (r.headers.authorization !== `Bearer ${FCM_ACCESS_TOKEN}`)
      return { status: 401, body: { error: { code: 401, status: 'UNAUTHENTICATED' } } };
    return { status: 200, body: { name: 'projects/hekim-test/messages/0:1' } };
  }

  // A patient in the doctor's care with four devices and no socket.
  async function patientWithPhone(): Promise<{ patient: SignedIn; phone: Phone }> {
    const patient = await signIn(t, Role.Patient);
    await careRoom(t, doctor, patient);
    const web = new BrowserSubscription(
      `https://localhost:${webPush.port}/push/${randomBytes(8).toString('hex')}`,
    );
    const phone = {
      web,
      voipToken: randomBytes(32).toString('hex'),
      alertToken: randomBytes(32).toString('hex'),
      fcmToken: `${randomBytes(11).toString('base64url')}:APA91b${randomBytes(90).toString('base64url')}`,
    };
    const register = async (body: object): Promise<string> => {
      const res = await t
        .http()
        .post('/api/v1/devices')
        .set(authHeader(patient.accessToken))
        .send(body);
      expect(res.status).toBe(201);
      return (res.body as { id: string }).id;
    };
    const ids = {
      web: await register({ platform: 'web', subscription: web.toJSON() }),
      voip: await register({ platform: 'apns', token: phone.voipToken, voip: true }),
      alert: await register({ platform: 'apns', token: phone.alertToken }),
      fcm: await register({ platform: 'fcm', token: phone.fcmToken }),
    };
    return { patient, phone: { ...phone, ids } };
  }

  async function call(patient: SignedIn): Promise<string> {
    const res = await t
      .http()
      .post('/api/v1/calls')
      .set(authHeader(doctor.accessToken))
      .send({ calleeIds: [patient.user.id], type: 'video' });
    expect(res.status).toBe(201);
    return (res.body as { id: string }).id;
  }

  const rowsOf = (callId: string, kind: string): Promise<OutboxRow[]> =>
    db.query<OutboxRow[]>(
      `SELECT id, recipient, kind, status, attempts, last_error FROM notification_outbox
        WHERE channel = 'push' AND kind = $2 AND payload->>'callId' = $1 ORDER BY recipient`,
      [callId, kind],
    );
  const settled = async (callId: string, kind: string, n: number): Promise<OutboxRow[]> => {
    await until(async () => {
      const rows = await rowsOf(callId, kind);
      return rows.length === n && rows.every((r) => r.status !== 'pending');
    }, 15_000);
    return rowsOf(callId, kind);
  };

  // What each provider got for one call, newest last.
  const webFor = (phone: Phone) =>
    webPush.requests.filter((r) => r.path === new URL(phone.web.endpoint).pathname);
  const apnsFor = (token: string) => apns.requests.filter((r) => r.path === `/3/device/${token}`);
  const fcmFor = (token: string) =>
    fcm.requests.filter(
      (r) =>
        r.path.endsWith('/messages:send') &&
        (JSON.parse(r.body.toString()) as { message: { token: string } }).message.token === token,
    );

  it('pushes an incoming call to every platform in its format, signed, with ids only', async () => {
    const { patient, phone } = await patientWithPhone();
    const callId = await call(patient);
    const rows = await settled(callId, 'call.incoming', 4);
    expect(rows.map((r) => r.status)).toEqual(['sent', 'sent', 'sent', 'sent']);
    expect(rows.map((r) => r.recipient).sort()).toEqual(Object.values(phone.ids).sort());
    const messageIdOf = (deviceId: string) => rows.find((r) => r.recipient === deviceId)!.id;
    const secrets = [doctor.user.displayName, doctor.user.email, patient.user.email];

    // Web Push: VAPID-signed, aes128gcm-encrypted for this browser only.
    const [w] = webFor(phone);
    expect(w.method).toBe('POST');
    expect(w.headers['content-encoding']).toBe('aes128gcm');
    expect(w.headers.urgency).toBe('high');
    expect(w.headers.topic).toBe(callId.replace(/-/g, ''));
    expect(Number(w.headers.ttl)).toBeGreaterThan(0);
    expect(Number(w.headers.ttl)).toBeLessThanOrEqual(30);
    const vapid = /^vapid t=([^,]+), k=(.+)$/.exec(String(w.headers.authorization));
    expect(vapid?.[2]).toBe(creds.vapidPublicKey);
    const jwt = verifyJwt(vapid![1], vapidKey(vapid![2]), 'ES256');
    expect(jwt.payload).toMatchObject({
      aud: `https://localhost:${webPush.port}`,
      sub: 'mailto:ops@hekim.test',
    });
    expect(jwt.payload.exp).toBeGreaterThan(Date.now() / 1000);
    const text = phone.web.decrypt(w.body);
    expect(JSON.parse(text)).toEqual({
      kind: 'call.incoming',
      messageId: messageIdOf(phone.ids.web),
      callId,
      callerId: doctor.user.id,
      callType: 'video',
    });
    expect(w.body.toString('latin1')).not.toContain(callId);

    // APNs, VoIP token: a VoIP push to <bundle>.voip with an ES256 provider token.
    const [v] = apnsFor(phone.voipToken);
    expect(v.method).toBe('POST');
    expect(v.headers).toMatchObject({
      'apns-push-type': 'voip',
      'apns-topic': 'org.hekim.test.voip',
      'apns-priority': '10',
      'apns-id': messageIdOf(phone.ids.voip),
      'apns-collapse-id': callId,
    });
    expect(Number(v.headers['apns-expiration'])).toBeGreaterThan(Date.now() / 1000);
    const bearer = /^bearer (.+)$/.exec(String(v.headers.authorization))![1];
    const provider = verifyJwt(bearer, creds.apnsPublicKey, 'ES256');
    expect(provider.header).toMatchObject({ alg: 'ES256', kid: 'ABC123DEFG' });
    expect(provider.payload.iss).toBe('TEAM123456');
    expect(Math.abs(Number(provider.payload.iat) - Date.now() / 1000)).toBeLessThan(120);
    expect(JSON.parse(v.body.toString())).toEqual({
      aps: {},
      kind: 'call.incoming',
      messageId: messageIdOf(phone.ids.voip),
      callId,
      callerId: doctor.user.id,
      callType: 'video',
    });
    // APNs, plain token: an alert on the app's own topic, text from the app's strings.
    const [a] = apnsFor(phone.alertToken);
    expect(a.headers).toMatchObject({ 'apns-push-type': 'alert', 'apns-topic': 'org.hekim.test' });
    expect((JSON.parse(a.body.toString()) as { aps: unknown }).aps).toEqual({
      alert: { 'loc-key': 'CALL_INCOMING' },
      sound: 'default',
      'interruption-level': 'time-sensitive',
    });

    // FCM: an OAuth token for a signed assertion, then a high-priority data message.
    const exchange = fcm.requests.find((r) => r.path === '/token')!;
    expect(exchange.method).toBe('POST');
    expect(exchange.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const form = new URLSearchParams(exchange.body.toString());
    expect(form.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
    const assertion = verifyJwt(form.get('assertion')!, creds.fcmPublicKey, 'RS256');
    expect(assertion.header.kid).toBe('key-1');
    expect(assertion.payload).toMatchObject({
      iss: creds.fcmClientEmail,
      scope: 'https://www.googleapis.com/auth/firebase.messaging',
      aud: `https://localhost:${fcm.port}/token`,
    });
    expect(Number(assertion.payload.exp) - Number(assertion.payload.iat)).toBe(3600);
    const [f] = fcmFor(phone.fcmToken);
    expect(f.method).toBe('POST');
    expect(f.path).toBe('/v1/projects/hekim-test/messages:send');
    expect(f.headers.authorization).toBe(`Bearer ${FCM_ACCESS_TOKEN}`);
    const message = (JSON.parse(f.body.toString()) as { message: Record<string, unknown> }).message;
    expect(message).toEqual({
      token: phone.fcmToken,
      data: {
        kind: 'call.incoming',
        messageId: messageIdOf(phone.ids.fcm),
        callId,
        callerId: doctor.user.id,
        callType: 'video',
      },
      android: {
        priority: 'HIGH',
        ttl: expect.stringMatching(/^\d+s$/) as string,
        collapse_key: callId,
      },
    });

    for (const body of [text, v.body.toString(), a.body.toString(), f.body.toString()])
      for (const secret of secrets) expect(body).not.toContain(secret);
  });

  it('stops the ringing on cancel, answer elsewhere and timeout with a call.ended push to the devices that rang', async () => {
    const cases: [string, (callId: string, patient: SignedIn) => Promise<unknown>][] = [
      [
        'cancelled',
        (id) => t.http().post(`/api/v1/calls/${id}/cancel`).set(authHeader(doctor.accessToken)),
      ],
      [
        'answered',
        (id, patient) =>
          t.http().post(`/api/v1/calls/${id}/accept`).set(authHeader(patient.accessToken)).send({}),
      ],
      ['missed', () => t.app.get(CallsService).expireRinging(new Date(Date.now() + 60_000))],
    ];
    for (const [reason, stop] of cases) {
      const { patient, phone } = await patientWithPhone();
      const callId = await call(patient);
      await settled(callId, 'call.incoming', 4);
      const res = (await stop(callId, patient)) as { status?: number } | number;
      if (typeof res === 'object') expect(res.status).toBe(200);
      const rows = await settled(callId, 'call.ended', 4);
      expect({ reason, statuses: rows.map((r) => r.status) }).toEqual({
        reason,
        statuses: ['sent', 'sent', 'sent', 'sent'],
      });

      const w = webFor(phone).at(-1)!;
      expect(w.headers.topic).toBe(callId.replace(/-/g, ''));
      expect(JSON.parse(phone.web.decrypt(w.body))).toMatchObject({
        kind: 'call.ended',
        callId,
        reason,
      });
      const v = apnsFor(phone.voipToken).at(-1)!;
      expect(v.headers['apns-push-type']).toBe('voip');
      expect(JSON.parse(v.body.toString())).toMatchObject({ kind: 'call.ended', callId, reason });
      const a = apnsFor(phone.alertToken).at(-1)!;
      expect(a.headers).toMatchObject({ 'apns-push-type': 'background', 'apns-priority': '5' });
      expect((JSON.parse(a.body.toString()) as { aps: unknown }).aps).toEqual({
        'content-available': 1,
      });
      const f = fcmFor(phone.fcmToken).at(-1)!;
      expect(
        (JSON.parse(f.body.toString()) as { message: { data: Record<string, string> } }).message
          .data,
      ).toMatchObject({ kind: 'call.ended', callId, reason });
    }
  });

  it('pushes call.ended once: a second cancel and the ring memory leave nothing behind', async () => {
    const { patient } = await patientWithPhone();
    const callId = await call(patient);
    await settled(callId, 'call.incoming', 4);
    await t.http().post(`/api/v1/calls/${callId}/cancel`).set(authHeader(doctor.accessToken));
    await settled(callId, 'call.ended', 4);
    // Cancelling again changes nothing and pushes nothing more.
    await t.http().post(`/api/v1/calls/${callId}/cancel`).set(authHeader(doctor.accessToken));
    expect(await rowsOf(callId, 'call.ended')).toHaveLength(4);
    expect(await db.query(`SELECT 1 FROM push_rings WHERE call_id = $1`, [callId])).toEqual([]);
    // A delivery report that comes after the cancel (another instance was slow) pushes nothing.
    const [entity] = await db.query<CallEntity[]>(
      `SELECT id, caller_id AS "callerId", type FROM calls WHERE id = $1`,
      [callId],
    );
    await t.app.get(CallsService).delivered(entity, patient.user.id, 0);
    expect(await rowsOf(callId, 'call.incoming')).toHaveLength(4);
  });

  it('removes the devices whose tokens a provider reports dead', async () => {
    const { patient, phone } = await patientWithPhone();
    webPush.answer = () => ({ status: 410 });
    apns.answer = (r) =>
      r.path.endsWith(phone.voipToken)
        ? { status: 410, body: { reason: 'Unregistered', timestamp: Date.now() } }
        : { status: 400, body: { reason: 'BadDeviceToken' } };
    fcm.answer = (r) =>
      r.path === '/token'
        ? fcmAnswer(r)
        : {
            status: 404,
            body: {
              error: {
                code: 404,
                message: 'Requested entity was not found.',
                status: 'NOT_FOUND',
                details: [
                  {
                    '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError',
                    errorCode: 'UNREGISTERED',
                  },
                ],
              },
            },
          };
    const callId = await call(patient);
    const rows = await settled(callId, 'call.incoming', 4);
    const byDevice = new Map(rows.map((r) => [r.recipient, r]));
    expect(byDevice.get(phone.ids.web)).toMatchObject({ status: 'dead', last_error: 'HTTP_410' });
    expect(byDevice.get(phone.ids.voip)).toMatchObject({
      status: 'dead',
      last_error: 'APNS_Unregistered',
    });
    expect(byDevice.get(phone.ids.alert)).toMatchObject({
      status: 'dead',
      last_error: 'APNS_BadDeviceToken',
    });
    expect(byDevice.get(phone.ids.fcm)).toMatchObject({
      status: 'dead',
      last_error: 'FCM_UNREGISTERED',
    });
    const list = await t.http().get('/api/v1/devices').set(authHeader(patient.accessToken));
    expect(list.body).toEqual({ items: [], nextCursor: null });
    const audit = await db.query<{ actor_user_id: string | null; subject_id: string }[]>(
      `SELECT actor_user_id, subject_id FROM audit_events
        WHERE action = 'device.remove' AND resource_id = ANY($1::text[])`,
      [Object.values(phone.ids)],
    );
    expect(audit).toHaveLength(4);
    expect(audit.every((r) => r.actor_user_id === null && r.subject_id === patient.user.id)).toBe(
      true,
    );
    // The call's end pushes nothing to devices that are gone.
    await t.http().post(`/api/v1/calls/${callId}/cancel`).set(authHeader(doctor.accessToken));
    expect(await rowsOf(callId, 'call.ended')).toEqual([]);
  });

  it('loses nothing in a provider outage: every push is retried until the providers are back', async () => {
    const { patient, phone } = await patientWithPhone();
    let outage = true;
    webPush.answer = () => (outage ? { status: 503 } : { status: 201 });
    apns.answer = () =>
      outage ? { status: 503, body: { reason: 'ServiceUnavailable' } } : { status: 200 };
    fcm.answer = (r) =>
      outage && r.path !== '/token'
        ? { status: 503, body: { error: { code: 503, status: 'UNAVAILABLE' } } }
        : fcmAnswer(r);
    const callId = await call(patient);
    await until(
      () =>
        webFor(phone).length >= 2 &&
        apnsFor(phone.voipToken).length >= 2 &&
        apnsFor(phone.alertToken).length >= 2 &&
        fcmFor(phone.fcmToken).length >= 2,
      15_000,
    );
    const during = await rowsOf(callId, 'call.incoming');
    expect(during.every((r) => r.status === 'pending' && r.last_error !== null)).toBe(true);
    outage = false;
    const rows = await settled(callId, 'call.incoming', 4);
    expect(rows.every((r) => r.status === 'sent' && r.attempts >= 2)).toBe(true);
    expect(JSON.parse(phone.web.decrypt(webFor(phone).at(-1)!.body))).toMatchObject({
      kind: 'call.incoming',
      callId,
    });
  });

  it('signs a new APNs provider token and gets a new FCM access token when the provider refuses the old one', async () => {
    const { patient, phone } = await patientWithPhone();
    let apnsRefusals = 1;
    apns.answer = (r) =>
      r.path.endsWith(phone.voipToken) && apnsRefusals-- > 0
        ? { status: 403, body: { reason: 'ExpiredProviderToken' } }
        : { status: 200 };
    let fcmRefusals = 1;
    const exchangesBefore = fcm.requests.filter((r) => r.path === '/token').length;
    fcm.answer = (r) =>
      r.path !== '/token' && fcmRefusals-- > 0
        ? { status: 401, body: { error: { code: 401, status: 'UNAUTHENTICATED' } } }
        : fcmAnswer(r);
    const callId = await call(patient);
    const rows = await settled(callId, 'call.incoming', 4);
    const byDevice = new Map(rows.map((r) => [r.recipient, r]));
    expect(byDevice.get(phone.ids.voip)).toMatchObject({ status: 'sent', attempts: 2 });
    expect(byDevice.get(phone.ids.fcm)).toMatchObject({ status: 'sent', attempts: 2 });
    const [first, second] = apnsFor(phone.voipToken).map((r) => String(r.headers.authorization));
    expect(second).not.toBe(first);
    verifyJwt(second.replace(/^bearer /, ''), creds.apnsPublicKey, 'ES256');
    expect(fcm.requests.filter((r) => r.path === '/token').length).toBe(exchangesBefore + 1);
  });
});
