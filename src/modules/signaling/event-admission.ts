import { Injectable } from '@nestjs/common';
import { ErrorCode } from '../../common/errors/error-code';
import type { Ack } from './signaling-events';
import { type RateVerdict, SignalingRateLimiter } from './signaling-rate-limiter';
import { SignalingMetrics } from './signaling.metrics';
import { failure } from './signaling-socket';
import { SocketQueue } from './socket-queue';

// What admission needs of a socket.
export interface AdmittedSocket {
  id: string;
  data: { user: { id: string } };
  disconnect(close: boolean): unknown;
}

// Windows are one second long: the next one starts within a second.
export const RATE_LIMIT_RETRY_AFTER_SECONDS = 1;

// Every incoming event, known or not, counts against the rate limit before any handler runs
// (the socket's `use` middleware). The check usually answers at once and sometimes waits for
// the shared counter (SignalingRateLimiter), so one socket's events pass it in turn: a
// candidate must not overtake the offer before it. A limited event is answered
// `RATE_LIMITED` with `retryAfter` (when it has an ack) and dropped; an abusive socket is
// disconnected. When the shared counter is unreachable, events pass: signaling matters more
// than the limit.
@Injectable()
export class EventAdmission {
  // Per socket, its events waiting for the rate limit's verdict.
  private readonly waiting = new SocketQueue<AdmittedSocket>();

  constructor(
    private readonly limiter: SignalingRateLimiter,
    private readonly metrics: SignalingMetrics,
  ) {}

  admit(socket: AdmittedSocket, packet: unknown[], next: () => void): void {
    const ack: unknown = packet.at(-1);
    const decide = (verdict: RateVerdict): void => {
      if (verdict === 'ok') return next();
      this.metrics.rateLimited.inc();
      if (typeof ack === 'function')
        (ack as (a: Ack<never>) => void)(
          failure(
            ErrorCode.RateLimited,
            'Too many events; slow down.',
            RATE_LIMIT_RETRY_AFTER_SECONDS,
          ),
        );
      if (verdict === 'abusive') socket.disconnect(true);
    };
    const settle = (verdict: Promise<RateVerdict>): Promise<void> =>
      verdict
        .then(decide, () => next())
        // The queue must never stall on one event's failure.
        .catch(() => undefined);
    // Nothing of this socket waiting for a verdict: most events are answered at once.
    if (!this.waiting.busy(socket)) {
      const verdict = this.check(socket);
      if (typeof verdict === 'string') return decide(verdict);
      void this.waiting.run(socket, () => settle(verdict));
      return;
    }
    void this.waiting.run(socket, () => settle(Promise.resolve(this.check(socket))));
  }

  // The socket is gone: its counters go too.
  forget(socketId: string): void {
    this.limiter.forget(socketId);
  }

  private check(socket: AdmittedSocket): RateVerdict | Promise<RateVerdict> {
    try {
      return this.limiter.check(socket.id, socket.data.user.id);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }
}
