import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser } from '../../common/auth/auth-user';
import { Authenticated } from '../../common/auth/authenticated.decorator';
import { type CallAction, CallsService } from './calls.service';
import {
  CallEnvelope,
  CallListResponse,
  InitiateCallRequest,
  ListCallsQuery,
} from './dto/call.dto';
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
  @ApiCreatedResponse({ type: CallEnvelope, description: 'The callees are rung over signaling.' })
  @ApiForbiddenResponse({
    description:
      'Nobody is rung: the callees are not all staff with a staff caller, or not a doctor and a patient in an active care relationship, or a callee is unknown or deactivated (FORBIDDEN).',
  })
  @ApiTooManyRequestsResponse({ description: 'Too many calls started by this user.' })
  async initiate(
    @CurrentUser() user: AuthUser,
    @Body() body: InitiateCallRequest,
  ): Promise<CallEnvelope> {
    return { call: await this.calls.initiate(user, body) };
  }

  @Get()
  @Authenticated()
  @ApiOkResponse({ type: CallListResponse, description: 'The caller’s calls, newest first.' })
  list(@CurrentUser() user: AuthUser, @Query() query: ListCallsQuery): Promise<CallListResponse> {
    return this.calls.list(user, query);
  }

  @Get(':id')
  @Authenticated()
  @ApiOkResponse({ type: CallEnvelope })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  async get(@CurrentUser() user: AuthUser, @Param('id', anyId) id: string): Promise<CallEnvelope> {
    return { call: await this.calls.get(user, id) };
  }

  @Post(':id/accept')
  @HttpCode(200)
  @Authenticated()
  @ApiOkResponse({ type: CallEnvelope })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  @ApiConflictResponse({ description: CONFLICT })
  accept(@CurrentUser() user: AuthUser, @Param('id', anyId) id: string): Promise<CallEnvelope> {
    return this.act(user, id, 'accept');
  }

  @Post(':id/reject')
  @HttpCode(200)
  @Authenticated()
  @ApiOkResponse({ type: CallEnvelope })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  @ApiConflictResponse({ description: CONFLICT })
  reject(@CurrentUser() user: AuthUser, @Param('id', anyId) id: string): Promise<CallEnvelope> {
    return this.act(user, id, 'reject');
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @Authenticated()
  @ApiOkResponse({ type: CallEnvelope })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  @ApiConflictResponse({ description: CONFLICT })
  cancel(@CurrentUser() user: AuthUser, @Param('id', anyId) id: string): Promise<CallEnvelope> {
    return this.act(user, id, 'cancel');
  }

  @Post(':id/end')
  @HttpCode(200)
  @Authenticated()
  @ApiOkResponse({ type: CallEnvelope })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  @ApiConflictResponse({ description: CONFLICT })
  end(@CurrentUser() user: AuthUser, @Param('id', anyId) id: string): Promise<CallEnvelope> {
    return this.act(user, id, 'end');
  }

  private async act(user: AuthUser, id: string, action: CallAction): Promise<CallEnvelope> {
    return { call: await this.calls.act(user, id, action) };
  }
}
