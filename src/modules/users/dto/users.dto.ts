import { OptionalNotNull } from '../../../common/validation/optional-not-null';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsIn, IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';
import { ACCOUNT_ROLES, Role } from '../../../common/auth/role';
import {
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
} from '../../../common/auth/password-policy/password-policy';
import { type Locale, LOCALES, UserStatus } from '../user.entity';
import { UserResponse } from './user.response';
import { PageQuery } from '../../../common/pagination/page-query.dto';
import { IsTckn } from '../patient-profile/dto/patient-profile.dto';
import { normalizeNationalId } from '../patient-profile/national-id';

const trim = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim() : value;

// A visible name: printable text only, so it cannot smuggle control characters into logs,
// exports or other people's screens.
const DISPLAY_NAME = /^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+$/u;

export class CreateUserRequest {
  @ApiProperty({ example: 'mehmet.demir@example.org', maxLength: 254 })
  @Transform(trim)
  @IsEmail({}, { message: 'email must be an e-mail address' })
  @MaxLength(254)
  email!: string;

  @ApiProperty({ minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH })
  @IsString()
  @Length(PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH)
  password!: string;

  @ApiProperty({ example: 'Dr. Mehmet Demir', maxLength: 120 })
  @Transform(trim)
  @IsString()
  @Length(1, 120)
  @Matches(DISPLAY_NAME, { message: 'displayName must be printable text' })
  displayName!: string;

  // Never `guest`: guests come from invitation links only (docs/auth.md, "Guest grant").
  @ApiProperty({ enum: ACCOUNT_ROLES })
  @IsIn(ACCOUNT_ROLES)
  role!: Role;
}

// Only the display name and the language are the owner's to change; role, status or anything
// else is refused by the global validation pipe (unknown fields are rejected).
export class UpdateMeRequest {
  @ApiPropertyOptional({ example: 'Ayşe Yılmaz', maxLength: 120 })
  @OptionalNotNull()
  @Transform(trim)
  @IsString()
  @Length(1, 120)
  @Matches(DISPLAY_NAME, { message: 'displayName must be printable text' })
  displayName?: string;

  @ApiPropertyOptional({
    enum: LOCALES,
    example: 'tr',
    description: 'The language of the e-mails and SMS Hekim sends you (docs/notifications.md).',
  })
  @OptionalNotNull()
  @IsIn(LOCALES)
  locale?: Locale;
}

export class AdminUpdateUserRequest {
  @ApiPropertyOptional({ enum: ACCOUNT_ROLES })
  @OptionalNotNull()
  @IsIn(ACCOUNT_ROLES)
  role?: Role;

  @ApiPropertyOptional({ enum: UserStatus, enumName: 'UserStatus' })
  @OptionalNotNull()
  @IsIn(Object.values(UserStatus))
  status?: UserStatus;
}

export class ListUsersQuery extends PageQuery {
  @ApiPropertyOptional({ enum: Role, enumName: 'Role' })
  @IsOptional()
  @IsIn(Object.values(Role))
  role?: Role;

  @ApiPropertyOptional({ description: 'Matches e-mail or display name (case-insensitive).' })
  @IsOptional()
  @IsString()
  @Length(1, 120)
  q?: string;

  @ApiPropertyOptional({
    description:
      'Exact national id (T.C. Kimlik No), matched through the keyed blind index; never stored or logged in clear.',
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' ? normalizeNationalId(value) : value,
  )
  @IsString()
  @IsTckn()
  nationalId?: string;
}

export class UserListResponse {
  @ApiProperty({ type: [UserResponse] })
  items!: UserResponse[];

  @ApiProperty({ example: null, type: String, nullable: true })
  nextCursor!: string | null;
}
