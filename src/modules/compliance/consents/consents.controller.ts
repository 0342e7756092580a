import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
  ApiOperation,
} from '@nestjs/swagger';
import { ApiProblem } from '../../../common/errors/problem.response';
import type { AuthUser } from '../../../common/auth/auth-user';
import { CurrentUser } from '../../../common/auth/auth-user';
import { Authenticated } from '../../../common/auth/authenticated.decorator';
import { ALL_ROLES, Role } from '../../../common/auth/role';
import { ClientMeta, type RequestMeta } from '../../../common/http/request-meta';
import { withLegacyEnvelope } from '../../../common/http/legacy-envelope';
import { ConsentsService } from './consents.service';
import {
  ConsentAnswer,
  ConsentTextListResponse,
  ConsentTextResponse,
  GrantConsentRequest,
  ListConsentTextsQuery,
  MyConsentsResponse,
  PublishConsentTextRequest,
  PurposeParam,
} from './dto/consent.dto';

// KVKK consent (docs/compliance.md). Every signed-in person manages their own
// consents, guests holding an invitation's grant too (ALL_ROLES names them); only patients and
// guests are gated by them. Admins publish new versions of the texts.
@ApiTags('consents')
@Controller('consents')
export class ConsentsController {
  constructor(private readonly consents: ConsentsService) {}

  @Get('me')
  @Authenticated({ roles: ALL_ROLES })
  @ApiOperation({
    operationId: 'getMyConsents',
    summary: 'The caller’s consents, and the current texts they have not granted yet',
  })
  @ApiOkResponse({ type: MyConsentsResponse })
  mine(@CurrentUser() user: AuthUser): Promise<MyConsentsResponse> {
    return this.consents.mine(user);
  }

  @Post()
  @Authenticated({ roles: ALL_ROLES })
  @ApiOperation({
    operationId: 'grantConsent',
    summary: 'Grant consent to the current version of a purpose’s text',
  })
  @ApiCreatedResponse({
    type: ConsentAnswer,
    description: 'Stores version, time, IP, user agent.',
  })
  @ApiProblem(400, 'Invalid or unknown fields (VALIDATION_FAILED).')
  @ApiProblem(409, 'The version is not the current one of the purpose.')
  async grant(
    @CurrentUser() user: AuthUser,
    @Body() body: GrantConsentRequest,
    @ClientMeta() meta: RequestMeta,
  ): Promise<ConsentAnswer> {
    return withLegacyEnvelope('consent', await this.consents.grant(user, body, meta));
  }

  @Delete(':purpose')
  @HttpCode(204)
  @Authenticated({ roles: ALL_ROLES })
  @ApiOperation({
    operationId: 'withdrawConsent',
    summary: 'Withdraw the consent in force for a purpose',
  })
  @ApiNoContentResponse({
    description:
      'Withdrawn. Withdrawing `telemedicine` takes a patient out of every room and call at once.',
  })
  @ApiProblem(400, 'Not a consent purpose (VALIDATION_FAILED).')
  @ApiProblem(404, 'No consent in force for this purpose.')
  async withdraw(
    @CurrentUser() user: AuthUser,
    @Param() params: PurposeParam,
    @ClientMeta() meta: RequestMeta,
  ): Promise<void> {
    await this.consents.withdraw(user, params.purpose, meta);
  }

  @Get('texts')
  @Authenticated({ roles: ALL_ROLES })
  @ApiOperation({
    operationId: 'listConsentTexts',
    summary: 'Consent texts: the current ones, or every version with all=true',
  })
  @ApiOkResponse({
    type: ConsentTextListResponse,
    description: 'Current texts, or all with all=true.',
  })
  @ApiProblem(400, 'Invalid query (VALIDATION_FAILED).')
  texts(@Query() query: ListConsentTextsQuery): Promise<ConsentTextListResponse> {
    return this.consents.texts(query);
  }

  @Post('texts')
  @Authenticated({ roles: [Role.Admin] })
  @ApiOperation({
    operationId: 'publishConsentText',
    summary: 'Publish the next version of a purpose’s text (admin)',
  })
  @ApiCreatedResponse({ type: ConsentTextResponse, description: 'The next version, now current.' })
  @ApiProblem(400, 'Invalid or unknown fields (VALIDATION_FAILED).')
  publish(
    @CurrentUser() user: AuthUser,
    @Body() body: PublishConsentTextRequest,
    @ClientMeta() meta: RequestMeta,
  ): Promise<ConsentTextResponse> {
    return this.consents.publish(user, body, meta);
  }
}
