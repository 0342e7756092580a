import { Role } from '../../../common/auth/role';
import type { AppConfig } from '../../../config/app-config';
import { MemoryPubSub } from '../../../infra/redis/memory.store';
import { UserStatus } from '../../users/user.entity';
import type { UsersRepository } from '../../users/users.repository';
import type { DeviceSessionsRepository } from './device-sessions.repository';
import { PrincipalStandings } from './principal-standings';

interface Row {
  sessionUser: string;
  revoked: boolean;
}

// The record, as the two repositories would read it, and how often they were asked.
function record() {
  const sessions = new Map<string, Row>();
  const users = new Map<string, { role: Role; status: UserStatus }>();
  let reads = 0;
  const sessionRepo = {
    findByIds: (ids: readonly string[]) => {
      reads++;
      return Promise.resolve(
        ids.flatMap((id) => {
          const s = sessions.get(id);
          return s ? [{ id, userId: s.sessionUser, revokedAt: s.revoked ? new Date() : null }] : [];
        }),
      );
    },
  } as unknown as DeviceSessionsRepository;
  const userRepo = {
    standings: (ids: readonly string[]) =>
      Promise.resolve(
        ids.flatMap((id) => {
          const u = users.get(id);
          return u ? [{ id, ...u }] : [];
        }),
      ),
  } as unknown as UsersRepository;
  return { sessions, users, sessionRepo, userRepo, reads: () => reads };
}

describe('PrincipalStandings', () => {
  const config = { auth: { accessTokenTtlSeconds: 900 } } as AppConfig;

  function setup() {
    const r = record();
    const bus = new MemoryPubSub();
    const make = () => {
      const s = new PrincipalStandings(r.sessionRepo, r.userRepo, bus, config);
      let now = 1_000_000;
      s.now = () => now;
      return { s, advance: (ms: number) => (now += ms) };
    };
    return { r, bus, make };
  }

  it('reads the record once, then answers from memory until the entry is 2 s old', async () => {
    const { r, make } = setup();
    r.sessions.set('s1', { sessionUser: 'u1', revoked: false });
    r.users.set('u1', { role: Role.Admin, status: UserStatus.Active });
    const { s, advance } = make();
    const p = { sessionId: 's1', userId: 'u1' };
    expect(s.peek(p)).toBeUndefined();
    expect(await s.standing(p)).toEqual({ role: Role.Admin });
    expect(s.peek(p)).toEqual({ role: Role.Admin });
    // A change made behind its back (no announcement) is seen once the entry has aged out.
    r.users.set('u1', { role: Role.Patient, status: UserStatus.Active });
    advance(1999);
    expect(s.peek(p)).toEqual({ role: Role.Admin });
    advance(1);
    expect(s.peek(p)).toBeUndefined();
    expect(await s.standing(p)).toEqual({ role: Role.Patient });
    expect(r.reads()).toBe(2);
  });

  it('refuses revoked sessions, deactivated users and a session of someone else', async () => {
    const { r, make } = setup();
    r.sessions.set('gone', { sessionUser: 'u1', revoked: true });
    r.sessions.set('s2', { sessionUser: 'u2', revoked: false });
    r.users.set('u1', { role: Role.Doctor, status: UserStatus.Active });
    r.users.set('u2', { role: Role.Doctor, status: UserStatus.Deactivated });
    const { s, advance } = make();
    expect(await s.standing({ sessionId: 'gone', userId: 'u1' })).toBeNull();
    expect(await s.standing({ sessionId: 's2', userId: 'u2' })).toBeNull();
    expect(await s.standing({ sessionId: 's2', userId: 'u1' })).toBeNull();
    expect(await s.standing({ sessionId: 'missing', userId: 'u1' })).toBeNull();
    // A revoked session is final: remembered long after a live entry would have aged out.
    advance(60_000);
    expect(s.peek({ sessionId: 'gone', userId: 'u1' })).toBeNull();
  });

  it('drops what it knew on a change, here and on every other instance', async () => {
    const { r, make } = setup();
    r.sessions.set('s1', { sessionUser: 'u1', revoked: false });
    r.users.set('u1', { role: Role.Doctor, status: UserStatus.Active });
    const here = make().s;
    const there = make().s;
    await Promise.all([here.onApplicationBootstrap(), there.onApplicationBootstrap()]);
    const p = { sessionId: 's1', userId: 'u1' };
    await Promise.all([here.standing(p), there.standing(p)]);
    const heard: string[][] = [];
    there.changes.subscribe((c) => heard.push([...c.userIds]));

    r.sessions.set('s1', { sessionUser: 'u1', revoked: true });
    await here.changed({ sessionIds: [], userIds: ['u1'] });
    expect(here.peek(p)).toBeUndefined();
    await new Promise((resolve) => setImmediate(resolve));
    expect(there.peek(p)).toBeUndefined();
    expect(heard).toEqual([['u1']]);
    await there.confirm([p, p]);
    expect(there.peek(p)).toBeNull();
    await Promise.all([here.onModuleDestroy(), there.onModuleDestroy()]);
  });

  it('does not keep an answer read before a change that happened meanwhile', async () => {
    const { r, make } = setup();
    r.sessions.set('s1', { sessionUser: 'u1', revoked: false });
    r.users.set('u1', { role: Role.Doctor, status: UserStatus.Active });
    const { s } = make();
    const p = { sessionId: 's1', userId: 'u1' };
    const pending = s.standing(p);
    await s.changed({ sessionIds: ['s1'], userIds: [] });
    expect(await pending).toEqual({ role: Role.Doctor });
    expect(s.peek(p)).toBeUndefined();
  });
});
