import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags, ApiOperation } from '@nestjs/swagger';
import { ApiProblem } from '../../common/errors/problem.response';
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
  @ApiOperation({
    operationId: 'listSessions',
    summary: 'Consultation sessions of the caller’s rooms, newest first (admins: all)',
  })
  @ApiOkResponse({ type: SessionListResponse })
  @ApiProblem(400, 'Invalid query (VALIDATION_FAILED).')
  list(
    @CurrentUser() user: AuthUser,
    @Query() query: ListSessionsQuery,
  ): Promise<SessionListResponse> {
    return this.sessions.list(user, query);
  }

  @Get(':id')
  @Authenticated()
  @ApiOperation({
    operationId: 'getSession',
    summary: 'One consultation session with each participant’s stays',
  })
  @ApiOkResponse({ type: SessionResponse })
  @ApiProblem(400, 'The id is not a UUID (VALIDATION_FAILED).')
  @ApiProblem(404, 'No such session, or not in one of the caller’s rooms.')
  get(@CurrentUser() user: AuthUser, @Param('id', anyId) id: string): Promise<SessionResponse> {
    return this.sessions.get(user, id);
  }

  @Post(':id/end')
  @HttpCode(200)
  @Authenticated({ roles: [Role.Doctor, Role.Admin] })
  @ApiOperation({
    operationId: 'endSession',
    summary: 'End a consultation session now (host, admin)',
  })
  @ApiOkResponse({ type: SessionResponse, description: 'Host or admin only.' })
  @ApiProblem(400, 'The id is not a UUID (VALIDATION_FAILED).')
  end(@CurrentUser() user: AuthUser, @Param('id', anyId) id: string): Promise<SessionResponse> {
    return this.sessions.end(user, id);
  }
}
