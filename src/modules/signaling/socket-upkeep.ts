import { Injectable, Logger } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { isDependencyFailure } from '../../common/errors/dependency-failure';
import { LifecycleState } from '../../infra/health/lifecycle.state';
import { IceService } from '../ice/ice.service';
import { iceRefreshDue } from './ice-refresh';
import { describe, SignalingServer, type SignalingSocket } from './signaling-socket';
import { AccessTokenPort } from './socket-auth.port';

// How often this instance's sockets are looked after, and how often each socket's session is
// re-checked.
const TICK_MS = 500;
const REVOCATION_CHECK_MS = 2000;

// The upkeep of this instance's own sockets: a socket whose token expired is told and cut, the
// standing of each socket's user is checked again every 2 s (at once after a revocation or
// role change announced by any instance), a socket in a room gets fresh TURN credentials
// before the old expire, and once this instance drains its clients are told to reconnect
// elsewhere. Domain deadlines (reconnect grace, rings, dead instances) are swept by the
// sessions and calls modules, not here.
@Injectable()
export class SocketUpkeep {
  private readonly logger = new Logger('Signaling');
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private drainingAnnounced = false;
  private principalChanges: Subscription | undefined;

  constructor(
    private readonly server: SignalingServer,
    private readonly tokens: AccessTokenPort,
    private readonly ice: IceService,
    private readonly lifecycle: LifecycleState,
  ) {}

  start(): void {
    // A session revoked, a user deactivated or a role changed (here or on another instance):
    // their sockets here are checked again on the next tick, not after their turn.
    this.principalChanges = this.tokens.changes.subscribe((change) => {
      const sessions = new Set(change.sessionIds);
      const users = new Set(change.userIds);
      for (const socket of this.server.io.sockets.values()) {
        const { user } = socket.data;
        if (sessions.has(user.sessionId) || users.has(user.id)) socket.data.revocationCheckedAt = 0;
      }
    });
    this.timer = setInterval(() => void this.tick(), TICK_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.principalChanges?.unsubscribe();
  }

  private async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      await this.checkLocalSockets();
      if (this.lifecycle.draining && !this.drainingAnnounced) {
        this.drainingAnnounced = true;
        this.server.io.local.emit('server:draining', { reconnect: true });
      }
    } catch (err) {
      this.logger.error({ err: describe(err) }, 'signaling housekeeping failed');
    } finally {
      this.ticking = false;
    }
  }

  private async checkLocalSockets(): Promise<void> {
    const now = Date.now();
    const due: SignalingSocket[] = [];
    const sockets = this.server.io.sockets;
    for (const socket of sockets.values()) {
      if (now >= socket.data.expiresAt) {
        socket.emit('auth:expired', {});
        socket.disconnect(true);
        continue;
      }
      if (now - (socket.data.revocationCheckedAt ?? 0) >= REVOCATION_CHECK_MS) due.push(socket);
    }
    if (due.length > 0) await this.recheck(due, now);
    for (const socket of sockets.values()) {
      const data = socket.data;
      // While a socket is in a room, hand it fresh TURN credentials before the old expire.
      const inRoom = [...socket.rooms].some((r) => r.startsWith('room:'));
      if (inRoom && iceRefreshDue(now, data.iceExpiresAt, this.ice.ttlSeconds)) {
        const ice = this.ice.forUser(data.user.id);
        if (data.iceExpiresAt !== undefined)
          socket.emit('ice:servers', { iceServers: ice.iceServers, expiresAt: ice.expiresAt });
        data.iceExpiresAt = Date.parse(ice.expiresAt);
      }
    }
  }

  // The standing of the users behind these sockets, read in one go where it is not known:
  // a revoked session or a deactivated user is cut, a changed role is taken up. A socket
  // already authenticated rides out an outage of the database (checked again next tick, so a
  // change made before or during the outage cuts it as soon as the record answers).
  private async recheck(sockets: SignalingSocket[], now: number): Promise<void> {
    try {
      await this.tokens.confirm(sockets.map((s) => s.data.user));
    } catch (err) {
      if (!isDependencyFailure(err))
        this.logger.error({ err: describe(err) }, 'could not check the standing of live sockets');
      return;
    }
    for (const socket of sockets) {
      const role = this.tokens.peekRole(socket.data.user);
      if (role === undefined) continue;
      socket.data.revocationCheckedAt = now;
      if (role === null) socket.disconnect(true);
      else if (role !== socket.data.user.role) socket.data.user = { ...socket.data.user, role };
    }
  }
}
