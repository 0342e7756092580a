import { listRoutes } from '../support/routes';
import { createTestApp, type TestApp } from '../support/test-app';

interface Operation {
  summary?: string;
  security?: Record<string, string[]>[];
  requestBody?: { content: Record<string, { schema: { $ref?: string } }> };
  responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }>;
}

// Swagger documents every API route with its DTOs, its security and its error answers.
describe('security: OpenAPI document', () => {
  let t: TestApp;
  let paths: Record<string, Record<string, Operation>>;

  beforeAll(async () => {
    t = await createTestApp();
    paths = (await t.http().get('/docs-json').expect(200)).body.paths;
  });
  afterAll(() => t.close());

  const apiRoutes = () => listRoutes(t.app).filter((r) => r.path.startsWith('/api/v1/'));
  const operation = (method: string, path: string): Operation | undefined =>
    paths[path.replace(/:(\w+)/g, '{$1}')]?.[method.toLowerCase()];

  it('lists every API route, with bearer security exactly on the protected ones', () => {
    for (const route of apiRoutes()) {
      const op = operation(route.method, route.path);
      expect({ route: route.handler, documented: op !== undefined }).toEqual({
        route: route.handler,
        documented: true,
      });
      const secured = (op!.security ?? []).some((s) => 'bearer' in s);
      expect({ route: route.handler, secured }).toEqual({
        route: route.handler,
        secured: route.access !== 'public',
      });
      expect(Object.keys(op!.responses).some((s) => /^2\d\d$/.test(s))).toBe(true);
    }
  });

  it('gives Auth and Users operations DTO schemas and problem+json error answers', () => {
    const routes = apiRoutes().filter((r) => /^(AuthController|UsersController)\./.test(r.handler));
    expect(routes.length).toBeGreaterThanOrEqual(18);
    for (const route of routes) {
      const op = operation(route.method, route.path)!;
      const where = `${route.method} ${route.path}`;
      expect({ where, summary: typeof op.summary }).toEqual({ where, summary: 'string' });
      for (const [status, response] of Object.entries(op.responses)) {
        if (status === '200' || status === '201') {
          expect({
            where,
            status,
            schema: response.content?.['application/json']?.schema.$ref,
          }).toEqual({
            where,
            status,
            schema: expect.stringMatching(/^#\/components\/schemas\/\w+Response$/),
          });
        }
        if (Number(status) >= 400) {
          expect({
            where,
            status,
            schema: response.content?.['application/problem+json']?.schema.$ref,
          }).toEqual({
            where,
            status,
            schema: '#/components/schemas/ProblemResponse',
          });
        }
      }
      const errors = Object.keys(op.responses).filter((s) => Number(s) >= 400);
      if (route.access === 'public') {
        expect({ where, errors }).toEqual({ where, errors: expect.arrayContaining(['400']) });
        expect({ where, errors }).toEqual({ where, errors: expect.arrayContaining(['429']) });
      } else {
        expect({ where, errors }).toEqual({
          where,
          errors: expect.arrayContaining(['401', '403']),
        });
      }
      if (op.requestBody) {
        expect(op.requestBody.content['application/json'].schema.$ref).toMatch(
          /^#\/components\/schemas\/\w+Request$/,
        );
      }
    }
  });
});
