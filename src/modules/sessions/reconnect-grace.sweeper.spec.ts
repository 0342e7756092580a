import type { RoomPresenceService } from './room-presence.service';
import { ReconnectGraceSweeper } from './reconnect-grace.sweeper';
import { type GraceExpiredEvent, SessionEvents } from './session-events';

describe('ReconnectGraceSweeper', () => {
  it('announces each stay whose grace ran out, with ids only, after it was ended', async () => {
    const now = new Date('2026-12-07T12:00:00Z');
    const expireGraces = jest.fn().mockResolvedValue([
      {
        roomId: 'r1',
        sessionId: 's1',
        userId: 'u1',
        otherSocketIds: ['sock-2'],
        sessionEnded: false,
      },
    ]);
    const events = new SessionEvents();
    const seen: GraceExpiredEvent[] = [];
    events.graceExpired.subscribe((e) => seen.push(e));
    const sweeper = new ReconnectGraceSweeper(
      { expireGraces } as unknown as RoomPresenceService,
      events,
    );
    await expect(sweeper.sweep(now)).resolves.toBe(1);
    expect(expireGraces).toHaveBeenCalledWith(now);
    expect(seen).toEqual([{ roomId: 'r1', sessionId: 's1', userId: 'u1' }]);
  });

  it('announces nothing when no grace ran out', async () => {
    const events = new SessionEvents();
    const next = jest.spyOn(events.graceExpired, 'next');
    const sweeper = new ReconnectGraceSweeper(
      { expireGraces: jest.fn().mockResolvedValue([]) } as unknown as RoomPresenceService,
      events,
    );
    await expect(sweeper.sweep()).resolves.toBe(0);
    expect(next).not.toHaveBeenCalled();
  });
});
