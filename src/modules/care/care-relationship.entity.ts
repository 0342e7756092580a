import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { UserEntity } from '../users/user.entity';

// What made a relationship: always an act of the patient's. `appointment` is reserved for
// appointments booked or confirmed by the patient (docs/access-model.md).
export enum CareSource {
  RoomInvitation = 'room_invitation',
  Appointment = 'appointment',
}

// Why a relationship's live phase ended.
export enum CareEndReason {
  // The patient ended it: at once.
  EndedByPatient = 'ended_by_patient',
  // The clinician discharged the patient: the follow-up window after the last consultation.
  Discharged = 'discharged',
  // The clinician or the patient was taken out of the room it came from.
  RemovedFromSource = 'removed_from_source',
  // The room (or appointment) it came from closed.
  SourceClosed = 'source_closed',
  // The person was erased (KVKK Art. 7).
  Erased = 'erased',
}

// A care relationship between a clinician and a patient. It is active while `until` is null
// (its source is live) or in the future (follow-up); the database clock decides.
@Entity({ name: 'care_relationships' })
@Check('care_relationships_source_check', `"source" IN ('room_invitation', 'appointment')`)
@Check('care_relationships_parties_check', `"clinician_id" <> "patient_id"`)
@Index('care_relationships_pair_source_key', ['clinicianId', 'patientId', 'source', 'sourceId'], {
  unique: true,
})
@Index('care_relationships_patient_idx', ['patientId'])
@Index('care_relationships_source_idx', ['source', 'sourceId'])
export class CareRelationshipEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'care_relationships_pkey' })
  id!: string;

  @Column({ name: 'clinician_id', type: 'uuid' })
  clinicianId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({
    name: 'clinician_id',
    foreignKeyConstraintName: 'care_relationships_clinician_id_fkey',
  })
  clinician?: UserEntity;

  @Column({ name: 'patient_id', type: 'uuid' })
  patientId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({
    name: 'patient_id',
    foreignKeyConstraintName: 'care_relationships_patient_id_fkey',
  })
  patient?: UserEntity;

  @Column({ type: 'varchar', length: 32 })
  source!: CareSource;

  // The room (or appointment) it came from; not a foreign key, as sources live in different
  // tables.
  @Column({ name: 'source_id', type: 'uuid' })
  sourceId!: string;

  @Column({ type: 'timestamptz' })
  since!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  until!: Date | null;

  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true })
  endedAt!: Date | null;

  @Column({ name: 'ended_by', type: 'uuid', nullable: true })
  endedBy!: string | null;

  @ManyToOne(() => UserEntity, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'ended_by', foreignKeyConstraintName: 'care_relationships_ended_by_fkey' })
  ender?: UserEntity | null;

  @Column({ name: 'end_reason', type: 'varchar', length: 32, nullable: true })
  endReason!: CareEndReason | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
