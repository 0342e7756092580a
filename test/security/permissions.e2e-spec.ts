import { listRoutes } from '../support/routes';
import { createTestApp, type TestApp } from '../support/test-app';

// A diff in this snapshot is a permission change: review it as one. Update it with
// `npx jest test/security/permissions.e2e-spec.ts -u` only when the change is intended.
describe('security: route permissions', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('declares access on every route (public or the roles that may call it)', () => {
    const routes = listRoutes(t.app);
    expect(routes.length).toBeGreaterThan(0);
    expect(routes.filter((r) => r.access === 'undeclared')).toEqual([]);
    const table = routes.map(
      (r) =>
        `${r.method.padEnd(6)} ${r.path.padEnd(36)} ${
          r.access === 'public' ? 'public' : (r.access as string[]).join(', ')
        }`,
    );
    expect(table).toMatchSnapshot();
  });
});
