import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Role } from '../../src/common/auth/role';
import { UsersService } from '../../src/modules/users/users.service';
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
