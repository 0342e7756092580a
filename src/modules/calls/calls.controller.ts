import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags, ApiOperation } from '@nestjs/swagger';
import { ApiProblem } from '../../common/errors/problem.response';
import { withLegacyEnvelope } from '../../common/http/legacy-envelope';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser } from '../../common/auth/auth-user';
import { Authenticated } from '../../common/auth/authenticated.decorator';
import { type CallAction, CallsService } from './calls.service';
import { CallAnswer, CallListResponse, InitiateCallRequest, ListCallsQuery } from './dto/call.dto';
import { IdPipe } from '../../common/validation/ids';

// Ids of any UUID version, canonicalized (docs/access-model.md, "Input").
const anyId = new IdPipe('all');

const NOT_FOUND = 'No such call, or the caller is not one of its participants.';
const CONFLICT = 'The call’s state does not allow this (e.g. already answered or ended).';

@ApiTags('calls')
@Controller('calls')
export class CallsController {
  constructor(private readonly calls: CallsService) {}

  @Post()
  @Authenticated()
  @ApiOperation({
    operationId: 'startCall',
    summary: 'Start a direct call; the callees are rung over signaling',
  })
  @ApiCreatedResponse({ type: CallAnswer, description: 'The callees are rung over signaling.' })
  @ApiProblem(400, 'Invalid or unknown fields (VALIDATION_FAILED).')
  @ApiProblem(
    403,
    'Nobody is rung: the callees are not all staff with a staff caller, or not a doctor and a patient in an active care relationship, or a callee is unknown or deactivated (FORBIDDEN).',
  )
  @ApiProblem(429, 'Too many calls started by this user.')
  async initiate(
    @CurrentUser() user: AuthUser,
    @Body() body: InitiateCallRequest,
  ): Promise<CallAnswer> {
    return withLegacyEnvelope('call', await this.calls.initiate(user, body));
  }

  @Get()
  @Authenticated()
  @ApiOperation({ operationId: 'listCalls', summary: 'The caller’s call history, newest first' })
  @ApiOkResponse({ type: CallListResponse, description: 'The caller’s calls, newest first.' })
  @ApiProblem(400, 'Invalid query (VALIDATION_FAILED).')
  list(@CurrentUser() user: AuthUser, @Query() query: ListCallsQuery): Promise<CallListResponse> {
    return this.calls.list(user, query);
  }

  @Get(':id')
  @Authenticated()
  @ApiOperation({ operationId: 'getCall', summary: 'One call the caller takes part in' })
  @ApiOkResponse({ type: CallAnswer })
  @ApiProblem(400, 'The id is not a UUID (VALIDATION_FAILED).')
  @ApiProblem(404, NOT_FOUND)
  async get(@CurrentUser() user: AuthUser, @Param('id', anyId) id: string): Promise<CallAnswer> {
    return withLegacyEnvelope('call', await this.calls.get(user, id));
  }

  @Post(':id/accept')
  @HttpCode(200)
  @Authenticated()
  @ApiOperation({ operationId: 'acceptCall', summary: 'Answer a ringing call (a callee)' })
  @ApiOkResponse({ type: CallAnswer })
  @ApiProblem(400, 'The id is not a UUID (VALIDATION_FAILED).')
  @ApiProblem(404, NOT_FOUND)
  @ApiProblem(409, CONFLICT)
  accept(@CurrentUser() user: AuthUser, @Param('id', anyId) id: string): Promise<CallAnswer> {
    return this.act(user, id, 'accept');
  }

  @Post(':id/reject')
  @HttpCode(200)
  @Authenticated()
  @ApiOperation({ operationId: 'rejectCall', summary: 'Refuse a ringing call (a callee)' })
  @ApiOkResponse({ type: CallAnswer })
  @ApiProblem(400, 'The id is not a UUID (VALIDATION_FAILED).')
  @ApiProblem(404, NOT_FOUND)
  @ApiProblem(409, CONFLICT)
  reject(@CurrentUser() user: AuthUser, @Param('id', anyId) id: string): Promise<CallAnswer> {
    return this.act(user, id, 'reject');
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @Authenticated()
  @ApiOperation({
    operationId: 'cancelCall',
    summary: 'Stop ringing before anyone answers (the caller)',
  })
  @ApiOkResponse({ type: CallAnswer })
  @ApiProblem(400, 'The id is not a UUID (VALIDATION_FAILED).')
  @ApiProblem(404, NOT_FOUND)
  @ApiProblem(409, CONFLICT)
  cancel(@CurrentUser() user: AuthUser, @Param('id', anyId) id: string): Promise<CallAnswer> {
    return this.act(user, id, 'cancel');
  }

  @Post(':id/end')
  @HttpCode(200)
  @Authenticated()
  @ApiOperation({ operationId: 'endCall', summary: 'Hang up a call' })
  @ApiOkResponse({ type: CallAnswer })
  @ApiProblem(400, 'The id is not a UUID (VALIDATION_FAILED).')
  @ApiProblem(404, NOT_FOUND)
  @ApiProblem(409, CONFLICT)
  end(@CurrentUser() user: AuthUser, @Param('id', anyId) id: string): Promise<CallAnswer> {
    return this.act(user, id, 'end');
  }

  private async act(user: AuthUser, id: string, action: CallAction): Promise<CallAnswer> {
    return withLegacyEnvelope('call', await this.calls.act(user, id, action));
  }
}
