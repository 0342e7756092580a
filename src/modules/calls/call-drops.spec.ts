import { SessionEvents } from '../sessions/session-events';
import { CallDrops } from './call-drops';
import type { CallsService } from './calls.service';

describe('CallDrops', () => {
  it('drops the participant whose reconnect grace ran out from the call of that room', () => {
    const events = new SessionEvents();
    const dropped = jest.fn().mockResolvedValue(true);
    const drops = new CallDrops(events, { dropped } as unknown as CallsService);
    drops.onModuleInit();
    events.graceExpired.next({ roomId: 'call-room', sessionId: 's1', userId: 'u1' });
    drops.onModuleDestroy();
    events.graceExpired.next({ roomId: 'call-room', sessionId: 's1', userId: 'u2' });
    expect(dropped.mock.calls).toEqual([['call-room', 'u1']]);
  });
});
