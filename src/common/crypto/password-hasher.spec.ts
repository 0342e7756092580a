import { HashingThreads } from './hashing-threads';
import {
  defaultPasswordHashConcurrency,
  hashPassword,
  passwordHashConcurrency,
  setPasswordHashConcurrency,
  verifyPassword,
} from './password-hasher';

// Real argon2id on real hashing threads (a hash is 10–20 ms here); how jobs are spread over
// the threads is hashing-threads.spec.ts' business.
describe('password hasher', () => {
  it('keeps a core free, never goes below one hashing thread, and by default above three', () => {
    expect([1, 2, 3, 4, 8, 64].map(defaultPasswordHashConcurrency)).toEqual([1, 1, 2, 3, 3, 3]);
  });

  it('hashes with argon2id and verifies the right password only', async () => {
    const stored = await hashPassword('correct horse battery staple');
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(stored, 'correct horse battery staple')).toBe(true);
    expect(await verifyPassword(stored, 'correct horse battery stapler')).toBe(false);
    expect(await hashPassword('correct horse battery staple')).not.toBe(stored);
  });

  it('reads a malformed stored hash as a mismatch', async () => {
    expect(await verifyPassword('not-a-hash', 'x')).toBe(false);
    expect(await verifyPassword('$argon2id$v=19$m=19456,t=2,p=1$short', 'x')).toBe(false);
  });

  it('fails, rather than answering "wrong password", when a hashing thread fails', async () => {
    // A mismatch would count towards the account's lockout; a failed thread is a server error.
    jest
      .spyOn(HashingThreads.prototype, 'run')
      .mockRejectedValueOnce(new Error('password hashing thread exited (code 1)'));
    await expect(verifyPassword('$argon2id$stored', 'pw')).rejects.toThrow('exited (code 1)');
  });

  it('changes the number of hashing threads, finishing the hashes already queued', async () => {
    const stored = await hashPassword('pw');
    const before = passwordHashConcurrency();
    const queued = [verifyPassword(stored, 'pw'), verifyPassword(stored, 'no')];
    setPasswordHashConcurrency(before + 1);
    expect(passwordHashConcurrency()).toBe(before + 1);
    const after = Array.from({ length: 4 }, (_, i) => verifyPassword(stored, i % 2 ? 'pw' : 'no'));
    expect(await Promise.all([...queued, ...after])).toEqual([
      true,
      false,
      false,
      true,
      false,
      true,
    ]);
    setPasswordHashConcurrency(before + 1);
    expect(passwordHashConcurrency()).toBe(before + 1);
  });
});
