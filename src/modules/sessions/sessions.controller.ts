import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser } from '../../common/auth/auth-user';
import { Authenticated } from '../../common/auth/authenticated.decorator';
import { Role } from '../../common/auth/role';
import { ListSessionsQuery, SessionListResponse, SessionResponse } from './dto/session.dto';
import { SessionsService } from './sessions.service';
import { IdPipe } from '../../common/validation/ids';

// Ids of any UUID version, canonicalized (docs/access-model.md, "Input").
const anyId = new IdPipe('all');

@ApiTags('sessions')
@Controller('sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Get()
  @Authenticated()
  @ApiOkResponse({ type: SessionListResponse })
  list(
    @CurrentUser() user: AuthUser,
    @Query() query: ListSessionsQuery,
  ): Promise<SessionListResponse> {
    return this.sessions.list(user, query);
  }

  @Get(':id')
  @Authenticated()
  @ApiOkResponse({ type: SessionResponse })
  @ApiNotFoundResponse({ description: 'No such session, or not in one of the caller’s rooms.' })
  get(@CurrentUser() user: AuthUser, @Param('id', anyId) id: string): Promise<SessionResponse> {
    return this.sessions.get(user, id);
  }

  @Post(':id/end')
  @HttpCode(200)
  @Authenticated({ roles: [Role.Doctor, Role.Admin] })
  @ApiOkResponse({ type: SessionResponse, description: 'Host or admin only.' })
  end(@CurrentUser() user: AuthUser, @Param('id', anyId) id: string): Promise<SessionResponse> {
    return this.sessions.end(user, id);
  }
}
