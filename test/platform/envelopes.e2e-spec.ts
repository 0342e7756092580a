import { Role } from '../../src/common/auth/role';
import { authHeader, signIn, strongPassword, uniqueEmail } from '../support/auth';
import { careRoom } from '../support/care';
import { createTestApp, type TestApp } from '../support/test-app';

type Body = Record<string, unknown>;

// One envelope rule (docs/api.md, "Envelopes"): a single resource is answered bare and a
// list is a page. The routes that answered `{<name>: resource}` before the rule keep that
// member, deprecated, holding the same object, so clients of either shape keep working.
describe('platform: one envelope rule for every answer', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { AUTH_RATE_LIMIT_PER_MINUTE: '1000' } });
  });
  afterAll(() => t.close());

  function bareWithLegacy(body: Body, name: string): Body {
    const { [name]: legacy, ...resource } = body;
    expect(Object.keys(resource).length).toBeGreaterThan(2);
    expect(legacy).toEqual(resource);
    return resource;
  }

  it('answers a registration with the account itself', async () => {
    const email = uniqueEmail('envelope');
    const res = await t
      .http()
      .post('/api/v1/auth/register')
      .send({ email, password: strongPassword(), displayName: 'Ayşe Yılmaz' })
      .expect(201);
    const user = bareWithLegacy(res.body as Body, 'user');
    expect(user).toMatchObject({ email, role: 'patient' });
  });

  it('answers a call and a consent with the resource itself', async () => {
    const doctor = await signIn(t, Role.Doctor);
    const patient = await signIn(t, Role.Patient);
    await careRoom(t, doctor, patient);

    const rung = await t
      .http()
      .post('/api/v1/calls')
      .set(authHeader(doctor.accessToken))
      .send({ calleeIds: [patient.user.id], type: 'video' })
      .expect(201);
    const call = bareWithLegacy(rung.body as Body, 'call');
    expect(call).toMatchObject({ status: 'ringing', callerId: doctor.user.id });

    const fetched = await t
      .http()
      .get(`/api/v1/calls/${String(call.id)}`)
      .set(authHeader(doctor.accessToken))
      .expect(200);
    expect(bareWithLegacy(fetched.body as Body, 'call')).toEqual(call);

    const cancelled = await t
      .http()
      .post(`/api/v1/calls/${String(call.id)}/cancel`)
      .set(authHeader(doctor.accessToken))
      .expect(200);
    expect(bareWithLegacy(cancelled.body as Body, 'call')).toMatchObject({ status: 'cancelled' });

    const granted = await t
      .http()
      .post('/api/v1/consents')
      .set(authHeader(patient.accessToken))
      .send({ purpose: 'data_processing', version: 1 })
      .expect(201);
    expect(bareWithLegacy(granted.body as Body, 'consent')).toMatchObject({
      purpose: 'data_processing',
      version: 1,
    });
  });

  it('answers the device sessions as a page', async () => {
    const who = await signIn(t, Role.Patient);
    const res = await t
      .http()
      .get('/api/v1/auth/sessions')
      .set(authHeader(who.accessToken))
      .expect(200);
    expect(res.body).toEqual({
      items: [expect.objectContaining({ current: true })],
      nextCursor: null,
    });
  });

  it('marks the legacy members deprecated in the API document', async () => {
    const doc = (await t.http().get('/docs-json').expect(200)).body as {
      components: { schemas: Record<string, { properties?: Record<string, Body> }> };
    };
    const legacy = Object.entries(doc.components.schemas).flatMap(([schema, s]) =>
      Object.entries(s.properties ?? {})
        .filter(([, p]) => p.deprecated === true)
        .map(([name]) => `${schema}.${name}`),
    );
    expect(legacy.sort()).toEqual([
      'CallAnswer.call',
      'ConsentAnswer.consent',
      'RegisterResponse.user',
    ]);
  });
});
