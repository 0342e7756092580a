import type { IceService } from '../ice/ice.service';
import { SessionEvents } from '../sessions/session-events';
import { RoomFanout } from './room-fanout';
import type { SignalingMetrics } from './signaling.metrics';
import type { SignalingServer } from './signaling-socket';

// A namespace that records what was addressed to whom.
function recordingServer(): { server: SignalingServer; log: string[] } {
  const log: string[] = [];
  const target = (to: string, except?: string) => ({
    emit: (event: string, payload: unknown) => {
      log.push(`${to}${except ? ` except ${except}` : ''} <- ${event} ${JSON.stringify(payload)}`);
    },
    except: (ex: string) => target(to, ex),
  });
  const io = {
    to: (to: string) => target(to),
    in: (to: string) => ({
      socketsLeave: (room: string) => log.push(`${to} leaves ${room}`),
      socketsJoin: (room: string) => log.push(`${to} joins ${room}`),
    }),
  };
  return { server: { io } as unknown as SignalingServer, log };
}

describe('RoomFanout', () => {
  function fanout(): { events: SessionEvents; log: string[]; stop: () => void } {
    const { server, log } = recordingServer();
    const events = new SessionEvents();
    const rooms = new RoomFanout(
      server,
      {} as IceService,
      { joins: { inc: jest.fn() } } as unknown as SignalingMetrics,
      events,
    );
    rooms.start();
    return { events, log, stop: () => rooms.stop() };
  }

  it('tells the room its session ended and empties the room’s channel', () => {
    const { events, log } = fanout();
    events.ended.next({ roomId: 'r1', sessionId: 's1', reason: 'ended-by-host', userIds: ['a'] });
    expect(log).toEqual([
      'room:r1 <- room:session-ended {"roomId":"r1","sessionId":"s1","reason":"ended-by-host"}',
      'room:r1 leaves room:r1',
    ]);
  });

  it('tells a removed user’s devices, takes them out of the room, and tells the others', () => {
    const { events, log } = fanout();
    events.removed.next({ roomId: 'r1', sessionId: 's1', userId: 'u1', reason: 'consent' });
    expect(log).toEqual([
      'user:u1 <- room:removed {"roomId":"r1","reason":"consent"}',
      'user:u1 leaves room:r1',
      'room:r1 except user:u1 <- room:participant-left {"roomId":"r1","userId":"u1"}',
    ]);
  });

  it('tells nobody else when the removed user was only knocking', () => {
    const { events, log } = fanout();
    events.removed.next({ roomId: 'r1', sessionId: null, userId: 'u1', reason: 'consent' });
    expect(log.filter((l) => l.includes('participant-left'))).toEqual([]);
  });

  it('tells the room a participant left when their reconnect grace ran out, until stopped', () => {
    const { events, log, stop } = fanout();
    events.graceExpired.next({ roomId: 'r1', sessionId: 's1', userId: 'u1' });
    stop();
    events.graceExpired.next({ roomId: 'r1', sessionId: 's1', userId: 'u2' });
    expect(log).toEqual([
      'room:r1 except user:u1 <- room:participant-left {"roomId":"r1","userId":"u1"}',
    ]);
  });
});
