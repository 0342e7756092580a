import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { AuthUser } from '../../../common/auth/auth-user';
import { CurrentUser } from '../../../common/auth/auth-user';
import { Authenticated } from '../../../common/auth/authenticated.decorator';
import { Role } from '../../../common/auth/role';
import { ClientMeta, type RequestMeta } from '../../../common/http/request-meta';
import { ConsentsService } from './consents.service';
import {
  ConsentEnvelope,
  ConsentTextListResponse,
  ConsentTextResponse,
  GrantConsentRequest,
  ListConsentTextsQuery,
  MyConsentsResponse,
  PublishConsentTextRequest,
  PurposeParam,
} from './dto/consent.dto';

// KVKK consent (docs/compliance.md). Every signed-in person manages their own
// consents; only patients are gated by them. Admins publish new versions of the texts.
@ApiTags('consents')
@Controller('consents')
export class ConsentsController {
  constructor(private readonly consents: ConsentsService) {}

  @Get('me')
  @Authenticated()
  @ApiOkResponse({ type: MyConsentsResponse })
  mine(@CurrentUser() user: AuthUser): Promise<MyConsentsResponse> {
    return this.consents.mine(user);
  }

  @Post()
  @Authenticated()
  @ApiCreatedResponse({
    type: ConsentEnvelope,
    description: 'Stores version, time, IP, user agent.',
  })
  @ApiConflictResponse({ description: 'The version is not the current one of the purpose.' })
  async grant(
    @CurrentUser() user: AuthUser,
    @Body() body: GrantConsentRequest,
    @ClientMeta() meta: RequestMeta,
  ): Promise<ConsentEnvelope> {
    return { consent: await this.consents.grant(user, body, meta) };
  }

  @Delete(':purpose')
  @HttpCode(204)
  @Authenticated()
  @ApiNoContentResponse({
    description:
      'Withdrawn. Withdrawing `telemedicine` takes a patient out of every room and call at once.',
  })
  @ApiNotFoundResponse({ description: 'No consent in force for this purpose.' })
  async withdraw(
    @CurrentUser() user: AuthUser,
    @Param() params: PurposeParam,
    @ClientMeta() meta: RequestMeta,
  ): Promise<void> {
    await this.consents.withdraw(user, params.purpose, meta);
  }

  @Get('texts')
  @Authenticated()
  @ApiOkResponse({
    type: ConsentTextListResponse,
    description: 'Current texts, or all with all=true.',
  })
  texts(@Query() query: ListConsentTextsQuery): Promise<ConsentTextListResponse> {
    return this.consents.texts(query);
  }

  @Post('texts')
  @Authenticated({ roles: [Role.Admin] })
  @ApiCreatedResponse({ type: ConsentTextResponse, description: 'The next version, now current.' })
  publish(
    @CurrentUser() user: AuthUser,
    @Body() body: PublishConsentTextRequest,
    @ClientMeta() meta: RequestMeta,
  ): Promise<ConsentTextResponse> {
    return this.consents.publish(user, body, meta);
  }
}
