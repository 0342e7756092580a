import type { NestExpressApplication } from '@nestjs/platform-express';
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

// The relationship dimension (docs/access-model.md): besides their role, doctors and patients
// come with or without a care relationship to the record the case is about. `related` callers
// are the two parties of one relationship made for the case (the doctor treats the patient);
// `unrelated` ones are a fresh doctor and a fresh patient. Guests, with an invitation's scoped
// token, are refused by every route that does not name them: test/security/guest-grant.e2e-spec.ts
// calls every route with one.
export type CareCaller =
  | 'anonymous'
  | 'doctor:related'
  | 'doctor:unrelated'
  | 'patient:related'
  | 'patient:unrelated'
  | Role.Admin
  | Role.ComplianceOfficer;
export const CARE_CALLERS: CareCaller[] = [
  'anonymous',
  'doctor:related',
  'doctor:unrelated',
  'patient:related',
  'patient:unrelated',
  Role.Admin,
  Role.ComplianceOfficer,
];

export interface MatrixCase<Ctx, C extends string = Caller> {
  route: string;
  allowed: C[];
  // The answer's status (a supertest response, or a socket acknowledgement mapped to one).
  call: (ctx: Ctx) => Promise<{ status: number }>;
}

// Runs one case for every caller. A refusal is 401 for anonymous callers and one of
// `refusals` (403, or 403/404 where record-level checks hide a record) otherwise: never a
// crash or a validation slip.
export async function expectAccess<Ctx, C extends string = Caller>(
  testCase: MatrixCase<Ctx, C>,
  contextFor: (caller: C) => Promise<Ctx>,
  refusals: number[] = [403, 404],
  callers: readonly C[] = CALLERS as unknown as C[],
): Promise<void> {
  const succeeded: C[] = [];
  const wrongRefusals: { caller: C; status: number }[] = [];
  for (const caller of callers) {
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
