import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { PUSH_PLATFORMS, type PushPlatform } from '../push-device.entity';

// The shapes only; what each platform requires (and refuses) is checked by
// push-registration.ts, which answers with one field error per problem.
export class WebPushKeysDto {
  @ApiProperty({
    description: "The browser's P-256 public key (base64url, 65 bytes uncompressed)",
    example:
      'BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM',
  })
  @IsString()
  @MaxLength(128)
  p256dh!: string;

  @ApiProperty({
    description: 'The subscription auth secret (base64url, 16 bytes)',
    example: 'tBHItJI5svbpez7KI4CCXg',
  })
  @IsString()
  @MaxLength(64)
  auth!: string;
}

export class WebPushSubscriptionDto {
  @ApiProperty({
    description: "The push service URL from the browser's PushSubscription (https)",
    example: 'https://fcm.googleapis.com/fcm/send/cJ9T0pYk3bE:APA91bH…',
  })
  @IsString()
  @MaxLength(2048)
  endpoint!: string;

  @ApiProperty({ type: WebPushKeysDto })
  @IsObject()
  @ValidateNested()
  @Type(() => WebPushKeysDto)
  keys!: WebPushKeysDto;

  // PushSubscription.toJSON() carries it; accepted and ignored (calls set their own TTL).
  @ApiPropertyOptional({ type: 'number', nullable: true, example: null })
  @IsOptional()
  expirationTime?: number | null;
}

export class RegisterDeviceRequest {
  @ApiProperty({ enum: PUSH_PLATFORMS, example: 'web' })
  @IsIn(PUSH_PLATFORMS)
  platform!: PushPlatform;

  @ApiPropertyOptional({
    type: WebPushSubscriptionDto,
    description: "`web` only: the browser's PushSubscription as `toJSON()` gives it.",
  })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => WebPushSubscriptionDto)
  subscription?: WebPushSubscriptionDto;

  @ApiPropertyOptional({
    description:
      '`apns`: the device token in hex (64 to 200 digits). `fcm`: the registration token.',
    example: '7c2f6a0e3d1b9f8a4e5c6d7b8a9f0e1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a7f',
  })
  @IsOptional()
  @IsString()
  @MaxLength(4096)
  token?: string;

  @ApiPropertyOptional({
    description:
      '`apns` only: a PushKit (VoIP) token. Incoming calls are then VoIP pushes to `<bundle>.voip`.',
    default: false,
  })
  @IsOptional()
  @IsBoolean()
  voip?: boolean;
}

export class DeviceResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ enum: PUSH_PLATFORMS, example: 'apns' })
  platform!: PushPlatform;

  @ApiProperty({ description: 'An APNs PushKit (VoIP) token', example: true })
  voip!: boolean;

  @ApiProperty({
    description:
      "Where pushes go: the push service's host for `web`, the token's last 8 characters otherwise",
    example: '…c4d5b6a7f',
  })
  hint!: string;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}

export class DeviceListResponse {
  @ApiProperty({ type: [DeviceResponse] })
  items!: DeviceResponse[];

  @ApiProperty({ type: String, nullable: true, example: null })
  nextCursor!: string | null;
}
