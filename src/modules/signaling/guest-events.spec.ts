import { Role } from '../../common/auth/role';
import { guestEventFilter } from './guest-events';

describe('guestEventFilter', () => {
  const run = (role: Role, packet: unknown[]) => {
    const next = jest.fn();
    guestEventFilter({ data: { user: { role } } }, packet, next);
    return next.mock.calls.length === 1;
  };

  it('lets every event of an account through', () => {
    expect(run(Role.Patient, ['call:initiate', {}, () => undefined])).toBe(true);
    expect(run(Role.Doctor, ['room:admit', {}])).toBe(true);
  });

  it('lets a guest join, leave, negotiate and refresh', () => {
    for (const event of [
      'room:join',
      'room:leave',
      'call:offer',
      'call:ice-candidate',
      'auth:refresh',
    ])
      expect(run(Role.Guest, [event, {}])).toBe(true);
  });

  it('refuses any other event of a guest, answering FORBIDDEN when it has an ack', () => {
    const ack = jest.fn();
    expect(run(Role.Guest, ['call:initiate', {}, ack])).toBe(false);
    expect(ack).toHaveBeenCalledWith({
      ok: false,
      error: expect.objectContaining({ code: 'FORBIDDEN' }) as unknown,
    });
    for (const event of ['room:admit', 'call:accept', 'queue:next', 'made:up', 42])
      expect(run(Role.Guest, [event, {}])).toBe(false);
  });
});
