import { Column, Entity, PrimaryColumn } from 'typeorm';

// A signed statement "the chain's record `seq` has hash `hash`", linked to the previous
// checkpoint by its signature. Append-only like the records (see the migration).
@Entity({ name: 'audit_checkpoints' })
export class AuditCheckpointEntity {
  // Strictly increasing: a checkpoint is only made when the chain has grown.
  @PrimaryColumn({ type: 'bigint', primaryKeyConstraintName: 'audit_checkpoints_pkey' })
  seq!: string;

  @Column({ type: 'char', length: 64 })
  hash!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'key_id', type: 'varchar', length: 32 })
  keyId!: string;

  // Empty for the first checkpoint.
  @Column({ name: 'prev_signature', type: 'varchar', length: 128 })
  prevSignature!: string;

  @Column({ type: 'varchar', length: 128 })
  signature!: string;
}
