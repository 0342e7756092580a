import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { UserEntity } from '../../users/user.entity';

// One emergency-access grant: a doctor reading a patient's record outside a shared room, for
// a written reason, until `expiresAt` or until ended. Whether it is active is computed from
// the clock at read time; `expiryRecordedAt` only says the expiry audit record was written.
@Entity({ name: 'break_glass_grants' })
@Index('break_glass_grants_doctor_patient_idx', ['doctorId', 'patientId', 'expiresAt'])
@Index('break_glass_grants_patient_idx', ['patientId'])
@Index('break_glass_grants_expiry_idx', ['expiresAt'], {
  where: '"ended_at" IS NULL AND "expiry_recorded_at" IS NULL',
})
export class BreakGlassGrantEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'doctor_id', type: 'uuid' })
  doctorId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'RESTRICT', nullable: false })
  @JoinColumn({ name: 'doctor_id', foreignKeyConstraintName: 'break_glass_grants_doctor_id_fkey' })
  doctor?: UserEntity;

  @Column({ name: 'patient_id', type: 'uuid' })
  patientId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'RESTRICT', nullable: false })
  @JoinColumn({
    name: 'patient_id',
    foreignKeyConstraintName: 'break_glass_grants_patient_id_fkey',
  })
  patient?: UserEntity;

  @Column({ type: 'varchar', length: 1000 })
  reason!: string;

  @Column({ name: 'started_at', type: 'timestamptz', default: () => 'now()' })
  startedAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true })
  endedAt!: Date | null;

  @Column({ name: 'ended_by_id', type: 'uuid', nullable: true })
  endedById!: string | null;

  @Column({ name: 'expiry_recorded_at', type: 'timestamptz', nullable: true })
  expiryRecordedAt!: Date | null;
}
