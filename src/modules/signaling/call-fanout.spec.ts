import { CallEvents, type CallView } from '../calls/call-events';
import type { CallsService } from '../calls/calls.service';
import type { IceService } from '../ice/ice.service';
import type { RoomPresenceService } from '../sessions/room-presence.service';
import { CallFanout } from './call-fanout';
import type { RoomFanout } from './room-fanout';
import type { SignalingServer } from './signaling-socket';

const call: CallView = {
  id: 'c1',
  roomId: 'r1',
  callerId: 'a',
  type: 'video',
  status: 'ringing',
  endReason: null,
  durationSeconds: null,
  participants: [
    { userId: 'a', state: 'joined' },
    { userId: 'b', state: 'ringing' },
  ],
};

describe('CallFanout', () => {
  function fanout(): {
    events: CallEvents;
    log: string[];
    delivered: jest.Mock;
  } {
    const log: string[] = [];
    const io = {
      to: (to: string | string[]) => ({
        emit: (event: string) => log.push(`${[to].flat().join(',')} <- ${event}`),
      }),
      in: () => ({ fetchSockets: () => Promise.resolve([{}, {}]) }),
    };
    const delivered = jest.fn().mockResolvedValue(undefined);
    const events = new CallEvents();
    new CallFanout(
      { io } as unknown as SignalingServer,
      {
        forUser: () => ({ iceServers: [], expiresAt: '2026-12-07T13:00:00.000Z' }),
      } as unknown as IceService,
      { delivered } as unknown as CallsService,
      {} as RoomPresenceService,
      {} as RoomFanout,
      events,
    ).start();
    return { events, log, delivered };
  }

  const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

  it('rings each callee on their own channel and records how many devices heard it', async () => {
    const { events, log, delivered } = fanout();
    events.changes.next({ kind: 'initiated', call });
    await settle();
    expect(log).toEqual(['user:b <- call:incoming']);
    expect(delivered).toHaveBeenCalledWith(call, 'b', 2);
  });

  it('tells every participant of a cancelled call', async () => {
    const { events, log } = fanout();
    events.changes.next({ kind: 'cancelled', call, by: 'a' });
    await settle();
    expect(log).toEqual(['user:a,user:b <- call:cancelled']);
  });

  it('leaves an accept made over signaling to the handler that made it', async () => {
    const { events, log } = fanout();
    events.changes.next({ kind: 'accepted', call, by: 'b', viaSignaling: true });
    await settle();
    expect(log).toEqual([]);
  });
});
