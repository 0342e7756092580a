import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../../../common/auth/auth-user';
import { CurrentUser } from '../../../common/auth/auth-user';
import { Authenticated } from '../../../common/auth/authenticated.decorator';
import { Role } from '../../../common/auth/role';
import { QueueResponse } from './dto/queue.dto';
import { QueueService } from './queue.service';

@ApiTags('appointments')
@Controller('clinicians')
export class QueueController {
  constructor(private readonly queue: QueueService) {}

  @Get('me/queue')
  @Authenticated({ roles: [Role.Doctor] })
  @ApiOperation({
    operationId: 'getMyQueue',
    summary:
      'The caller’s waiting queue: checked-in patients in order, with their waits and estimates',
  })
  @ApiOkResponse({ type: QueueResponse })
  mine(@CurrentUser() user: AuthUser): Promise<QueueResponse> {
    return this.queue.of(user.id);
  }
}
