import { Fhir } from 'fhir';
import { Role } from '../../src/common/auth/role';
import { authHeader, signIn, type SignedIn } from '../support/auth';
import { type Client, connect, request } from '../support/signaling-client';
import { createTestApp, type TestApp } from '../support/test-app';

const DAY1 = { start: '2027-01-04T06:00:00.000Z', end: '2027-01-04T06:20:00.000Z' };
const DAY1_LATER = { start: '2027-01-04T06:40:00.000Z', end: '2027-01-04T07:00:00.000Z' };
const DAY2 = { start: '2027-01-05T06:00:00.000Z', end: '2027-01-05T06:20:00.000Z' };

interface Bundle {
  resourceType: string;
  type: string;
  link: { relation: string; url: string }[];
  entry: { fullUrl: string; resource: { id: string; reasonCode?: unknown } }[];
}

// The FHIR R4 read API as an integrator uses it (docs/appointments.md, "FHIR read API"): each
// answer is checked against the R4 structure definitions by the `fhir` package's validator.
describe('appointments: FHIR R4 read API', () => {
  let t: TestApp;
  let doctor: SignedIn;
  let patient: SignedIn;
  let other: SignedIn;
  const ids: Record<string, string> = {};
  const sockets: Client[] = [];

  const http = () => t.http();
  const as = (who: SignedIn) => authHeader(who.accessToken);
  const errorsOf = (resource: object): unknown[] =>
    new Fhir().validate(resource).messages.filter((m) => String(m.severity) === 'error');

  beforeAll(async () => {
    t = await createTestApp({ listen: true, env: { AUTH_RATE_LIMIT_PER_MINUTE: '1000' } });
    doctor = await signIn(t, Role.Doctor);
    patient = await signIn(t, Role.Patient);
    other = await signIn(t, Role.Patient);
    await http()
      .put('/api/v1/clinicians/me/availability')
      .set(as(doctor))
      .send({
        timezone: 'Europe/Istanbul',
        slotMinutes: 20,
        weekly: [
          { weekday: 1, start: '09:00', end: '12:00' },
          { weekday: 2, start: '09:00', end: '12:00' },
        ],
        exceptions: [],
      })
      .expect(200);
    for (const [key, who, slot] of [
      ['day1', patient, DAY1],
      ['day2', patient, DAY2],
      ['other', other, DAY1_LATER],
    ] as const) {
      const res = await http()
        .post('/api/v1/appointments')
        .set(as(who))
        .send({ clinicianId: doctor.user.id, ...slot, reason: 'Follow-up' })
        .expect(201);
      ids[key] = (res.body as { id: string }).id;
    }
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await t.close();
  });

  it('reads one Appointment as application/fhir+json, valid R4', async () => {
    const res = await http().get(`/api/v1/fhir/Appointment/${ids.day1}`).set(as(patient));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/fhir\+json/);
    const body = JSON.parse(res.text) as Record<string, unknown>;
    expect(body).toMatchObject({
      resourceType: 'Appointment',
      id: ids.day1,
      status: 'booked',
      ...DAY1,
      reasonCode: [{ text: 'Follow-up' }],
      participant: [
        { actor: { reference: `Patient/${patient.user.id}` }, status: 'accepted' },
        { actor: { reference: `Practitioner/${doctor.user.id}` }, status: 'accepted' },
      ],
    });
    expect(errorsOf(body)).toEqual([]);
  });

  it('applies the REST rules: strangers 404, compliance officers 403, admins without the reason', async () => {
    const path = `/api/v1/fhir/Appointment/${ids.day1}`;
    await http().get(path).set(as(other)).expect(404);
    await http()
      .get(path)
      .set(as(await signIn(t, Role.ComplianceOfficer)))
      .expect(403);
    await http().get(path).expect(401);
    const admin = await http()
      .get(path)
      .set(as(await signIn(t, Role.Admin)))
      .expect(200);
    expect(JSON.parse(admin.text)).not.toHaveProperty('reasonCode');
  });

  it('searches by date, practitioner and patient, a page at a time', async () => {
    const search = async (who: SignedIn, query: string): Promise<Bundle> => {
      const res = await http().get(`/api/v1/fhir/Appointment?${query}`).set(as(who)).expect(200);
      const bundle = JSON.parse(res.text) as Bundle;
      expect(errorsOf(bundle)).toEqual([]);
      return bundle;
    };
    const idsOf = (b: Bundle) => b.entry.map((e) => e.resource.id);

    expect(idsOf(await search(doctor, 'date=2027-01-04'))).toEqual([ids.day1, ids.other]);
    expect(idsOf(await search(doctor, 'date=ge2027-01-04T06:30:00Z&date=lt2027-01-06'))).toEqual([
      ids.other,
      ids.day2,
    ]);
    expect(
      idsOf(
        await search(doctor, `patient=Patient/${patient.user.id}&practitioner=${doctor.user.id}`),
      ),
    ).toEqual([ids.day1, ids.day2]);
    // A patient's search only ever finds their own.
    expect(idsOf(await search(other, 'date=2027-01-04'))).toEqual([ids.other]);

    const first = await search(doctor, '_count=2');
    expect(first).toMatchObject({ resourceType: 'Bundle', type: 'searchset' });
    expect(idsOf(first)).toEqual([ids.day1, ids.other]);
    const next = first.link.find((l) => l.relation === 'next');
    expect(next).toBeDefined();
    const res = await http().get(next!.url).set(as(doctor)).expect(200);
    const second = JSON.parse(res.text) as Bundle;
    expect(idsOf(second)).toEqual([ids.day2]);
    expect(second.link.map((l) => l.relation)).toEqual(['self']);

    const bad = await http().get('/api/v1/fhir/Appointment?date=soon').set(as(doctor)).expect(400);
    expect(bad.body).toMatchObject({ code: 'VALIDATION_FAILED' });
    await http().get('/api/v1/fhir/Appointment?patient=Practitioner/x').set(as(doctor)).expect(400);
  });

  it('reads a consultation session of an appointment as a virtual Encounter', async () => {
    const room = await http().get(`/api/v1/appointments/${ids.day1}`).set(as(doctor)).expect(200);
    const socket = await connect(t, { token: doctor.accessToken });
    sockets.push(socket);
    const joined = await request(socket, 'room:join', {
      roomId: (room.body as { roomId: string }).roomId,
    });
    const sessionId = joined.data?.sessionId as string;
    expect(sessionId).toBeDefined();

    const res = await http().get(`/api/v1/fhir/Encounter/${sessionId}`).set(as(doctor)).expect(200);
    const encounter = JSON.parse(res.text) as Record<string, unknown>;
    expect(encounter).toMatchObject({
      resourceType: 'Encounter',
      id: sessionId,
      status: 'in-progress',
      class: { code: 'VR' },
      appointment: [{ reference: `Appointment/${ids.day1}` }],
      participant: [{ individual: { reference: `Practitioner/${doctor.user.id}` } }],
    });
    expect(errorsOf(encounter)).toEqual([]);
    await http().get(`/api/v1/fhir/Encounter/${sessionId}`).set(as(other)).expect(404);
  });
});
