import { DeliveryError } from '../../outbox/channel-sender';
import { flatBody, pushBody, retryable, ttlSeconds } from './push-message';

const callId = '3d7e95fa-c1d9-440a-a30c-c0fe188d5677';

describe('push bodies', () => {
  it('carry only the listed ids and words, whatever else the payload holds', () => {
    const body = pushBody('call.incoming', 'm1', {
      callId,
      callerId: 'c9a1b2c3-0000-4000-8000-000000000001',
      callType: 'video',
      displayName: 'Dr. Ayşe Yılmaz',
      ttlUntil: '2030-01-01T00:00:00Z',
    });
    expect(body).toEqual({
      kind: 'call.incoming',
      messageId: 'm1',
      callId,
      callerId: 'c9a1b2c3-0000-4000-8000-000000000001',
      callType: 'video',
    });
    expect(flatBody(pushBody('call.ended', 'm2', { callId, reason: 'has spaces' }))).toEqual({
      kind: 'call.ended',
      messageId: 'm2',
      callId,
    });
  });

  it('dead-letters an unknown kind or a payload without a call id', () => {
    for (const [kind, payload] of [
      ['call.other', { callId }],
      ['call.incoming', { callId: 'nope' }],
    ] as const) {
      const err = (() => {
        try {
          pushBody(kind, 'm', payload);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(DeliveryError);
      expect((err as DeliveryError).permanent).toBe(true);
    }
  });

  it('computes the time a push stays worth delivering', () => {
    const now = Date.parse('2030-01-01T00:00:00Z');
    expect(ttlSeconds({ ttlUntil: '2030-01-01T00:00:30Z' }, now)).toBe(30);
    expect(ttlSeconds({ ttlUntil: '2029-12-31T23:00:00Z' }, now)).toBe(0);
    expect(ttlSeconds({}, now)).toBe(0);
  });

  it('retries timeouts, rate limits and server errors only', () => {
    expect([408, 429, 500, 503].every(retryable)).toBe(true);
    expect([400, 403, 404, 413].some(retryable)).toBe(false);
  });
});
