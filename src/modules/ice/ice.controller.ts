import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser } from '../../common/auth/auth-user';
import { Authenticated } from '../../common/auth/authenticated.decorator';
import { ALL_ROLES } from '../../common/auth/role';
import { ApiProblem } from '../../common/errors/problem.response';
import { IceServersResponse } from './dto/ice-servers.response';
import { IceAccessPolicy } from './ice-access.policy';
import { IceService } from './ice.service';

@ApiTags('ice')
@Controller('ice-servers')
export class IceController {
  constructor(
    private readonly ice: IceService,
    private readonly policy: IceAccessPolicy,
  ) {}

  @Get()
  // Guests too: a redeemed invitation makes them an active member of one open room.
  @Authenticated({ roles: ALL_ROLES })
  @ApiOperation({
    operationId: 'getIceServers',
    summary:
      'STUN/TURN servers with short-lived TURN credentials of the caller’s own (staff, and active members of an open room or call)',
  })
  @ApiOkResponse({ type: IceServersResponse })
  @ApiProblem(429, 'More than ICE_SERVERS_RATE_PER_MINUTE requests this minute (RATE_LIMITED).')
  async get(@CurrentUser() user: AuthUser): Promise<IceServersResponse> {
    await this.policy.assertMayHaveCredentials(user);
    return this.ice.forUser(user.id);
  }
}
