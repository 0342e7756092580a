import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsIn, IsString, Length, Matches, MaxLength } from 'class-validator';
import { type Locale, LOCALES } from '../../../users/user.entity';
import { OptionalNotNull } from '../../../../common/validation/optional-not-null';
import { InvitationRole } from '../invitation.entity';

// Shapes of docs/appointments.md, "Invitations".

const trim = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim() : value;
const lower = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim().toLowerCase() : value;

// Printable text only: the name is shown to the others in the room and in presence.
const PRINTABLE = /^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+$/u;
// What a phone number may look like before libphonenumber-js reads it.
const PHONE_CHARS = /^[0-9+()\-. ]+$/;

// A person without an account: how to call them and how to reach them (e-mail or phone, at
// least one; e-mail is used when both are given).
export class InviteeRequest {
  @ApiProperty({ example: 'Zeynep Kaya', maxLength: 120 })
  @Transform(trim)
  @IsString()
  @Length(1, 120)
  @Matches(PRINTABLE, { message: 'name must be printable text' })
  name!: string;

  @ApiPropertyOptional({ example: 'zeynep.kaya@example.org', maxLength: 254 })
  @OptionalNotNull()
  @Transform(lower)
  @IsEmail({}, { message: 'email must be an e-mail address' })
  @MaxLength(254)
  email?: string;

  @ApiPropertyOptional({
    example: '+90 532 123 45 67',
    description: 'Any usual writing; without a country code it is read as SMS_DEFAULT_COUNTRY’s.',
  })
  @OptionalNotNull()
  @IsString()
  @Length(3, 32)
  @Matches(PHONE_CHARS, { message: 'phone must be a phone number' })
  phone?: string;

  @ApiPropertyOptional({ enum: LOCALES, example: 'tr' })
  @OptionalNotNull()
  @IsIn(LOCALES)
  locale?: Locale;
}

export class CreateInvitationRequest extends InviteeRequest {
  @ApiProperty({ enum: InvitationRole, enumName: 'InvitationRole', example: 'interpreter' })
  @IsIn(Object.values(InvitationRole))
  role!: InvitationRole;
}

export class InvitationResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) appointmentId!: string;
  @ApiProperty({
    format: 'uuid',
    description: 'The guest actor: the id the holder has in presence and in the audit trail.',
  })
  guestId!: string;
  @ApiProperty({ enum: InvitationRole, enumName: 'InvitationRole' }) role!: InvitationRole;
  @ApiProperty() name!: string;
  @ApiProperty({ type: String, nullable: true }) email!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'E.164' }) phone!: string | null;
  @ApiProperty({ type: String, nullable: true, enum: LOCALES }) locale!: string | null;
  @ApiProperty({ enum: ['pending', 'redeemed', 'revoked'] })
  status!: 'pending' | 'redeemed' | 'revoked';
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  redeemedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lastSentAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  revokedAt!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class InvitationListResponse {
  @ApiProperty({ type: [InvitationResponse] }) items!: InvitationResponse[];
  @ApiProperty({ type: String, nullable: true, example: null }) nextCursor!: string | null;
}

// The link's token, and from the second redeem on the device secret the first one returned.
export class RedeemInvitationRequest {
  @ApiProperty({ description: 'The `invitation` query parameter of the link.' })
  @IsString()
  @Length(20, 100)
  @Matches(/^[A-Za-z0-9_-]+$/, { message: 'token is not an invitation token' })
  token!: string;

  @ApiPropertyOptional({
    description:
      'The `deviceSecret` the first redeem of this link answered; required on every later redeem.',
  })
  @OptionalNotNull()
  @IsString()
  @Length(20, 100)
  @Matches(/^[A-Za-z0-9_-]+$/, { message: 'deviceSecret is not a device secret' })
  deviceSecret?: string;
}

export class RedeemInvitationResponse {
  @ApiProperty({ description: 'A guest grant: an access token scoped to the appointment’s room.' })
  accessToken!: string;
  @ApiProperty({ example: 900 }) expiresIn!: number;
  @ApiProperty({ format: 'uuid' }) roomId!: string;
  @ApiProperty({ format: 'uuid' }) appointmentId!: string;
  @ApiProperty({ enum: InvitationRole, enumName: 'InvitationRole' }) role!: InvitationRole;
  @ApiProperty() displayName!: string;
  @ApiProperty({ format: 'uuid', description: 'The guest actor id.' }) guestId!: string;
  @ApiProperty({
    format: 'date-time',
    description: 'The link works until then (the end plus INVITATION_GRACE_MINUTES).',
  })
  validUntil!: string;
  @ApiPropertyOptional({
    description:
      'Only on the first redeem: keep it on this device and send it with every later redeem of the link (a new access token when the last one expires).',
  })
  deviceSecret?: string;
}

export class ResendInvitationRequest {
  @ApiPropertyOptional({ example: 'zeynep.kaya@example.org' })
  @OptionalNotNull()
  @Transform(lower)
  @IsEmail({}, { message: 'email must be an e-mail address' })
  @MaxLength(254)
  email?: string;

  @ApiPropertyOptional({ example: '+90 532 123 45 67' })
  @OptionalNotNull()
  @IsString()
  @Length(3, 32)
  @Matches(PHONE_CHARS, { message: 'phone must be a phone number' })
  phone?: string;
}
