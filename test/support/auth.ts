import { randomBytes } from 'node:crypto';
import { generate } from 'otplib';
import { DataSource } from 'typeorm';
import { Role } from '../../src/common/auth/role';
import { UsersService } from '../../src/modules/users/users.service';
import { grantAllConsents } from './consents';
import type { TestApp } from './test-app';

export interface TestUser {
  id: string;
  email: string;
  role: Role;
  displayName: string;
}

export interface CreateUserOptions {
  role: Role;
  email?: string;
  password?: string;
  displayName?: string;
  // Patients get the current consents (telemedicine, data_processing) unless this is false.
  consent?: boolean;
}

export interface SignedIn {
  user: TestUser;
  accessToken: string;
  refreshToken: string;
  password: string;
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

// A password the policy accepts, different every time.
export function strongPassword(): string {
  return `Pw-${randomBytes(12).toString('base64url')}`;
}

export function uniqueEmail(label = 'user'): string {
  return `${label}.${randomBytes(5).toString('hex')}@example.test`;
}

// Creates a user of any role directly through the app's UsersService (no HTTP, no audit
// record): the way tests get doctors, admins and compliance officers.
export async function createUser(
  t: TestApp,
  options: CreateUserOptions,
): Promise<TestUser & { password: string }> {
  const password = options.password ?? strongPassword();
  const email = (options.email ?? uniqueEmail(options.role)).toLowerCase();
  const displayName = options.displayName ?? `Test ${options.role}`;
  const users = t.app.get(UsersService);
  const created = await t.app
    .get(DataSource)
    .transaction((manager) =>
      users.createAccount({ email, password, displayName, role: options.role }, manager),
    );
  if (options.role === Role.Patient && options.consent !== false)
    await grantAllConsents(t, created.id);
  return { id: created.id, email: created.email, role: created.role, displayName, password };
}

// Creates a user and signs in through the real HTTP login.
export async function signIn(
  t: TestApp,
  role: Role,
  overrides: Omit<CreateUserOptions, 'role'> = {},
): Promise<SignedIn> {
  const { password, ...user } = await createUser(t, { ...overrides, role });
  const tokens = await login(t, user.email, password);
  return { user, accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, password };
}

// POST /auth/login; fails the test with the problem document when it is not 200.
export async function login(
  t: TestApp,
  email: string,
  password: string,
  otp?: string,
): Promise<TokenPair> {
  const res = await t
    .http()
    .post('/api/v1/auth/login')
    .send(otp === undefined ? { email, password } : { email, password, otp });
  if (res.status !== 200) {
    throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return res.body as TokenPair;
}

export function authHeader(token: string): { Authorization: string } {
  return { Authorization: `Bearer ${token}` };
}

export interface MfaEnrollment {
  secret: string;
  recoveryCodes: string[];
  // Fresh tokens that carry the enrollment (needed for roles in MFA_REQUIRED_ROLES).
  accessToken: string;
  refreshToken: string;
}

// Enrols a signed-in user in TOTP MFA over HTTP and refreshes their tokens. Later sign-ins
// need `otp`: use `totp(secret, 1)` (the next step, never a replay of the enrollment code).
export async function enrollMfa(
  t: TestApp,
  tokens: { accessToken: string; refreshToken: string },
): Promise<MfaEnrollment> {
  const setup = await t
    .http()
    .post('/api/v1/auth/mfa/setup')
    .set(authHeader(tokens.accessToken))
    .expect(200);
  const secret = (setup.body as { secret: string }).secret;
  const enable = await t
    .http()
    .post('/api/v1/auth/mfa/enable')
    .set(authHeader(tokens.accessToken))
    .send({ otp: await totp(secret) })
    .expect(200);
  const refreshed = await t
    .http()
    .post('/api/v1/auth/refresh')
    .send({ refreshToken: tokens.refreshToken })
    .expect(200);
  const pair = refreshed.body as TokenPair;
  return {
    secret,
    recoveryCodes: (enable.body as { recoveryCodes: string[] }).recoveryCodes,
    accessToken: pair.accessToken,
    refreshToken: pair.refreshToken,
  };
}

// The TOTP code of the current time step shifted by `offsetSteps` (30 s each).
export function totp(secret: string, offsetSteps = 0): Promise<string> {
  return generate({ secret, epoch: Math.floor(Date.now() / 1000) + offsetSteps * 30 });
}
