import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { sign, type SignOptions } from 'jsonwebtoken';
import { Role } from '../../src/common/auth/role';
import { authHeader, signIn, type SignedIn } from '../support/auth';
import { createTestApp, type TestApp } from '../support/test-app';

function b64(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

// Every way a bearer token can be wrong, against one protected route.
describe('auth: access token verification', () => {
  let t: TestApp;
  let me: SignedIn;
  let secret: string;
  let claims: Record<string, unknown>;

  const now = () => Math.floor(Date.now() / 1000);
  const options = (): SignOptions => ({
    algorithm: 'HS256',
    issuer: t.config.auth.jwtIssuer,
    audience: t.config.auth.jwtAudience,
    subject: me.user.id,
    jwtid: randomUUID(),
    expiresIn: 600,
    notBefore: 0,
  });
  const withoutExpiry = (): SignOptions => {
    const { expiresIn: _unused, notBefore: _nbf, ...rest } = options();
    return rest;
  };
  const call = (token: string | undefined) => {
    const req = t.http().get('/api/v1/users/me');
    return token === undefined ? req : req.set(authHeader(token));
  };

  beforeAll(async () => {
    t = await createTestApp();
    me = await signIn(t, Role.Doctor);
    secret = t.config.auth.jwtSecret;
    const payload = JSON.parse(
      Buffer.from(me.accessToken.split('.')[1], 'base64url').toString('utf8'),
    ) as Record<string, unknown>;
    claims = { role: payload.role, sid: payload.sid, typ: 'access', mfa: false };
  });
  afterAll(() => t.close());

  it('carries sub, role, sid, jti, iss, aud, typ, iat, nbf and exp (15 minutes)', () => {
    const header = JSON.parse(Buffer.from(me.accessToken.split('.')[0], 'base64url').toString());
    const payload = JSON.parse(Buffer.from(me.accessToken.split('.')[1], 'base64url').toString());
    expect(header).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(payload).toEqual({
      sub: me.user.id,
      role: 'doctor',
      sid: expect.stringMatching(/^[0-9a-f-]{36}$/),
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      typ: 'access',
      mfa: false,
      iss: 'hekim',
      aud: 'hekim-api',
      iat: expect.any(Number),
      nbf: expect.any(Number),
      exp: expect.any(Number),
    });
    expect(payload.exp - payload.iat).toBe(900);
  });

  it('accepts a well-formed token made with the right key (control)', async () => {
    await call(sign(claims, secret, options())).expect(200);
    await call(me.accessToken).expect(200);
  });

  const cases: [string, () => string | undefined][] = [
    ['no token', () => undefined],
    ['not a JWT', () => 'not-a-token'],
    [
      'alg none',
      () =>
        `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims, sub: me.user.id, iss: 'hekim', aud: 'hekim-api', exp: now() + 600, iat: now(), nbf: now(), jti: randomUUID() })}.`,
    ],
    ['another key', () => sign(claims, randomBytes(32).toString('hex'), options())],
    ['HS512 with the right key', () => sign(claims, secret, { ...options(), algorithm: 'HS512' })],
    [
      'RS256',
      () => {
        const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
        return sign(claims, privateKey, { ...options(), algorithm: 'RS256' });
      },
    ],
    ['wrong issuer', () => sign(claims, secret, { ...options(), issuer: 'someone-else' })],
    ['wrong audience', () => sign(claims, secret, { ...options(), audience: 'other-api' })],
    ['refresh type', () => sign({ ...claims, typ: 'refresh' }, secret, options())],
    ['no type', () => sign({ ...claims, typ: undefined }, secret, options())],
    ['no session id', () => sign({ ...claims, sid: undefined }, secret, options())],
    ['unknown role', () => sign({ ...claims, role: 'root' }, secret, options())],
    [
      'expired',
      () => sign({ ...claims, exp: now() - 120, nbf: now() - 900 }, secret, withoutExpiry()),
    ],
    ['not yet valid', () => sign(claims, secret, { ...options(), notBefore: 600 })],
    ['the refresh token', () => me.refreshToken],
    [
      'tampered payload',
      () => {
        const [h, p, s] = me.accessToken.split('.');
        const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as object;
        return `${h}.${b64({ ...payload, role: 'admin' })}.${s}`;
      },
    ],
    ['Basic scheme', () => undefined],
  ];

  it.each(cases)('refuses %s with 401 UNAUTHORIZED', async (name, token) => {
    const res =
      name === 'Basic scheme'
        ? await t.http().get('/api/v1/users/me').set('Authorization', 'Basic dXNlcjpwYXNz')
        : await call(token());
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('UNAUTHORIZED');
    expect(res.headers['content-type']).toContain('application/problem+json');
  });
});
