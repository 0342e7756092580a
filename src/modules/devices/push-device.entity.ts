import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  PrimaryGeneratedColumn,
  Unique,
} from 'typeorm';
import { UserEntity } from '../users/user.entity';

export const PUSH_PLATFORMS = ['web', 'apns', 'fcm'] as const;
export type PushPlatform = (typeof PUSH_PLATFORMS)[number];

// A device that receives push notifications (docs/notifications.md#push). `token` is the Web
// Push subscription's endpoint, or the APNs / FCM device token. Never leaves the module.
@Entity({ name: 'push_devices' })
@Check('push_devices_platform_check', `"platform" IN ('web', 'apns', 'fcm')`)
@Check(
  'push_devices_web_keys_check',
  `("platform" = 'web') = ("p256dh" IS NOT NULL AND "auth" IS NOT NULL)`,
)
@Unique('push_devices_token_key', ['platform', 'token'])
@Index('push_devices_user_idx', ['userId', 'createdAt'])
export class PushDeviceEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'push_devices_pkey' })
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'push_devices_user_id_fkey' })
  user?: UserEntity;

  @Column({ type: 'varchar', length: 8 })
  platform!: PushPlatform;

  @Column({ type: 'varchar', length: 2048 })
  token!: string;

  // Web Push only: the browser's P-256 public key and auth secret (base64url, RFC 8291).
  @Column({ type: 'varchar', length: 128, nullable: true })
  p256dh!: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  auth!: string | null;

  // APNs only: a PushKit (VoIP) token; calls go to `<bundle>.voip` with push type `voip`.
  @Column({ type: 'boolean', default: false })
  voip!: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

// A device that was pushed an incoming call: it alone is sent the `call.ended` follow-up.
@Entity({ name: 'push_rings' })
@Index('push_rings_device_idx', ['deviceId'])
export class PushRingEntity {
  @PrimaryColumn({ name: 'call_id', type: 'uuid', primaryKeyConstraintName: 'push_rings_pkey' })
  callId!: string;

  @PrimaryColumn({ name: 'device_id', type: 'uuid', primaryKeyConstraintName: 'push_rings_pkey' })
  deviceId!: string;

  @ManyToOne(() => PushDeviceEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'device_id', foreignKeyConstraintName: 'push_rings_device_id_fkey' })
  device?: PushDeviceEntity;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
