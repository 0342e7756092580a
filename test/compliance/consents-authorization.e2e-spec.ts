import type { Response } from 'supertest';
import { Role } from '../../src/common/auth/role';
import { authHeader, signIn } from '../support/auth';
import { listRoutes } from '../support/routes';
import { createTestApp, type TestApp } from '../support/test-app';

type Caller = 'anonymous' | Role;
const CALLERS: Caller[] = [
  'anonymous',
  Role.Patient,
  Role.Doctor,
  Role.Admin,
  Role.ComplianceOfficer,
];
const EVERY_ROLE: Caller[] = [Role.Patient, Role.Doctor, Role.Admin, Role.ComplianceOfficer];

interface Case {
  route: string;
  allowed: Caller[];
  // Called with the caller's bearer header (none for anonymous), as a fresh user.
  call: (auth: Record<string, string>) => Promise<Response>;
}

// Every consent route, called by each kind of caller with a request that would succeed if
// the caller is allowed: exactly `allowed` get a 2xx, the others 401 (anonymous) or 403.
describe('security: authorization matrix for consents', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { AUTH_RATE_LIMIT_PER_MINUTE: '10000' } });
  });
  afterAll(() => t.close());

  const http = () => t.http();
  const cases: Case[] = [
    {
      route: 'GET /consents/me',
      allowed: EVERY_ROLE,
      call: (auth) => http().get('/api/v1/consents/me').set(auth),
    },
    {
      route: 'POST /consents',
      allowed: EVERY_ROLE,
      call: (auth) =>
        http().post('/api/v1/consents').set(auth).send({ purpose: 'data_processing', version: 1 }),
    },
    {
      route: 'DELETE /consents/:purpose',
      allowed: EVERY_ROLE,
      call: async (auth) => {
        await http()
          .post('/api/v1/consents')
          .set(auth)
          .send({ purpose: 'data_processing', version: 1 });
        return http().delete('/api/v1/consents/data_processing').set(auth);
      },
    },
    {
      route: 'GET /consents/texts',
      allowed: EVERY_ROLE,
      call: (auth) => http().get('/api/v1/consents/texts').set(auth),
    },
    {
      // Published to data_processing so that the telemedicine gate of other tests is untouched.
      route: 'POST /consents/texts',
      allowed: [Role.Admin],
      call: (auth) =>
        http()
          .post('/api/v1/consents/texts')
          .set(auth)
          .send({ purpose: 'data_processing', text: 'A reviewed text about data processing.' }),
    },
  ];

  it.each(cases.map((c) => [c.route, c] as const))('%s', async (_route, testCase) => {
    const succeeded: Caller[] = [];
    const wrongRefusals: { caller: Caller; status: number }[] = [];
    for (const caller of CALLERS) {
      const auth = caller === 'anonymous' ? {} : authHeader((await signIn(t, caller)).accessToken);
      const res = await testCase.call(auth);
      if (res.status >= 200 && res.status < 300) {
        succeeded.push(caller);
        continue;
      }
      const expected = caller === 'anonymous' ? [401] : [403];
      if (!expected.includes(res.status)) wrongRefusals.push({ caller, status: res.status });
    }
    expect(succeeded.sort()).toEqual([...testCase.allowed].sort());
    expect(wrongRefusals).toEqual([]);
  });

  it('covers every consent route of the app', () => {
    const routes = listRoutes(t.app)
      .filter((r) => r.handler.startsWith('ConsentsController.'))
      .map((r) => `${r.method} ${r.path.replace('/api/v1', '')}`);
    expect(routes.sort()).toEqual(cases.map((c) => c.route).sort());
  });
});
