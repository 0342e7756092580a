import { ConfigError, loadConfig } from '../../src/config/load-config';
import { generateSecrets } from '../../src/config/secrets';

// Finding 8: NODE_ENV=production started with JWT_SECRET=changemechangemechangemechangeme,
// TURN_SECRET=secretsecretsecret and created the admin with ADMIN_PASSWORD=password1234; only
// the exact word `changeme` was refused. Secrets are judged by length, estimated entropy,
// repeated patterns and known placeholders; the admin password by the password policy.
describe('security: production refuses weak secrets and a weak first-admin password', () => {
  const production = (overrides: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({
    NODE_ENV: 'production',
    DATABASE_URL: 'postgres://hekim@db.internal:5432/hekim',
    REDIS_URL: 'redis://redis.internal:6379',
    ADMIN_EMAIL: 'admin@hospital.example',
    ADMIN_PASSWORD: 'Correct-horse-battery-42',
    TURN_URLS: 'turn:turn.hospital.example:3478',
    ...generateSecrets(),
    ...overrides,
  });

  function problems(env: NodeJS.ProcessEnv): string[] {
    try {
      loadConfig(env, { persistGeneratedSecrets: false });
      return [];
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
  }

  it('starts with strong, random secrets', () => {
    expect(problems(production({}))).toEqual([]);
  });

  it.each([
    ['JWT_SECRET', 'changemechangemechangemechangeme'],
    ['JWT_SECRET', 'a'.repeat(64)],
    ['JWT_SECRET', 'abcdefghijklmnopqrstuvwxyz0123456789'],
    ['JWT_SECRET', 'replace-with-a-long-random-secret-value'],
    ['TURN_SECRET', 'short-but-random-9f2k'],
    ['TURN_SECRET', 'secretsecretsecret'],
    ['TURN_SECRET', 'turn-secret-turn-secret-turn-secret'],
    ['METRICS_TOKEN', 'metricsmetricsmetrics'],
    ['SMS_GATEWAY_TOKEN', 'gateway-token-2f9a1c'],
    ['SMS_GATEWAY_TOKEN', 'sms-gateway-token-sms-gateway-token'],
  ])('refuses %s=%s', (name, value) => {
    const found = problems(production({ [name]: value }));
    expect(found.filter((p) => p.startsWith(`${name}:`))).toHaveLength(1);
    // The message never echoes the value.
    expect(found.join('\n')).not.toContain(value);
  });

  it.each(['password1234', 'admin@hospital.example', 'aaaaaaaaaaaaaaaa'])(
    'refuses ADMIN_PASSWORD=%s',
    (password) => {
      const found = problems(production({ ADMIN_PASSWORD: password }));
      expect(found.filter((p) => p.startsWith('ADMIN_PASSWORD:'))).toHaveLength(1);
    },
  );

  it('refuses byte keys of repeated bytes', () => {
    const zeros = Buffer.alloc(32).toString('base64');
    const found = problems(
      production({
        DATA_ENCRYPTION_KEY: zeros,
        PATIENT_DATA_MASTER_KEY: `k1:${zeros}`,
        PATIENT_DATA_INDEX_KEY: Buffer.alloc(32, 7).toString('base64'),
      }),
    );
    expect(found.map((p) => p.split(':')[0]).sort()).toEqual([
      'DATA_ENCRYPTION_KEY',
      'PATIENT_DATA_INDEX_KEY',
      'PATIENT_DATA_MASTER_KEY',
    ]);
  });
});
