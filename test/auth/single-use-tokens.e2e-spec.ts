import { DataSource } from 'typeorm';
import { Role } from '../../src/common/auth/role';
import { dataSourceOptions } from '../../src/infra/database/typeorm-options';
import { newOpaqueToken, sha256Hex } from '../../src/modules/auth/tokens/opaque-token';
import { createUser, login, strongPassword } from '../support/auth';
import { createTestApp, type TestApp } from '../support/test-app';

const MIGRATION = 'SingleUseTokens1763701520000';

interface TokenRow {
  id: string;
  user_id: string;
  token_hash: string;
  expires_at: Date;
  used_at: Date | null;
}

// Password reset and e-mail verification keep their single-use tokens in one store keyed by
// purpose (auth_single_use_tokens); the migration that made it copied the two tables' rows.
describe('auth: the single-use token store', () => {
  let t: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    t = await createTestApp({ env: { AUTH_RATE_LIMIT_PER_MINUTE: '1000' } });
    db = t.app.get(DataSource);
  });
  afterAll(() => t.close());

  const forgot = (email: string) => t.http().post('/api/v1/auth/password/forgot').send({ email });
  const reset = (token: string, newPassword: string) =>
    t.http().post('/api/v1/auth/password/reset').send({ token, newPassword });
  const verify = (token: string) => t.http().post('/api/v1/auth/email/verify').send({ token });
  const resetToken = async (email: string): Promise<string> => {
    await forgot(email).expect(202);
    const [row] = await db.query<{ payload: { token: string } }[]>(
      `SELECT payload FROM notification_outbox
        WHERE recipient = $1 AND kind = 'password_reset' ORDER BY created_at DESC LIMIT 1`,
      [email],
    );
    return row.payload.token;
  };
  const verificationToken = async (userId: string, table = 'auth_single_use_tokens') => {
    const token = newOpaqueToken();
    const purpose = table === 'auth_single_use_tokens' ? `'email_verification', ` : '';
    await db.query(
      `INSERT INTO ${table} (user_id, ${purpose ? 'purpose, ' : ''}token_hash, expires_at)
       VALUES ($1, ${purpose}$2, now() + interval '1 hour')`,
      [userId, sha256Hex(token)],
    );
    return token;
  };
  const verifiedAt = async (userId: string): Promise<Date | null> =>
    (
      await db.query<{ email_verified_at: Date | null }[]>(
        'SELECT email_verified_at FROM users WHERE id = $1',
        [userId],
      )
    )[0].email_verified_at;

  it('accepts a token for its own purpose only', async () => {
    const u = await createUser(t, { role: Role.Patient });
    await db.query('UPDATE users SET email_verified_at = NULL WHERE id = $1', [u.id]);
    const forReset = await resetToken(u.email);
    const forVerification = await verificationToken(u.id);

    expect((await verify(forReset).expect(400)).body.code).toBe('VALIDATION_FAILED');
    await reset(forVerification, strongPassword()).expect(400);
    expect(await verifiedAt(u.id)).toBeNull();

    // Consuming one purpose leaves the other's tokens usable.
    const password = strongPassword();
    await reset(forReset, password).expect(204);
    await verify(forVerification).expect(204);
    expect(await verifiedAt(u.id)).not.toBeNull();
    await login(t, u.email, password);
    await verify(forVerification).expect(400);
  });

  it('keeps tokens mailed before the migration working after it, and after its down', async () => {
    const migrations = new DataSource(
      dataSourceOptions({ url: t.db.url, poolSize: 1, statementTimeoutMs: 60_000 }),
    );
    await migrations.initialize();
    try {
      const resetUser = await createUser(t, { role: Role.Patient });
      const verifyUser = await createUser(t, { role: Role.Patient });
      await db.query('UPDATE users SET email_verified_at = NULL WHERE id = $1', [verifyUser.id]);
      const usedUser = await createUser(t, { role: Role.Patient });
      const used = await resetToken(usedUser.email);
      await reset(used, strongPassword()).expect(204);

      // Back to the two tables, as before the migration; tokens issued then live there.
      const applied = async () =>
        (await migrations.query<{ name: string }[]>('SELECT name FROM migrations')).map(
          (m) => m.name,
        );
      while ((await applied()).includes(MIGRATION))
        await migrations.undoLastMigration({ transaction: 'each' });
      const beforeReset = await resetTokenBefore(resetUser.id);
      const beforeVerify = await verificationToken(verifyUser.id, 'auth_email_verifications');
      const mine = [resetUser.id, verifyUser.id, usedUser.id];
      const before = await oldRows(mine);
      expect(before.resets.map((r) => r.user_id).sort()).toEqual(
        [resetUser.id, usedUser.id].sort(),
      );
      expect(before.resets.find((r) => r.user_id === usedUser.id)?.used_at).not.toBeNull();
      expect(before.verifications.map((r) => r.user_id)).toEqual([verifyUser.id]);

      await migrations.runMigrations({ transaction: 'each' });
      const after = await db.query<(TokenRow & { purpose: string })[]>(
        `SELECT id, user_id, purpose, token_hash, expires_at, used_at FROM auth_single_use_tokens
          WHERE user_id = ANY($1)`,
        [mine],
      );
      const sameRows = (rows: TokenRow[], purpose: string) =>
        rows.map((r) => ({ ...r, purpose })).sort((a, b) => a.id.localeCompare(b.id));
      expect(after.sort((a, b) => a.id.localeCompare(b.id))).toEqual(
        [
          ...sameRows(before.resets, 'password_reset'),
          ...sameRows(before.verifications, 'email_verification'),
        ].sort((a, b) => a.id.localeCompare(b.id)),
      );

      // The used token stays used; the unexpired ones work, once.
      await reset(used, strongPassword()).expect(400);
      const password = strongPassword();
      await reset(beforeReset, password).expect(204);
      await login(t, resetUser.email, password);
      await verify(beforeVerify).expect(204);
      expect(await verifiedAt(verifyUser.id)).not.toBeNull();
      await verify(beforeVerify).expect(400);
    } finally {
      await migrations.destroy();
    }

    // A token issued while the old tables were in place: its hash goes into the old table.
    async function resetTokenBefore(userId: string): Promise<string> {
      const token = newOpaqueToken();
      await db.query(
        `INSERT INTO auth_password_resets (user_id, token_hash, expires_at)
         VALUES ($1, $2, now() + interval '30 minutes')`,
        [userId, sha256Hex(token)],
      );
      return token;
    }

    async function oldRows(
      userIds: string[],
    ): Promise<{ resets: TokenRow[]; verifications: TokenRow[] }> {
      const select = (table: string) =>
        db.query<TokenRow[]>(
          `SELECT id, user_id, token_hash, expires_at, used_at FROM ${table}
            WHERE user_id = ANY($1) ORDER BY created_at`,
          [userIds],
        );
      return {
        resets: await select('auth_password_resets'),
        verifications: await select('auth_email_verifications'),
      };
    }
  });
});
