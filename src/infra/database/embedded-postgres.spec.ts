import { searchableBy } from './embedded-postgres';

describe('searchableBy', () => {
  const user = { uid: 100, gid: 200 };

  it('uses the owner, group or other search bit that applies to the user', () => {
    expect(searchableBy({ mode: 0o700, uid: 100, gid: 0 }, user)).toBe(true);
    expect(searchableBy({ mode: 0o070, uid: 100, gid: 200 }, user)).toBe(false);
    expect(searchableBy({ mode: 0o710, uid: 0, gid: 200 }, user)).toBe(true);
    expect(searchableBy({ mode: 0o701, uid: 0, gid: 200 }, user)).toBe(false);
    expect(searchableBy({ mode: 0o711, uid: 0, gid: 0 }, user)).toBe(true);
    // A private home directory such as /root.
    expect(searchableBy({ mode: 0o700, uid: 0, gid: 0 }, user)).toBe(false);
  });
});
