import { EventAdmission, type AdmittedSocket } from './event-admission';
import type { RateVerdict, SignalingRateLimiter } from './signaling-rate-limiter';
import type { SignalingMetrics } from './signaling.metrics';

describe('EventAdmission', () => {
  const socket = (): AdmittedSocket & { disconnect: jest.Mock } => ({
    id: 's1',
    data: { user: { id: 'u1' } },
    disconnect: jest.fn(),
  });

  function admission(verdicts: (RateVerdict | Promise<RateVerdict>)[]): {
    admission: EventAdmission;
    limited: jest.Mock;
  } {
    const limited = jest.fn();
    const limiter = {
      check: jest.fn(() => {
        const v = verdicts.shift();
        if (v === undefined) throw new Error('no verdict');
        return v;
      }),
      forget: jest.fn(),
    } as unknown as SignalingRateLimiter;
    const metrics = { rateLimited: { inc: limited } } as unknown as SignalingMetrics;
    return { admission: new EventAdmission(limiter, metrics), limited };
  }

  it('lets an event through at once when the verdict is known', () => {
    const { admission: a } = admission(['ok']);
    const next = jest.fn();
    a.admit(socket(), ['call:offer', {}], next);
    expect(next).toHaveBeenCalledTimes(1);
  });

  it('answers a limited event RATE_LIMITED with retryAfter, and drops it', () => {
    const { admission: a, limited } = admission(['limited']);
    const next = jest.fn();
    const ack = jest.fn();
    const s = socket();
    a.admit(s, ['room:join', {}, ack], next);
    expect(next).not.toHaveBeenCalled();
    expect(limited).toHaveBeenCalledTimes(1);
    expect(ack).toHaveBeenCalledWith({
      ok: false,
      error: { code: 'RATE_LIMITED', message: 'Too many events; slow down.', retryAfter: 1 },
    });
    expect(s.disconnect).not.toHaveBeenCalled();
  });

  it('disconnects an abusive socket', () => {
    const { admission: a } = admission(['abusive']);
    const s = socket();
    a.admit(s, ['x'], jest.fn());
    expect(s.disconnect).toHaveBeenCalledWith(true);
  });

  it('keeps one socket’s events in order behind a verdict that waits for the shared counter', async () => {
    let answer!: (v: RateVerdict) => void;
    const pending = new Promise<RateVerdict>((r) => (answer = r));
    const { admission: a } = admission([pending, 'ok']);
    const order: string[] = [];
    const s = socket();
    a.admit(s, ['call:offer'], () => order.push('offer'));
    a.admit(s, ['call:ice-candidate'], () => order.push('candidate'));
    expect(order).toEqual([]);
    answer('ok');
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['offer', 'candidate']);
  });

  it('fails open when the shared counter is unreachable', async () => {
    const { admission: a } = admission([Promise.reject(new Error('redis down'))]);
    const next = jest.fn();
    a.admit(socket(), ['call:offer'], next);
    await new Promise((r) => setImmediate(r));
    expect(next).toHaveBeenCalledTimes(1);
  });
});
