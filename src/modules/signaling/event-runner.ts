import { Injectable, Logger, type Type } from '@nestjs/common';
import type { AuthUser } from '../../common/auth/auth-user';
import { AppException } from '../../common/errors/app.exception';
import { isDependencyFailure } from '../../common/errors/dependency-failure';
import { ErrorCode } from '../../common/errors/error-code';
import { createValidationPipe } from '../../common/errors/validation';
import { validateEventPayload } from './event-payload';
import type { Ack } from './signaling-events';
import { describe, failure, type SignalingSocket } from './signaling-socket';
import { AccessTokenPort } from './socket-auth.port';

// How every admitted client event is handled: the user behind the socket as they stand now,
// the payload validated like a REST body, then the work; its result or failure becomes the
// acknowledgement (docs/signaling.md, "Requests and acknowledgements").
@Injectable()
export class EventRunner {
  private readonly logger = new Logger('Signaling');
  private readonly pipe = createValidationPipe();

  constructor(private readonly tokens: AccessTokenPort) {}

  async run<D extends object, R>(
    socket: SignalingSocket,
    dto: Type<D>,
    body: unknown,
    work: (payload: D, user: AuthUser) => Promise<R> | R,
  ): Promise<Ack<R>> {
    try {
      const user = await this.actingUser(socket);
      const payload = await validateEventPayload(this.pipe, dto, body);
      return { ok: true, data: await work(payload, user) };
    } catch (err) {
      if (err instanceof AppException) {
        const reason = err.extensions.reason;
        return failure(
          err.code,
          err.detail,
          retryAfterOf(err),
          typeof reason === 'string' ? reason : undefined,
        );
      }
      // PostgreSQL or Redis unreachable, or the pool exhausted: the REST 503's twin, so that
      // the client retries (nothing was committed: the work is one transaction).
      if (isDependencyFailure(err)) {
        this.logger.warn(
          { err: describe(err), socketId: socket.id },
          'signaling handler unavailable',
        );
        return failure(
          ErrorCode.Unavailable,
          'A backing service is temporarily unavailable; retry shortly.',
        );
      }
      this.logger.error({ err: describe(err), socketId: socket.id }, 'signaling handler failed');
      return failure(ErrorCode.Internal, 'Something went wrong.');
    }
  }

  // The user behind the socket as they stand now: every event is judged with their current
  // role (not the one their token was issued with), and a socket whose session was revoked or
  // whose user was deactivated is answered UNAUTHORIZED and closed.
  private async actingUser(socket: SignalingSocket): Promise<AuthUser> {
    const user = socket.data.user;
    const known = this.tokens.peekRole(user);
    const role = known === undefined ? await this.tokens.currentRole(user) : known;
    if (role === null) {
      // After the answer has gone out.
      setImmediate(() => socket.disconnect(true));
      throw AppException.unauthorized('The session of this socket has ended.');
    }
    if (role !== user.role) socket.data.user = { ...user, role };
    return socket.data.user;
  }
}

// A RATE_LIMITED ack says when to try again, in seconds, as REST's Retry-After does (e.g. the
// calls started per minute of `call:initiate`).
export function retryAfterOf(err: AppException): number | undefined {
  if (err.code !== ErrorCode.RateLimited) return undefined;
  const fromExtension = err.extensions.retryAfter;
  if (typeof fromExtension === 'number') return fromExtension;
  const fromHeader = Number(err.headers['Retry-After']);
  return Number.isFinite(fromHeader) && fromHeader > 0 ? fromHeader : undefined;
}
