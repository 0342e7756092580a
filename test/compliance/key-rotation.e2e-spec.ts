import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { Role } from '../../src/common/auth/role';
import { generateSecrets } from '../../src/config/secrets';
import { runKeysRotate } from '../../src/modules/users/patient-profile/key-rotation';
import { authHeader, signIn, type SignedIn } from '../support/auth';
import {
  createTestApp,
  createTestDatabase,
  type TestApp,
  type TestDatabase,
} from '../support/test-app';
import { putProfile, randomTckn } from './privacy-support';

const masterKey = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;

describe('compliance: master key rotation (npm run keys:rotate)', () => {
  let db: TestDatabase;
  const secrets = generateSecrets();
  const oldKey = masterKey('pk-2026-01');
  const newKey = masterKey('pk-2026-11');
  const profiles = new Map<SignedIn, { nationalId: string; phone: string }>();

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  const app = (env: NodeJS.ProcessEnv) =>
    createTestApp({ db, env: { ...secrets, AUTH_RATE_LIMIT_PER_MINUTE: '10000', ...env } });

  async function rotate(
    env: NodeJS.ProcessEnv,
  ): Promise<{ code: number; out: string[]; err: string[] }> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runKeysRotate(
      { ...secrets, NODE_ENV: 'test', DATABASE_URL: db.url, ...env },
      (l) => out.push(l),
      (l) => err.push(l),
    );
    return { code, out, err };
  }

  async function readAll(t: TestApp): Promise<void> {
    for (const [patient, expected] of profiles) {
      const { accessToken } = (
        await t
          .http()
          .post('/api/v1/auth/login')
          .send({ email: patient.user.email, password: patient.password })
      ).body as { accessToken: string };
      const res = await t.http().get('/api/v1/users/me/profile').set(authHeader(accessToken));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject(expected);
    }
  }

  it('re-wraps every data key under the new master key; data stays readable without the old key', async () => {
    const before = await app({ PATIENT_DATA_MASTER_KEY: oldKey });
    try {
      for (let i = 0; i < 3; i++) {
        const patient = await signIn(before, Role.Patient);
        const profile = { nationalId: randomTckn(), phone: `+90532000000${i}` };
        await putProfile(before, patient, profile);
        profiles.set(patient, profile);
      }
    } finally {
      await before.close();
    }
    const ciphertextBefore = await rows();

    const result = await rotate({
      PATIENT_DATA_MASTER_KEY: newKey,
      PATIENT_DATA_PREVIOUS_MASTER_KEYS: oldKey,
    });
    expect(result.err).toEqual([]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out[0])).toEqual({
      keyId: 'pk-2026-11',
      rewrapped: 3,
      keysByMasterKey: { 'pk-2026-11': 3 },
    });
    // Only the wrapped keys changed; the profile ciphertext is untouched.
    const after = await rows();
    expect(after.profiles).toEqual(ciphertextBefore.profiles);
    expect(after.keys.every((k) => k.key_id === 'pk-2026-11' && k.rotated_at !== null)).toBe(true);

    // The old key is no longer configured anywhere, and every profile still opens.
    const rotated = await app({ PATIENT_DATA_MASTER_KEY: newKey });
    try {
      await readAll(rotated);
    } finally {
      await rotated.close();
    }

    // Running it again has nothing to do.
    const again = await rotate({ PATIENT_DATA_MASTER_KEY: newKey });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.out[0])).toMatchObject({ rewrapped: 0 });
  });

  it('fails without the old key (nothing half-done) and refuses an unusable configuration', async () => {
    const third = masterKey('pk-2027-01');
    const missingOld = await rotate({ PATIENT_DATA_MASTER_KEY: third });
    expect(missingOld.code).toBe(1);
    expect(missingOld.err.join('\n')).toContain('master key pk-2026-11 is not configured');
    expect((await rows()).keys.every((k) => k.key_id === 'pk-2026-11')).toBe(true);

    const bad = await rotate({ PATIENT_DATA_MASTER_KEY: 'not-a-key' });
    expect(bad.code).toBe(78);
    expect(bad.err.join('\n')).toContain('PATIENT_DATA_MASTER_KEY');
    const emptyDir = mkdtempSync(join(tmpdir(), 'hekim-rotate-'));
    const noDb = await rotate({ DATABASE_URL: '', DATA_DIR: emptyDir });
    expect(noDb.code).toBe(78);
    expect(noDb.err.join('\n')).toContain(`there is no embedded database in ${emptyDir} yet`);
    expect(readdirSync(emptyDir)).toEqual([]);
    rmSync(emptyDir, { recursive: true });
  });

  async function rows(): Promise<{
    profiles: unknown[];
    keys: { key_id: string; rotated_at: Date | null }[];
  }> {
    const ds = new DataSource({ type: 'postgres', url: db.url });
    await ds.initialize();
    try {
      return {
        profiles: await ds.query(
          'SELECT user_id, national_id, phone FROM patient_profiles ORDER BY user_id',
        ),
        keys: await ds.query('SELECT key_id, rotated_at FROM patient_data_keys ORDER BY user_id'),
      };
    } finally {
      await ds.destroy();
    }
  }
});
