import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentUser, type AuthUser } from '../../common/auth/auth-user';
import { Authenticated } from '../../common/auth/authenticated.decorator';
import { ApiProblem } from '../../common/errors/problem.response';
import { ClientMeta, type RequestMeta } from '../../common/http/request-meta';
import { PageQuery } from '../../common/pagination/page-query.dto';
import { IdPipe } from '../../common/validation/ids';
import { DevicesService } from './devices.service';
import { DeviceListResponse, DeviceResponse, RegisterDeviceRequest } from './dto/device.dto';

// The signed-in user's own push devices (docs/notifications.md#push).
@ApiTags('devices')
@Controller('devices')
export class DevicesController {
  constructor(private readonly devices: DevicesService) {}

  @Post()
  @Authenticated()
  @ApiOperation({
    operationId: 'registerDevice',
    summary:
      'Register this device for push: a Web Push subscription, an APNs token (VoIP or not) or an FCM token. Registering a known token again answers the same device.',
  })
  @ApiBody({
    type: RegisterDeviceRequest,
    examples: {
      web: {
        summary: 'Web Push',
        value: {
          platform: 'web',
          subscription: {
            endpoint: 'https://fcm.googleapis.com/fcm/send/cJ9T0pYk3bE:APA91bH…',
            keys: {
              p256dh:
                'BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM',
              auth: 'tBHItJI5svbpez7KI4CCXg',
            },
          },
        },
      },
      apnsVoip: {
        summary: 'APNs PushKit (VoIP)',
        value: {
          platform: 'apns',
          token: '7c2f6a0e3d1b9f8a4e5c6d7b8a9f0e1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a7f',
          voip: true,
        },
      },
      fcm: { summary: 'FCM', value: { platform: 'fcm', token: 'dGVzdC1mY20tdG9rZW4…:APA91b…' } },
    },
  })
  @ApiCreatedResponse({ type: DeviceResponse })
  @ApiProblem(
    400,
    'Malformed subscription or token, an endpoint not on a known push service, fields of another platform, or a platform this server does not push to (VALIDATION_FAILED).',
  )
  @ApiProblem(409, 'The user already has the maximum number of devices (CONFLICT).')
  register(
    @CurrentUser() user: AuthUser,
    @Body() body: RegisterDeviceRequest,
    @ClientMeta() meta: RequestMeta,
  ): Promise<DeviceResponse> {
    return this.devices.register(user, body, meta);
  }

  @Get()
  @Authenticated()
  @ApiOperation({
    operationId: 'listDevices',
    summary: "The signed-in user's push devices, newest first (never their tokens)",
  })
  @ApiOkResponse({ type: DeviceListResponse })
  @ApiProblem(400, 'Invalid cursor or limit (VALIDATION_FAILED).')
  list(@CurrentUser() user: AuthUser, @Query() query: PageQuery): Promise<DeviceListResponse> {
    return this.devices.list(user, query);
  }

  @Delete(':id')
  @HttpCode(204)
  @Authenticated()
  @ApiOperation({
    operationId: 'removeDevice',
    summary: 'Remove one of your push devices: nothing more is pushed to it',
  })
  @ApiNoContentResponse({ description: 'Removed.' })
  @ApiProblem(400, 'The id is not a UUID (VALIDATION_FAILED).')
  @ApiProblem(404, 'No such device of yours (NOT_FOUND).')
  remove(
    @CurrentUser() user: AuthUser,
    @Param('id', new IdPipe('4')) id: string,
    @ClientMeta() meta: RequestMeta,
  ): Promise<void> {
    return this.devices.remove(user, id, meta);
  }
}
