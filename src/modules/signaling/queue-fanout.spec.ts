import type { AuthUser } from '../../common/auth/auth-user';
import { Role } from '../../common/auth/role';
import { AppException } from '../../common/errors/app.exception';
import type { AdmittedResponse, QueueEntryResponse } from '../appointments/queue/dto/queue.dto';
import { QueueEvents } from '../appointments/queue/queue-events';
import type { QueueService } from '../appointments/queue/queue.service';
import type { RoomPresenceService } from '../sessions/room-presence.service';
import { QueueFanout } from './queue-fanout';
import type { RoomFanout } from './room-fanout';
import type { SignalingServer } from './signaling-socket';

const entry = (position: number, waiting: boolean): QueueEntryResponse => ({
  position,
  appointmentId: `a${position}`,
  roomId: `r${position}`,
  patientId: `p${position}`,
  displayName: `P ${position}`,
  start: '2027-01-04T06:00:00.000Z',
  checkedInAt: '2027-01-04T05:50:00.000Z',
  waitedSeconds: 60,
  estimatedWaitMinutes: (position - 1) * 10,
  waiting,
  precheck: null,
});

const doctor: AuthUser = { id: 'd', role: Role.Doctor, sessionId: 's' };

describe('QueueFanout', () => {
  function fanout(options: { of?: jest.Mock; candidates?: AdmittedResponse[]; admit?: jest.Mock }) {
    const log: string[] = [];
    const io = {
      to: (to: string) => ({
        emit: (event: string, payload: unknown) =>
          log.push(`${to} <- ${event} ${JSON.stringify(payload)}`),
      }),
    };
    const events = new QueueEvents();
    const of = options.of ?? jest.fn();
    const f = new QueueFanout(
      { io } as unknown as SignalingServer,
      {
        of,
        candidates: () => Promise.resolve(options.candidates ?? []),
      } as unknown as QueueService,
      events,
      { admit: options.admit ?? jest.fn() } as unknown as RoomPresenceService,
      { joined: () => ({ roomId: 'joined' }) } as unknown as RoomFanout,
    );
    f.start();
    return { f, events, log, of };
  }

  const settle = async (): Promise<void> => {
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  };

  it('tells the clinician the whole queue and each knocking person their place, no one else', async () => {
    const of = jest.fn().mockResolvedValue({ items: [entry(1, true), entry(2, false)] });
    const { events, log } = fanout({ of });
    events.changed.next({ clinicianId: 'd' });
    await settle();
    expect(of).toHaveBeenCalledWith('d');
    expect(log).toHaveLength(2);
    expect(log[0]).toMatch(/^user:d <- queue:changed \{"clinicianId":"d","items":\[/);
    expect(log[1]).toBe(
      'user:p1 <- queue:update {"roomId":"r1","position":1,"estimatedWaitMinutes":0}',
    );
  });

  it('folds changes that arrive during a read into one more read, so the last sent is current', async () => {
    let release: () => void = () => undefined;
    const of = jest
      .fn()
      .mockImplementationOnce(
        () =>
          new Promise((resolve) => {
            release = () => resolve({ items: [entry(1, true)] });
          }),
      )
      .mockResolvedValue({ items: [] });
    const { events } = fanout({ of });
    events.changed.next({ clinicianId: 'd' });
    events.changed.next({ clinicianId: 'd' });
    events.changed.next({ clinicianId: 'd' });
    await settle();
    expect(of).toHaveBeenCalledTimes(1);
    release();
    await settle();
    expect(of).toHaveBeenCalledTimes(2);
    // Quiet again: the next change reads anew.
    events.changed.next({ clinicianId: 'd' });
    await settle();
    expect(of).toHaveBeenCalledTimes(3);
  });

  it('keeps going after a failed read', async () => {
    const of = jest
      .fn()
      .mockRejectedValueOnce(new Error('database gone'))
      .mockResolvedValue({ items: [] });
    const { events, log } = fanout({ of });
    events.changed.next({ clinicianId: 'd' });
    await settle();
    events.changed.next({ clinicianId: 'd' });
    await settle();
    expect(of).toHaveBeenCalledTimes(2);
    expect(log).toEqual(['user:d <- queue:changed {"clinicianId":"d","items":[]}']);
  });

  it('queue:next passes over someone no longer knocking and admits the next', async () => {
    const candidates = [1, 2].map((i) => ({
      appointmentId: `a${i}`,
      roomId: `r${i}`,
      userId: `p${i}`,
      displayName: `P ${i}`,
    }));
    const admit = jest
      .fn()
      .mockRejectedValueOnce(AppException.notFound('The waiting user'))
      .mockResolvedValue({ joined: {}, socketId: 'sock2' });
    const { f, log } = fanout({ candidates, admit });
    await expect(f.next(doctor)).resolves.toEqual(candidates[1]);
    expect(admit).toHaveBeenLastCalledWith(doctor, 'r2', 'p2');
    expect(log).toEqual(['sock2 <- room:admitted {"roomId":"joined"}']);
  });

  it('queue:next with nobody knocking is NOT_FOUND; other refusals pass through', async () => {
    await expect(fanout({}).f.next(doctor)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const refused = fanout({
      candidates: [{ appointmentId: 'a', roomId: 'r', userId: 'p', displayName: 'P' }],
      admit: jest.fn().mockRejectedValue(AppException.forbidden()),
    });
    await expect(refused.f.next(doctor)).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});
