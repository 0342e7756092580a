import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { listRoutes } from '../support/routes';
import { createTestApp, type TestApp } from '../support/test-app';

interface Operation {
  operationId: string;
  summary?: string;
  security?: Record<string, string[]>[];
  requestBody?: { content: Record<string, { schema: { $ref?: string } }> };
  responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }>;
}

// Swagger documents every API route with its DTOs, its security and its error answers.
describe('security: OpenAPI document', () => {
  let t: TestApp;
  let document: { paths: Record<string, Record<string, Operation>> };
  let paths: Record<string, Record<string, Operation>>;

  beforeAll(async () => {
    t = await createTestApp();
    document = (await t.http().get('/docs-json').expect(200)).body;
    paths = document.paths;
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
      // A public route says so with `security: []` (docs/api.md).
      expect({ route: route.handler, security: op!.security }).toEqual({
        route: route.handler,
        security: route.access === 'public' ? [] : [{ bearer: [] }],
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

  it('names every operation with a unique camelCase operationId and gives it a summary', () => {
    const operations = Object.values(paths).flatMap((item) => Object.values(item));
    const ids = operations.map((op) => op.operationId);
    expect(ids.filter((id) => !/^[a-z][a-zA-Z0-9]*$/.test(id))).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(operations.filter((op) => !op.summary).map((op) => op.operationId)).toEqual([]);
  });

  // `redocly lint` with the committed redocly.yaml: no error, and no warning other than the
  // ones that file accepts with a reason.
  it('passes redocly lint with the committed configuration', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hekim-openapi-'));
    try {
      const file = join(dir, 'openapi.json');
      await writeFile(file, JSON.stringify(document));
      const cli = require.resolve('@redocly/cli/bin/cli.js');
      const run = await promisify(execFile)(
        process.execPath,
        [cli, 'lint', file, '--config', 'redocly.yaml', '--format=json'],
        {
          env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
          maxBuffer: 16 * 1024 * 1024,
        },
      ).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
      const report = JSON.parse(run.stdout) as {
        totals: { errors: number };
        problems: { ruleId: string; severity: string; location: { pointer: string }[] }[];
      };
      const problems = report.problems.map(
        (p) => `${p.severity} ${p.ruleId} ${p.location[0]?.pointer}`,
      );
      expect(problems).toEqual([
        'warn operation-4xx-response #/paths/~1health~1live/get/responses',
        'warn operation-4xx-response #/paths/~1health~1ready/get/responses',
      ]);
      expect(report.totals.errors).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
