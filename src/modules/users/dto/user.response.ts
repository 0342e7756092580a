import { ApiProperty } from '@nestjs/swagger';
import { Role } from '../../../common/auth/role';
import { type Locale, LOCALES, type UserEntity, UserStatus } from '../user.entity';

// The user shape of docs/auth.md (Users). Built only by toUserResponse: no hash or secret can leak.
export class UserResponse {
  @ApiProperty({ example: 'a41d9e07-6b3c-4f28-8d15-2c7e9b0f4a61', format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'ayse.yilmaz@example.org' })
  email!: string;

  @ApiProperty({ example: 'Dr. Ayşe Yılmaz' })
  displayName!: string;

  @ApiProperty({ enum: Role, enumName: 'Role' })
  role!: Role;

  @ApiProperty({ enum: UserStatus, enumName: 'UserStatus' })
  status!: UserStatus;

  @ApiProperty({ example: false })
  mfaEnabled!: boolean;

  @ApiProperty({
    enum: LOCALES,
    nullable: true,
    example: 'tr',
    description: 'Language of the messages Hekim sends; null: the deployment default.',
  })
  locale!: Locale | null;

  @ApiProperty({ example: '2026-03-14T09:30:00.000Z', type: String, format: 'date-time' })
  createdAt!: string;
}

export function toUserResponse(user: UserEntity): UserResponse {
  return {
    id: user.id,
    email: user.email,
    displayName: user.displayName,
    role: user.role,
    status: user.status,
    mfaEnabled: user.mfaEnabled,
    locale: user.locale,
    createdAt: user.createdAt.toISOString(),
  };
}
