import {
  Check,
  Column,
  Entity,
  Index,
  PrimaryColumn,
  PrimaryGeneratedColumn,
  Unique,
} from 'typeorm';

export enum AlertKind {
  // A doctor read more patients' records in an hour than ALERT_RECORD_READS_PER_HOUR.
  RecordReads = 'record_reads',
  // Any break-glass start.
  BreakGlass = 'break_glass',
  // One account refused ALERT_DENIED_ACCESSES times within ALERT_DENIED_WINDOW_MINUTES.
  DeniedAccesses = 'denied_accesses',
  // A trail export of more than ALERT_EXPORT_RECORDS records.
  BulkExport = 'bulk_export',
}

export enum AlertStatus {
  Open = 'open',
  Acknowledged = 'acknowledged',
}

// One alarm (docs/compliance.md, C17), raised once per kind and dedup key (the account and the
// window, or the record that raised it) by whichever instance scanned the trail.
@Entity({ name: 'compliance_alerts' })
@Unique('compliance_alerts_dedup_key', ['kind', 'dedupKey'])
@Check(
  'compliance_alerts_kind_check',
  `"kind" IN ('record_reads', 'break_glass', 'denied_accesses', 'bulk_export')`,
)
@Check('compliance_alerts_status_check', `"status" IN ('open', 'acknowledged')`)
@Index('compliance_alerts_status_idx', ['status', 'raisedAt'])
export class ComplianceAlertEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'compliance_alerts_pkey' })
  id!: string;

  @Column({ type: 'varchar', length: 32 })
  kind!: AlertKind;

  // The account whose actions raised it (null for none).
  @Column({ name: 'actor_user_id', type: 'uuid', nullable: true })
  actorUserId!: string | null;

  @Column({ name: 'dedup_key', type: 'varchar', length: 160 })
  dedupKey!: string;

  @Column({ name: 'window_start', type: 'timestamptz' })
  windowStart!: Date;

  @Column({ name: 'window_end', type: 'timestamptz' })
  windowEnd!: Date;

  @Column({ type: 'integer' })
  count!: number;

  @Column({ type: 'integer' })
  threshold!: number;

  // The audit record that raised it.
  @Column({ name: 'trigger_seq', type: 'bigint' })
  triggerSeq!: string;

  // Ids and counts only (the patient of a break-glass start, the grant).
  @Column({ type: 'jsonb', default: () => "'{}'" })
  details!: Record<string, unknown>;

  @Column({ type: 'varchar', length: 16, default: AlertStatus.Open })
  status!: AlertStatus;

  @Column({ name: 'raised_at', type: 'timestamptz', default: () => 'now()' })
  raisedAt!: Date;

  @Column({ name: 'acknowledged_at', type: 'timestamptz', nullable: true })
  acknowledgedAt!: Date | null;

  @Column({ name: 'acknowledged_by', type: 'uuid', nullable: true })
  acknowledgedBy!: string | null;

  @Column({ name: 'acknowledgement_note', type: 'varchar', length: 2000, nullable: true })
  acknowledgementNote!: string | null;
}

// The single row of how far the alarms have read the trail.
@Entity({ name: 'compliance_alert_scan' })
@Check('compliance_alert_scan_one_row', `"id" = 1`)
export class ComplianceAlertScanEntity {
  @PrimaryColumn({ type: 'smallint', primaryKeyConstraintName: 'compliance_alert_scan_pkey' })
  id!: number;

  @Column({ name: 'last_seq', type: 'bigint' })
  lastSeq!: string;

  @Column({ name: 'scanned_at', type: 'timestamptz', default: () => 'now()' })
  scannedAt!: Date;
}
