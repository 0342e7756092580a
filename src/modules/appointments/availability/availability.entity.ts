import {
  Check,
  Column,
  Entity,
  JoinColumn,
  OneToOne,
  PrimaryColumn,
  UpdateDateColumn,
} from 'typeorm';
import { UserEntity } from '../../users/user.entity';
import type { DateException, WeeklyHours } from './slot-calendar';

// A clinician's working hours (docs/appointments.md): wall-clock ranges in their own time zone,
// cut into slots of `slot_minutes`. One row per clinician; erased with them.
@Entity({ name: 'clinician_availability' })
@Check('clinician_availability_slot_minutes_check', `"slot_minutes" BETWEEN 5 AND 240`)
export class ClinicianAvailabilityEntity {
  @PrimaryColumn('uuid', {
    name: 'clinician_id',
    primaryKeyConstraintName: 'clinician_availability_pkey',
  })
  clinicianId!: string;

  @OneToOne(() => UserEntity, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({
    name: 'clinician_id',
    foreignKeyConstraintName: 'clinician_availability_clinician_id_fkey',
  })
  clinician?: UserEntity;

  @Column({ type: 'varchar', length: 64 })
  timezone!: string;

  @Column({ name: 'slot_minutes', type: 'int' })
  slotMinutes!: number;

  @Column({ type: 'jsonb' })
  weekly!: WeeklyHours[];

  @Column({ type: 'jsonb' })
  exceptions!: DateException[];

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
