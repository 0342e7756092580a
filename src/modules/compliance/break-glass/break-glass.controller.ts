import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../../../common/auth/auth-user';
import { CurrentUser } from '../../../common/auth/auth-user';
import { Authenticated } from '../../../common/auth/authenticated.decorator';
import { Role } from '../../../common/auth/role';
import { ApiProblem } from '../../../common/errors/problem.response';
import { ClientMeta, type RequestMeta } from '../../../common/http/request-meta';
import { BreakGlassService } from './break-glass.service';
import {
  BreakGlassListResponse,
  BreakGlassResponse,
  ListBreakGlassQuery,
  StartBreakGlassRequest,
} from './dto/break-glass.dto';
import { IdPipe } from '../../../common/validation/ids';

@ApiTags('break-glass')
@Controller('break-glass')
export class BreakGlassController {
  constructor(private readonly breakGlass: BreakGlassService) {}

  @Post()
  @Authenticated({ roles: [Role.Doctor] })
  @ApiOperation({
    operationId: 'startBreakGlass',
    summary:
      'Open time-limited emergency access to a patient’s record outside a shared room, for a written reason (doctor); audited',
  })
  @ApiCreatedResponse({ type: BreakGlassResponse })
  @ApiProblem(400, 'Missing or too short reason, or a duration above BREAK_GLASS_MAX_MINUTES.')
  @ApiProblem(404, 'No such active patient (NOT_FOUND).')
  @ApiProblem(409, 'The caller already holds an active grant for this patient (CONFLICT).')
  start(
    @CurrentUser() user: AuthUser,
    @Body() body: StartBreakGlassRequest,
    @ClientMeta() meta: RequestMeta,
  ): Promise<BreakGlassResponse> {
    return this.breakGlass.start(user, body, meta);
  }

  @Get()
  @Authenticated({ roles: [Role.ComplianceOfficer, Role.Admin, Role.Doctor] })
  @ApiOperation({
    operationId: 'listBreakGlassGrants',
    summary: 'Break-glass grants (compliance officers and admins: all; doctors: their own)',
  })
  @ApiOkResponse({ type: BreakGlassListResponse })
  @ApiProblem(400, 'Invalid query (VALIDATION_FAILED).')
  list(
    @CurrentUser() user: AuthUser,
    @Query() query: ListBreakGlassQuery,
  ): Promise<BreakGlassListResponse> {
    return this.breakGlass.list(user, query);
  }

  @Post(':id/end')
  @HttpCode(200)
  @Authenticated({ roles: [Role.Doctor, Role.ComplianceOfficer, Role.Admin] })
  @ApiOperation({
    operationId: 'endBreakGlass',
    summary: 'End a grant before it expires (its doctor; compliance officers and admins: any)',
  })
  @ApiOkResponse({ type: BreakGlassResponse })
  @ApiProblem(400, 'The id is not a UUID (VALIDATION_FAILED).')
  @ApiProblem(404, 'No such grant, or not the caller’s (NOT_FOUND).')
  @ApiProblem(409, 'The grant has already ended or expired (CONFLICT).')
  end(
    @CurrentUser() user: AuthUser,
    @Param('id', new IdPipe('4')) id: string,
    @ClientMeta() meta: RequestMeta,
  ): Promise<BreakGlassResponse> {
    return this.breakGlass.end(user, id, meta);
  }
}
