import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser } from '../../common/auth/auth-user';
import { Authenticated } from '../../common/auth/authenticated.decorator';
import { IceServersResponse } from './dto/ice-servers.response';
import { IceService } from './ice.service';

@ApiTags('ice')
@Controller('ice-servers')
export class IceController {
  constructor(private readonly ice: IceService) {}

  @Get()
  @Authenticated()
  @ApiOkResponse({ type: IceServersResponse })
  get(@CurrentUser() user: AuthUser): IceServersResponse {
    return this.ice.forUser(user.id);
  }
}
