import { DataSource } from 'typeorm';
import { verifyPassword } from '../../src/common/crypto/password-hasher';
import { AdminBootstrapService } from '../../src/modules/users/admin-bootstrap.service';
import { createTestApp, createTestDatabase, type TestApp } from '../support/test-app';

// docs/configuration.md: ADMIN_EMAIL/ADMIN_PASSWORD create the first admin on an empty database,
// once, even when two instances start together.
describe('first admin bootstrap', () => {
  const env = { ADMIN_EMAIL: 'Chief@Clinic.example', ADMIN_PASSWORD: 'first-admin-password-1' };
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    const db = await createTestDatabase();
    [a, b] = await Promise.all([
      createTestApp({ db, redisPrefix: 'hekim-test:bootstrap-a:', env }),
      createTestApp({ db, redisPrefix: 'hekim-test:bootstrap-b:', env }),
    ]);
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await a.db.drop();
  });

  it('creates exactly one admin with the configured credentials, idempotently', async () => {
    const rows = await a.app
      .get(DataSource)
      .query<{ email: string; password_hash: string }[]>(
        `SELECT email, password_hash FROM users WHERE role = 'admin'`,
      );
    expect(rows).toHaveLength(1);
    expect(rows[0].email).toBe('chief@clinic.example');
    expect(rows[0].password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(rows[0].password_hash, 'first-admin-password-1')).toBe(true);
    expect(await verifyPassword(rows[0].password_hash, 'wrong')).toBe(false);
    expect(await verifyPassword('not-a-hash', 'x')).toBe(false);
    expect(await a.app.get(AdminBootstrapService).ensureFirstAdmin()).toBe('exists');
  });
});
