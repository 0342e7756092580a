import { Role } from '../../src/common/auth/role';
import { authHeader, createUser, signIn, type SignedIn } from '../support/auth';
import { acceptInvitation } from '../support/care';
import {
  type Caller,
  coveredRoutes,
  EVERY_ROLE,
  expectAccess,
  type MatrixCase,
  routesOf,
} from '../support/authorization-matrix';
import { createTestApp, type TestApp } from '../support/test-app';
import { randomTckn } from './privacy-support';

interface Ctx {
  caller: Caller;
  auth: Record<string, string>;
}

type Case = MatrixCase<Ctx>;

const REASON = 'Emergency admission, patient unable to answer questions.';

// Every route of the patient-data, data-subject and break-glass features, called by each
// kind of caller with a request that would succeed if the caller is allowed. The callers
// that get a 2xx must be exactly `allowed`; the others are refused (401 anonymous, 403 wrong
// role, 404 record-level), never a crash or a validation slip.
describe('security: authorization matrix for patient data, data-subject rights and break-glass', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { AUTH_RATE_LIMIT_PER_MINUTE: '10000' } });
  });
  afterAll(() => t.close());

  const http = () => t.http();
  const patient = () => createUser(t, { role: Role.Patient });
  // The doctor's room invites the patient, who accepts: a care relationship between them.
  async function treat(doctorAuth: Record<string, string>, patient: SignedIn): Promise<void> {
    const res = await http()
      .post('/api/v1/rooms')
      .set(doctorAuth)
      .send({ name: 'Consultation', type: 'consultation', memberIds: [patient.user.id] })
      .expect(201);
    await acceptInvitation(t, patient, (res.body as { id: string }).id);
  }
  async function openErasureRequest(): Promise<string> {
    const p = await signIn(t, Role.Patient);
    const res = await http()
      .post('/api/v1/users/me/erasure-request')
      .set(authHeader(p.accessToken))
      .expect(202);
    return (res.body as { id: string }).id;
  }
  async function grantBy(doctorAuth: Record<string, string>): Promise<string> {
    const p = await patient();
    const res = await http()
      .post('/api/v1/break-glass')
      .set(doctorAuth)
      .send({ patientId: p.id, reason: REASON, durationMinutes: 10 })
      .expect(201);
    return (res.body as { id: string }).id;
  }

  const cases: Case[] = [
    {
      route: 'GET /users/me/profile',
      allowed: [Role.Patient],
      call: (c) => http().get('/api/v1/users/me/profile').set(c.auth),
    },
    {
      route: 'PUT /users/me/profile',
      allowed: [Role.Patient],
      call: (c) =>
        http()
          .put('/api/v1/users/me/profile')
          .set(c.auth)
          .send({ nationalId: randomTckn(), dateOfBirth: '1980-05-05', phone: '+905320000000' }),
    },
    {
      route: 'GET /users/:id/profile (a patient in a care relationship with the caller)',
      allowed: [Role.Doctor],
      call: async (c) => {
        const p = await signIn(t, Role.Patient);
        if (c.caller === Role.Doctor) await treat(c.auth, p);
        return http().get(`/api/v1/users/${p.user.id}/profile`).set(c.auth);
      },
    },
    {
      route: 'GET /users/:id/profile (a patient in no care relationship with the caller)',
      allowed: [],
      call: async (c) =>
        http()
          .get(`/api/v1/users/${(await patient()).id}/profile`)
          .set(c.auth),
    },
    {
      route: 'GET /users/me/data-export',
      allowed: EVERY_ROLE,
      call: (c) => http().get('/api/v1/users/me/data-export').set(c.auth),
    },
    {
      route: 'POST /users/me/erasure-request',
      allowed: [Role.Patient],
      call: (c) => http().post('/api/v1/users/me/erasure-request').set(c.auth),
    },
    {
      route: 'GET /compliance/requests',
      allowed: [Role.ComplianceOfficer],
      call: (c) => http().get('/api/v1/compliance/requests').set(c.auth),
    },
    {
      route: 'POST /compliance/erasure-requests/:id/approve',
      allowed: [Role.ComplianceOfficer],
      call: async (c) =>
        http()
          .post(`/api/v1/compliance/erasure-requests/${await openErasureRequest()}/approve`)
          .set(c.auth),
    },
    {
      route: 'POST /compliance/erasure-requests/:id/reject',
      allowed: [Role.ComplianceOfficer],
      call: async (c) =>
        http()
          .post(`/api/v1/compliance/erasure-requests/${await openErasureRequest()}/reject`)
          .set(c.auth)
          .send({ reason: 'Retention period of the health records has not ended.' }),
    },
    {
      route: 'POST /break-glass',
      allowed: [Role.Doctor],
      call: async (c) =>
        http()
          .post('/api/v1/break-glass')
          .set(c.auth)
          .send({ patientId: (await patient()).id, reason: REASON, durationMinutes: 5 }),
    },
    {
      route: 'GET /break-glass',
      allowed: [Role.Doctor, Role.Admin, Role.ComplianceOfficer],
      call: (c) => http().get('/api/v1/break-glass').set(c.auth),
    },
    {
      route: 'POST /break-glass/:id/end (the caller’s own grant when a doctor)',
      allowed: [Role.Doctor, Role.Admin, Role.ComplianceOfficer],
      call: async (c) => {
        const owner =
          c.caller === Role.Doctor
            ? c.auth
            : authHeader((await signIn(t, Role.Doctor)).accessToken);
        return http()
          .post(`/api/v1/break-glass/${await grantBy(owner)}/end`)
          .set(c.auth);
      },
    },
    {
      route: 'POST /break-glass/:id/end (another doctor’s grant)',
      allowed: [Role.Admin, Role.ComplianceOfficer],
      call: async (c) => {
        const owner = authHeader((await signIn(t, Role.Doctor)).accessToken);
        return http()
          .post(`/api/v1/break-glass/${await grantBy(owner)}/end`)
          .set(c.auth);
      },
    },
  ];

  async function contextFor(caller: Caller): Promise<Ctx> {
    if (caller === 'anonymous') return { caller, auth: {} };
    return { caller, auth: authHeader((await signIn(t, caller)).accessToken) };
  }

  it.each(cases.map((c) => [c.route, c] as const))('%s', (_route, testCase) =>
    expectAccess(testCase, contextFor),
  );

  it('covers every route of these features', () => {
    const routes = routesOf(
      t.app,
      /^(PatientProfileController|DataSubjectController|BreakGlassController)\./,
    );
    expect(routes).toHaveLength(11);
    expect(coveredRoutes(cases)).toEqual(routes);
  });
});
