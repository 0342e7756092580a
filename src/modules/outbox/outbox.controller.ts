import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, type AuthUser } from '../../common/auth/auth-user';
import { Authenticated } from '../../common/auth/authenticated.decorator';
import { Role } from '../../common/auth/role';
import { ApiProblem } from '../../common/errors/problem.response';
import { ClientMeta, type RequestMeta } from '../../common/http/request-meta';
import { IdPipe } from '../../common/validation/ids';
import { ListOutboxQuery, OutboxListResponse, OutboxMessageEnvelope } from './dto/outbox.dto';
import { OutboxService } from './outbox.service';

@ApiTags('admin: outbox')
@Controller('admin/outbox')
export class OutboxController {
  constructor(private readonly outbox: OutboxService) {}

  @Get()
  @Authenticated({ roles: [Role.Admin] })
  @ApiOperation({
    operationId: 'listOutboxMessages',
    summary:
      'Outbox messages, newest first (`?status=dead` for the dead letters); never their payloads (docs/notifications.md)',
  })
  @ApiOkResponse({ type: OutboxListResponse })
  @ApiProblem(400, 'Invalid query (VALIDATION_FAILED).')
  list(
    @CurrentUser() user: AuthUser,
    @Query() query: ListOutboxQuery,
    @ClientMeta() meta: RequestMeta,
  ): Promise<OutboxListResponse> {
    return this.outbox.list(user, query, meta);
  }

  @Post(':id/retry')
  @HttpCode(200)
  @Authenticated({ roles: [Role.Admin] })
  @ApiOperation({
    operationId: 'retryOutboxMessage',
    summary: 'Give a dead letter a fresh set of attempts, due at once',
  })
  @ApiOkResponse({ type: OutboxMessageEnvelope })
  @ApiProblem(404, 'No such message (NOT_FOUND).')
  @ApiProblem(409, 'The message is not a dead letter (CONFLICT).')
  retry(
    @CurrentUser() user: AuthUser,
    @Param('id', new IdPipe('4')) id: string,
    @ClientMeta() meta: RequestMeta,
  ): Promise<OutboxMessageEnvelope> {
    return this.outbox.retry(user, id, meta);
  }
}
