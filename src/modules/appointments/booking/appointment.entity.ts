import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Exclusion,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  Unique,
  UpdateDateColumn,
} from 'typeorm';
import { RoomEntity } from '../../rooms/room.entity';
import { UserEntity } from '../../users/user.entity';

// docs/appointments.md, "Appointments": booked → checked_in → in_consultation → completed,
// or cancelled / no_show.
export enum AppointmentStatus {
  Booked = 'booked',
  CheckedIn = 'checked_in',
  InConsultation = 'in_consultation',
  Completed = 'completed',
  Cancelled = 'cancelled',
  NoShow = 'no_show',
}

// One appointment of a patient with a clinician, in a consultation room of its own. The
// exclusion constraint (migration 1763701700001) is what forbids double booking: two
// overlapping appointments of one clinician cannot both be live, however they race.
@Entity({ name: 'appointments' })
@Check('appointments_time_check', `"end_at" > "start_at"`)
@Check(
  'appointments_status_check',
  `"status" IN ('booked', 'checked_in', 'in_consultation', 'completed', 'cancelled', 'no_show')`,
)
@Exclusion(
  'appointments_no_double_booking',
  `USING gist ("clinician_id" WITH =, tstzrange("start_at", "end_at", '[)') WITH &&) WHERE ("status" <> 'cancelled')`,
)
@Unique('appointments_room_id_key', ['roomId'])
@Index('appointments_patient_start_idx', ['patientId', 'startAt'])
@Index('appointments_clinician_start_idx', ['clinicianId', 'startAt'])
export class AppointmentEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'appointments_pkey' })
  id!: string;

  @Column({ name: 'clinician_id', type: 'uuid' })
  clinicianId!: string;

  @ManyToOne(() => UserEntity, { nullable: false })
  @JoinColumn({ name: 'clinician_id', foreignKeyConstraintName: 'appointments_clinician_id_fkey' })
  clinician?: UserEntity;

  @Column({ name: 'patient_id', type: 'uuid' })
  patientId!: string;

  @ManyToOne(() => UserEntity, { nullable: false })
  @JoinColumn({ name: 'patient_id', foreignKeyConstraintName: 'appointments_patient_id_fkey' })
  patient?: UserEntity;

  @Column({ name: 'room_id', type: 'uuid' })
  roomId!: string;

  @ManyToOne(() => RoomEntity, { nullable: false })
  @JoinColumn({
    name: 'room_id',
    foreignKeyConstraintName: 'appointments_room_id_fkey',
  })
  room?: RoomEntity;

  @Column({ name: 'start_at', type: 'timestamptz' })
  startAt!: Date;

  @Column({ name: 'end_at', type: 'timestamptz' })
  endAt!: Date;

  @Column({ type: 'varchar', length: 16 })
  status!: AppointmentStatus;

  // Why the patient comes: health data, shown to the two parties only.
  @Column({ type: 'varchar', length: 500, nullable: true })
  reason!: string | null;

  @Column({ name: 'booked_by', type: 'uuid', nullable: true })
  bookedBy!: string | null;

  // When the patient booked or confirmed it: the patient's act that makes the care relationship.
  @Column({ name: 'confirmed_at', type: 'timestamptz', nullable: true })
  confirmedAt!: Date | null;

  @Column({ name: 'checked_in_at', type: 'timestamptz', nullable: true })
  checkedInAt!: Date | null;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt!: Date | null;

  @Column({ type: 'varchar', length: 2000, nullable: true })
  outcome!: string | null;

  @Column({ name: 'cancelled_at', type: 'timestamptz', nullable: true })
  cancelledAt!: Date | null;

  @Column({ name: 'cancelled_by', type: 'uuid', nullable: true })
  cancelledBy!: string | null;

  @Column({ name: 'cancel_reason', type: 'varchar', length: 500, nullable: true })
  cancelReason!: string | null;

  // The patient's pre-call check (camera, microphone, connection), as their device reported it.
  @Column({ name: 'precheck_passed', type: 'boolean', nullable: true })
  precheckPassed!: boolean | null;

  @Column({ name: 'precheck_at', type: 'timestamptz', nullable: true })
  precheckAt!: Date | null;

  @Column({ name: 'precheck_details', type: 'varchar', length: 500, nullable: true })
  precheckDetails!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
