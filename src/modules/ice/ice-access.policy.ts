import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../../common/auth/auth-user';
import { AppException } from '../../common/errors/app.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { AppConfig } from '../../config/app-config';
import { KeyValueStore } from '../../infra/redis/key-value.store';
import { RoomsService } from '../rooms/rooms.service';
import { isStaff } from '../users/user-access.policy';

const WINDOW_SECONDS = 60;

// Who may have TURN credentials over REST (docs/access-model.md): the operator's coturn relays
// media for consultations, not for anyone with an account. Staff, and people who are active
// members of an open room (a call's own room included: ringing or in a call); a valid
// appointment invitation will be another reason. At most ICE_SERVERS_RATE_PER_MINUTE a minute
// per user. (Joining a room or a call hands out credentials of its own over signaling.)
@Injectable()
export class IceAccessPolicy {
  constructor(
    private readonly rooms: RoomsService,
    private readonly store: KeyValueStore,
    private readonly config: AppConfig,
  ) {}

  async assertMayHaveCredentials(user: AuthUser): Promise<void> {
    const key = `ice:requests:${user.id}`;
    const count = await this.store.increment(key, WINDOW_SECONDS);
    if (count > this.config.ice.ratePerMinute) {
      const retryAfter = Math.max(1, await this.store.ttl(key));
      throw new AppException(
        ErrorCode.RateLimited,
        `Too many requests for TURN credentials. Retry in ${retryAfter} seconds.`,
        { headers: { 'Retry-After': String(retryAfter) }, extensions: { retryAfter } },
      );
    }
    if (isStaff(user.role) || (await this.rooms.hasOpenActiveMembership(user.id))) return;
    throw AppException.forbidden(
      'TURN credentials are for staff and for members of an open consultation or call.',
    );
  }
}
