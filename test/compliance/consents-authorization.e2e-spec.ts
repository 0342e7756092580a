import { Role } from '../../src/common/auth/role';
import { authHeader, signIn } from '../support/auth';
import {
  type Caller,
  coveredRoutes,
  EVERY_ROLE,
  expectAccess,
  type MatrixCase,
  routesOf,
} from '../support/authorization-matrix';
import { createTestApp, type TestApp } from '../support/test-app';

type Case = MatrixCase<Record<string, string>>;

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

  it.each(cases.map((c) => [c.route, c] as const))('%s', (_route, testCase) =>
    expectAccess(
      testCase,
      async (caller: Caller) =>
        caller === 'anonymous' ? {} : authHeader((await signIn(t, caller)).accessToken),
      [403],
    ),
  );

  it('covers every consent route of the app', () => {
    expect(routesOf(t.app, /^ConsentsController\./)).toEqual(coveredRoutes(cases));
  });
});
