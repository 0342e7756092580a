import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentUser, type AuthUser } from '../../common/auth/auth-user';
import { Authenticated } from '../../common/auth/authenticated.decorator';
import { Role } from '../../common/auth/role';
import { ApiProblem } from '../../common/errors/problem.response';
import { ClientMeta, type RequestMeta } from '../../common/http/request-meta';
import { PageQuery } from '../../common/pagination/page-query.dto';
import { IdPipe } from '../../common/validation/ids';
import {
  CreateWebhookRequest,
  WebhookCreatedResponse,
  WebhookDeliveryEnvelope,
  WebhookDeliveryListResponse,
  WebhookListResponse,
} from './dto/webhook.dto';
import { WebhooksService } from './webhooks.service';

@ApiTags('admin: webhooks')
@Controller('admin/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @Authenticated({ roles: [Role.Admin] })
  @ApiOperation({
    operationId: 'createWebhookEndpoint',
    summary:
      'Register a webhook endpoint; the answer carries its signing secret, shown once (docs/notifications.md)',
  })
  @ApiCreatedResponse({ type: WebhookCreatedResponse })
  @ApiProblem(
    400,
    'Invalid URL or events, or a URL on a loopback, link-local or private address, or http:// in production (VALIDATION_FAILED).',
  )
  create(
    @CurrentUser() user: AuthUser,
    @Body() body: CreateWebhookRequest,
    @ClientMeta() meta: RequestMeta,
  ): Promise<WebhookCreatedResponse> {
    return this.webhooks.create(user, body, meta);
  }

  @Get()
  @Authenticated({ roles: [Role.Admin] })
  @ApiOperation({
    operationId: 'listWebhookEndpoints',
    summary: 'Webhook endpoints, newest first (never their secrets)',
  })
  @ApiOkResponse({ type: WebhookListResponse })
  list(@Query() query: PageQuery): Promise<WebhookListResponse> {
    return this.webhooks.list(query);
  }

  @Delete(':id')
  @HttpCode(204)
  @Authenticated({ roles: [Role.Admin] })
  @ApiOperation({
    operationId: 'deleteWebhookEndpoint',
    summary: 'Delete a webhook endpoint: nothing more is sent to it',
  })
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiProblem(404, 'No such endpoint (NOT_FOUND).')
  remove(
    @CurrentUser() user: AuthUser,
    @Param('id', new IdPipe('4')) id: string,
    @ClientMeta() meta: RequestMeta,
  ): Promise<void> {
    return this.webhooks.remove(user, id, meta);
  }

  @Get(':id/deliveries')
  @Authenticated({ roles: [Role.Admin] })
  @ApiOperation({
    operationId: 'listWebhookDeliveries',
    summary: 'The delivery log of an endpoint, newest first',
  })
  @ApiOkResponse({ type: WebhookDeliveryListResponse })
  @ApiProblem(404, 'No such endpoint (NOT_FOUND).')
  deliveries(
    @Param('id', new IdPipe('4')) id: string,
    @Query() query: PageQuery,
  ): Promise<WebhookDeliveryListResponse> {
    return this.webhooks.deliveries(id, query);
  }

  @Post(':id/deliveries/:deliveryId/replay')
  @HttpCode(202)
  @Authenticated({ roles: [Role.Admin] })
  @ApiOperation({
    operationId: 'replayWebhookDelivery',
    summary: 'Send a delivery again, with the same body and webhook-id',
  })
  @ApiAcceptedResponse({ type: WebhookDeliveryEnvelope })
  @ApiProblem(404, 'No such endpoint or delivery (NOT_FOUND).')
  replay(
    @CurrentUser() user: AuthUser,
    @Param('id', new IdPipe('4')) id: string,
    @Param('deliveryId', new IdPipe('4')) deliveryId: string,
    @ClientMeta() meta: RequestMeta,
  ): Promise<WebhookDeliveryEnvelope> {
    return this.webhooks.replay(user, id, deliveryId, meta);
  }
}
