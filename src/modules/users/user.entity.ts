import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { Role } from '../../common/auth/role';

// The languages Hekim writes messages in.
export const LOCALES = ['tr', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

export enum UserStatus {
  Active = 'active',
  Deactivated = 'deactivated',
}

@Entity({ name: 'users' })
@Check(
  'users_role_check',
  `"role" IN ('patient', 'doctor', 'admin', 'compliance_officer', 'guest')`,
)
@Check('users_status_check', `"status" IN ('active', 'deactivated')`)
@Check('users_email_lower_check', `"email" = lower("email")`)
@Check('users_locale_check', `"locale" IN ('tr', 'en')`)
export class UserEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  // Stored lower-cased; the unique index makes e-mail the login name.
  @Index('users_email_key', { unique: true })
  @Column({ type: 'varchar', length: 254 })
  email!: string;

  @Column({ name: 'password_hash', type: 'varchar', length: 255 })
  passwordHash!: string;

  @Column({ name: 'display_name', type: 'varchar', length: 120 })
  displayName!: string;

  @Column({ type: 'varchar', length: 32 })
  role!: Role;

  @Column({ type: 'varchar', length: 16, default: UserStatus.Active })
  status!: UserStatus;

  @Column({ name: 'mfa_enabled', type: 'boolean', default: false })
  mfaEnabled!: boolean;

  // The language of the messages sent to the person; null: NOTIFY_DEFAULT_LOCALE.
  @Column({ type: 'varchar', length: 8, nullable: true })
  locale!: Locale | null;

  // Null until the person proved control of the address (docs/auth.md); admin-created
  // accounts and accounts made while verification is off are verified when created.
  @Column({ name: 'email_verified_at', type: 'timestamptz', nullable: true })
  emailVerifiedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
