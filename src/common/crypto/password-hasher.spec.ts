import { hash, verify } from '@node-rs/argon2';
import {
  defaultPasswordHashConcurrency,
  hashPassword,
  passwordHashConcurrency,
  setPasswordHashConcurrency,
  verifyPassword,
} from './password-hasher';

// The addon is replaced by hashes that finish when the test says so: what is checked is how
// many run at once, not argon2 (test/platform/admin-bootstrap.e2e-spec.ts verifies real hashes).
jest.mock('@node-rs/argon2', () => ({ hash: jest.fn(), verify: jest.fn() }));

interface Started {
  finish: () => void;
  fail: (error: Error) => void;
}

describe('password hasher', () => {
  let started: Started[];

  beforeEach(() => {
    started = [];
    const pending = <T>(value: T) =>
      new Promise<T>((resolve, reject) =>
        started.push({ finish: () => resolve(value), fail: reject }),
      );
    jest.mocked(hash).mockImplementation(() => pending('$argon2id$stub'));
    jest.mocked(verify).mockImplementation(() => pending(true));
  });

  // Lets queued work reach the (mocked) addon.
  const settle = () => new Promise((r) => setImmediate(r));

  it('keeps a core and a pool thread free, and never goes below one hash at a time', () => {
    expect([1, 2, 4, 8].map((cores) => defaultPasswordHashConcurrency(cores, 4))).toEqual([
      1, 1, 3, 3,
    ]);
    expect(defaultPasswordHashConcurrency(16, 8)).toBe(7);
    expect(defaultPasswordHashConcurrency(2, 1)).toBe(1);
  });

  it('runs at most the configured number of hashes at once, the others in turn', async () => {
    setPasswordHashConcurrency(2);
    expect(passwordHashConcurrency()).toBe(2);
    const results = [
      verifyPassword('$argon2id$a', 'one'),
      hashPassword('two'),
      verifyPassword('$argon2id$c', 'three'),
      hashPassword('four'),
    ];
    await settle();
    expect(started).toHaveLength(2);
    started[0].finish();
    await settle();
    expect(started).toHaveLength(3);
    started[1].finish();
    started[2].finish();
    await settle();
    expect(started).toHaveLength(4);
    started[3].finish();
    expect(await Promise.all(results)).toEqual([true, '$argon2id$stub', true, '$argon2id$stub']);
  });

  it('frees its turn when a hash fails, and reads a malformed stored hash as a mismatch', async () => {
    setPasswordHashConcurrency(1);
    const bad = verifyPassword('not-a-hash', 'x');
    const next = verifyPassword('$argon2id$b', 'y');
    await settle();
    expect(started).toHaveLength(1);
    started[0].fail(new Error('invalid hash'));
    expect(await bad).toBe(false);
    await settle();
    expect(started).toHaveLength(2);
    started[1].finish();
    expect(await next).toBe(true);
  });
});
