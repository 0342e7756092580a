import { Injectable, Logger } from '@nestjs/common';
import type { AuthUser } from '../../common/auth/auth-user';
import { isDependencyFailure } from '../../common/errors/dependency-failure';
import { AppConfig } from '../../config/app-config';
import { AuditAction, AuditOutcome } from '../audit/audit-action';
import { AnonymousRefusalBudget } from '../audit/anonymous-refusals';
import { AuditService } from '../audit/audit.service';
import { InstanceLiveness } from '../sessions/instance-liveness.service';
import { SignalingMetrics } from './signaling.metrics';
import { describe, type SignalingSocket } from './signaling-socket';
import { AccessTokenPort } from './socket-auth.port';
import { SocketSlots } from './socket-slots';

export class HandshakeRefused extends Error {
  constructor(
    readonly reason: string,
    message: 'UNAUTHORIZED' | 'FORBIDDEN' | 'UNAVAILABLE' | 'RATE_LIMITED',
    // Who was refused, when the token was valid (a refusal for too many sockets).
    readonly user: AuthUser | null = null,
  ) {
    super(message);
  }
}

// The handshake of docs/signaling.md ("Connecting"): Nest guards do not run on connection, so
// this (the namespace's `use` middleware) is the authentication. A refusal is counted,
// audited and thrown; the client sees its message as `connect_error`.
@Injectable()
export class SocketHandshake {
  private readonly logger = new Logger('Signaling');

  constructor(
    private readonly config: AppConfig,
    private readonly tokens: AccessTokenPort,
    private readonly slots: SocketSlots,
    private readonly liveness: InstanceLiveness,
    private readonly audit: AuditService,
    private readonly anonymousRefusals: AnonymousRefusalBudget,
    private readonly metrics: SignalingMetrics,
  ) {}

  async authenticate(socket: SignalingSocket): Promise<void> {
    try {
      const origin = socket.handshake.headers.origin;
      if (origin !== undefined && !this.originAllowed(origin, socket.handshake.headers.host))
        throw new HandshakeRefused('origin', 'FORBIDDEN');
      // Query strings end up in proxy and access logs: a token there is refused outright.
      const query = socket.handshake.query;
      if (['token', 'access_token', 'accessToken', 'auth'].some((k) => k in query))
        throw new HandshakeRefused('token_in_query', 'UNAUTHORIZED');
      const auth = socket.handshake.auth as Record<string, unknown> | undefined;
      const token = auth?.token;
      if (typeof token !== 'string' || token.length === 0 || token.length > 4096)
        throw new HandshakeRefused('missing_token', 'UNAUTHORIZED');
      let principal;
      try {
        principal = await this.tokens.verify(token);
      } catch (err) {
        // The token could not be checked (revocation list or user store unreachable): refused
        // all the same, but as UNAVAILABLE so that the client retries instead of signing out.
        if (isDependencyFailure(err)) throw new HandshakeRefused('unavailable', 'UNAVAILABLE');
        throw new HandshakeRefused('invalid_token', 'UNAUTHORIZED');
      }
      const user = { id: principal.id, role: principal.role, sessionId: principal.sessionId };
      // SIGNALING_MAX_SOCKETS_PER_USER across every instance; refused, the client is told to
      // close a device first (RATE_LIMITED), not to sign in again.
      const slot = await this.slots.claim(user.id, socket.id).catch((err: unknown) => {
        // Without the shared store the cap cannot be counted: fail open, as the event
        // limits do, rather than keep everyone out during a Redis outage.
        if (isDependencyFailure(err)) return true;
        throw err;
      });
      if (!slot) throw new HandshakeRefused('too_many_sockets', 'RATE_LIMITED', user);
      socket.data.user = user;
      socket.data.instanceId = this.liveness.instanceId;
      socket.data.expiresAt = principal.expiresAt.getTime();
      socket.data.revocationCheckedAt = Date.now();
      // Verified: the bearer token is not kept for the socket's life (its session is
      // re-checked by id), neither here nor in the handshake Socket.IO keeps.
      socket.handshake.auth = {};
    } catch (err) {
      const refused =
        err instanceof HandshakeRefused ? err : new HandshakeRefused('error', 'UNAUTHORIZED');
      await this.refuse(socket, refused);
      throw refused;
    }
  }

  private async refuse(socket: SignalingSocket, refused: HandshakeRefused): Promise<void> {
    this.metrics.handshakeRefused.inc({ reason: refused.reason });
    const ip = socket.handshake.address;
    const write = (): Promise<unknown> =>
      this.audit.record({
        action: AuditAction.SignalingHandshake,
        outcome: AuditOutcome.Denied,
        actor: {
          userId: refused.user?.id ?? null,
          role: refused.user?.role ?? null,
          ip,
          userAgent: socket.handshake.headers['user-agent'] ?? null,
        },
        details: { reason: refused.reason },
      });
    // Refusals without an identity share the per-address budget of REST 401s.
    await (refused.user ? write() : this.anonymousRefusals.record(ip, write)).catch(
      (auditErr: unknown) => {
        this.logger.error({ err: describe(auditErr) }, 'could not audit a refused handshake');
      },
    );
  }

  // Cross-site WebSocket hijacking: a browser page may only connect from an allowed origin
  // (or from Hekim's own origin, e.g. the demo page).
  private originAllowed(origin: string, host: string | undefined): boolean {
    if (this.config.http.corsOrigins.includes(origin)) return true;
    try {
      return host !== undefined && new URL(origin).host === host;
    } catch {
      return false;
    }
  }
}
