import { LEGACY_ENVELOPE_NOTE } from '../../../common/http/legacy-envelope';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsIn, IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';
import { type Locale, LOCALES } from '../../users/user.entity';
import { UserResponse } from '../../users/dto/user.response';
import {
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
} from '../../../common/auth/password-policy/password-policy';

const trim = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim() : value;

const DISPLAY_NAME = /^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+$/u;
// A 6-digit TOTP code or a recovery code (xxxx-xxxx-xxxx-xxxx).
const OTP = /^(\d{6}|[A-Za-z2-7]{4}(-[A-Za-z2-7]{4}){3})$/;
const OPAQUE = /^[A-Za-z0-9_-]{20,128}$/;

export class RegisterRequest {
  @ApiProperty({ example: 'ayse.yilmaz@example.org', maxLength: 254 })
  @Transform(trim)
  @IsEmail({}, { message: 'email must be an e-mail address' })
  @MaxLength(254)
  email!: string;

  @ApiProperty({ minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH })
  @IsString()
  @Length(PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH)
  password!: string;

  @ApiProperty({ example: 'Ayşe Yılmaz', maxLength: 120 })
  @Transform(trim)
  @IsString()
  @Length(1, 120)
  @Matches(DISPLAY_NAME, { message: 'displayName must be printable text' })
  displayName!: string;

  @ApiPropertyOptional({
    enum: LOCALES,
    description: 'Language of the messages Hekim sends this person (default: the server’s).',
  })
  @IsOptional()
  @IsIn(LOCALES)
  locale?: Locale;
}

// The account, with the deprecated `user` wrapper of the earlier answer.
export class RegisterResponse extends UserResponse {
  @ApiProperty({ type: () => UserResponse, deprecated: true, description: LEGACY_ENVELOPE_NOTE })
  user!: UserResponse;
}

export class LoginRequest {
  @ApiProperty({ example: 'ayse.yilmaz@example.org' })
  @Transform(trim)
  @IsString()
  @Length(1, 254)
  email!: string;

  @ApiProperty()
  @IsString()
  @Length(1, PASSWORD_MAX_LENGTH)
  password!: string;

  @ApiPropertyOptional({
    description: 'Current TOTP code, or a one-time recovery code, when MFA is enabled.',
    example: '123456',
  })
  @IsOptional()
  @IsString()
  @Matches(OTP, { message: 'otp must be a 6-digit code or a recovery code' })
  otp?: string;
}

export class TokenPairResponse {
  @ApiProperty({
    example: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhNDFkOWUwNyJ9.c2lnbmF0dXJl',
    description: 'JWT access token (HS256), valid for `expiresIn` seconds.',
  })
  accessToken!: string;

  @ApiProperty({
    example: 'r6QYx2n0xq7n5m3Jt9V1bA8sKpL4wZcE',
    description: 'Opaque refresh token; single use, rotated on every refresh.',
  })
  refreshToken!: string;

  @ApiProperty({ example: 'Bearer', enum: ['Bearer'] })
  tokenType!: 'Bearer';

  @ApiProperty({ type: 'integer', example: 900, description: 'Seconds the access token lives.' })
  expiresIn!: number;

  @ApiProperty({ type: UserResponse })
  user!: UserResponse;
}

export class RefreshRequest {
  @ApiProperty({ example: 'r6QYx2n0xq7n5m3Jt9V1bA8sKpL4wZcE' })
  @IsString()
  @Matches(OPAQUE, { message: 'refreshToken is not a refresh token' })
  refreshToken!: string;
}

export class LogoutRequest {
  @ApiPropertyOptional({
    example: 'r6QYx2n0xq7n5m3Jt9V1bA8sKpL4wZcE',
    description: 'Also accepted for symmetry; the session is ended anyway.',
  })
  @IsOptional()
  @IsString()
  @Matches(OPAQUE, { message: 'refreshToken is not a refresh token' })
  refreshToken?: string;
}

export class OtpRequest {
  @ApiProperty({ example: '123456' })
  @IsString()
  @Matches(OTP, { message: 'otp must be a 6-digit code or a recovery code' })
  otp!: string;
}

export class MfaSetupResponse {
  @ApiProperty({
    example: 'JBSWY3DPEHPK3PXP',
    description: 'Base32 TOTP secret, for manual entry.',
  })
  secret!: string;

  @ApiProperty({ example: 'otpauth://totp/Hekim:ayse%40example.org?secret=…&issuer=Hekim' })
  otpauthUrl!: string;
}

export class RecoveryCodesResponse {
  @ApiProperty({
    example: ['ABCD-EFGH-JKLM-NOPQ', 'RSTU-VWXY-Z234-5672'],
    type: [String],
    description: 'Shown once; each works one time.',
  })
  recoveryCodes!: string[];
}

export class ForgotPasswordRequest {
  @ApiProperty({ example: 'ayse.yilmaz@example.org' })
  @Transform(trim)
  @IsString()
  @Length(1, 254)
  email!: string;
}

export class ResetPasswordRequest {
  @ApiProperty({ example: 'Qm9xV2p4TkFzZ0x1Y2tSZWFk' })
  @IsString()
  @Matches(OPAQUE, { message: 'token is not a reset token' })
  token!: string;

  @ApiProperty({ minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH })
  @IsString()
  @Length(PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH)
  newPassword!: string;
}

export class VerifyEmailRequest {
  @ApiProperty({ description: 'The `verify` parameter of the link in the verification mail.' })
  @IsString()
  @Matches(OPAQUE, { message: 'token is not a verification token' })
  token!: string;
}
