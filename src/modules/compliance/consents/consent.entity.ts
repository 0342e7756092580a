import {
  Check,
  Column,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { UserEntity } from '../../users/user.entity';
import type { ConsentPurpose } from './consent-purpose';

// One published version of the text a person consents to. Texts are never edited: a change is
// a new version, and grants name the version they were given for (KVKK evidence of what the
// person was told). Who published it is in the audit trail, not here.
@Entity({ name: 'consent_texts' })
@Check('consent_texts_purpose_check', `"purpose" IN ('telemedicine', 'data_processing')`)
@Check('consent_texts_version_check', `"version" >= 1`)
@Index('consent_texts_purpose_version_key', ['purpose', 'version'], { unique: true })
export class ConsentTextEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 32 })
  purpose!: ConsentPurpose;

  @Column({ type: 'integer' })
  version!: number;

  @Column({ type: 'text' })
  text!: string;

  @Column({ name: 'published_at', type: 'timestamptz' })
  publishedAt!: Date;
}

// A person's consent to one version of a purpose's text. At most one grant per person and
// purpose is in force (neither withdrawn nor superseded by a grant of a newer version); past
// grants stay as evidence.
@Entity({ name: 'consent_grants' })
@Check('consent_grants_purpose_check', `"purpose" IN ('telemedicine', 'data_processing')`)
@Index('consent_grants_in_force_key', ['userId', 'purpose'], {
  unique: true,
  where: `"withdrawn_at" IS NULL AND "superseded_at" IS NULL`,
})
@Index('consent_grants_user_granted_idx', ['userId', 'grantedAt'])
export class ConsentGrantEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'consent_grants_user_id_fkey' })
  user?: UserEntity;

  @Column({ type: 'varchar', length: 32 })
  purpose!: ConsentPurpose;

  // A version of consent_texts for this purpose; the service grants the current one only.
  @Column({ type: 'integer' })
  version!: number;

  @Column({ name: 'granted_at', type: 'timestamptz' })
  grantedAt!: Date;

  @Column({ name: 'withdrawn_at', type: 'timestamptz', nullable: true })
  withdrawnAt!: Date | null;

  @Column({ name: 'superseded_at', type: 'timestamptz', nullable: true })
  supersededAt!: Date | null;

  // Where the grant came from (evidence); erased with the person, the grant itself is kept.
  @Column({ type: 'varchar', length: 64, nullable: true })
  ip!: string | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true })
  userAgent!: string | null;
}
