import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Response } from 'supertest';
import { Role } from '../../src/common/auth/role';
import { listRoutes } from './routes';

// Shared machinery of the authorization matrices: every route is called by each kind of
// caller with a request that would succeed if the caller is allowed; the callers that get a
// 2xx must be exactly the allowed ones, and everybody else is refused the right way.

export type Caller = 'anonymous' | Role;
export const CALLERS: Caller[] = [
  'anonymous',
  Role.Patient,
  Role.Doctor,
  Role.Admin,
  Role.ComplianceOfficer,
];
export const EVERY_ROLE: Caller[] = [Role.Patient, Role.Doctor, Role.Admin, Role.ComplianceOfficer];

export interface MatrixCase<Ctx> {
  route: string;
  allowed: Caller[];
  call: (ctx: Ctx) => Promise<Response>;
}

// Runs one case for every caller. A refusal is 401 for anonymous callers and one of
// `refusals` (403, or 403/404 where record-level checks hide a record) otherwise: never a
// crash or a validation slip.
export async function expectAccess<Ctx>(
  testCase: MatrixCase<Ctx>,
  contextFor: (caller: Caller) => Promise<Ctx>,
  refusals: number[] = [403, 404],
): Promise<void> {
  const succeeded: Caller[] = [];
  const wrongRefusals: { caller: Caller; status: number }[] = [];
  for (const caller of CALLERS) {
    const res = await testCase.call(await contextFor(caller));
    if (res.status >= 200 && res.status < 300) {
      succeeded.push(caller);
      continue;
    }
    const expected = caller === 'anonymous' ? [401] : refusals;
    if (!expected.includes(res.status)) wrongRefusals.push({ caller, status: res.status });
  }
  expect(succeeded.sort()).toEqual([...testCase.allowed].sort());
  expect(wrongRefusals).toEqual([]);
}

// `METHOD /path` (without the API prefix) of every route whose handler matches `handler`, so
// that a matrix fails when a new route of its controllers has no case.
export function routesOf(app: NestExpressApplication, handler: RegExp): string[] {
  return listRoutes(app)
    .filter((r) => handler.test(r.handler))
    .map((r) => `${r.method} ${r.path.replace('/api/v1', '')}`)
    .sort();
}

// The routes a matrix covers (a case may note a variant in parentheses after the route).
export function coveredRoutes(cases: { route: string }[]): string[] {
  return [...new Set(cases.map((c) => c.route.replace(/ \(.*\)$/, '')))].sort();
}
