import { DataSource } from 'typeorm';
import { Role } from '../../src/common/auth/role';
import { createUser } from '../support/auth';
import { createTestApp, type TestApp } from '../support/test-app';

const MAX_ATTEMPTS = 5;
const PARALLEL = 24;

// Finding 5: 24 parallel wrong passwords were 14 evaluated against a limit of 5, and the
// right password sent among them got in. Every evaluated password is counted atomically;
// once the account is locked, the right password is refused too.
describe.each([
  ['server mode (Redis)', {}],
  ['in-process store (no Redis)', { REDIS_URL: '' }],
])('security: login lockout under parallel attempts, %s', (_mode, env) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        ...env,
        AUTH_RATE_LIMIT_PER_MINUTE: '10000',
        LOGIN_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
      },
    });
  });
  afterAll(() => t.close());

  const attempt = (email: string, password: string) =>
    t.http().post('/api/v1/auth/login').send({ email, password });

  // Passwords that were really checked: the audit trail records a verdict for each of them.
  async function evaluated(userId: string): Promise<number> {
    const rows = await t.app.get(DataSource).query<{ n: string }[]>(
      `SELECT count(*) AS n FROM audit_events WHERE action = 'auth.login' AND subject_id = $1
          AND (outcome = 'success' OR details->>'reason' IN ('bad_password', 'mfa_required'))`,
      [userId],
    );
    return Number(rows[0].n);
  }

  it(`evaluates at most ${MAX_ATTEMPTS} of ${PARALLEL} parallel attempts, the right one among them`, async () => {
    const user = await createUser(t, { role: Role.Patient });
    const wrong = Array.from({ length: PARALLEL - 1 }, (_, i) =>
      attempt(user.email, `Wrong-${i}-password!`),
    );
    const results = await Promise.all([...wrong, attempt(user.email, user.password)]);
    expect(await evaluated(user.id)).toBeLessThanOrEqual(MAX_ATTEMPTS);
    const refused = results.filter((r) => r.status === 423 || r.status === 429);
    expect(refused.length).toBeGreaterThanOrEqual(PARALLEL - MAX_ATTEMPTS);
    for (const r of refused) expect(r.headers['retry-after']).toMatch(/^\d+$/);
    // Locked now: the right password is refused until Retry-After.
    const after = await attempt(user.email, user.password);
    expect([423, 429]).toContain(after.status);
  });

  it('refuses the right password sent among parallel attempts once the account is locked', async () => {
    const user = await createUser(t, { role: Role.Patient });
    for (let i = 0; i < MAX_ATTEMPTS; i++)
      await attempt(user.email, `Wrong-${i}-password!`).expect(401);
    const before = await evaluated(user.id);
    const results = await Promise.all([
      ...Array.from({ length: PARALLEL - 1 }, (_, i) =>
        attempt(user.email, `Again-${i}-password!`),
      ),
      attempt(user.email, user.password),
    ]);
    expect(results.map((r) => r.status).filter((s) => s === 200)).toEqual([]);
    expect(await evaluated(user.id)).toBe(before);
  });
});
