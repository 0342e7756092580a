import type { MigrationInterface, QueryRunner } from 'typeorm';

// Compliance alarms (docs/compliance.md, C17) and the audit indexes behind the access report
// (C11) and the alarms' counts. The indexes on audit_events are built in the migration's
// transaction, which blocks appends while they build: on a large trail, run the upgrade in a
// quiet hour (docs/operations.md, "Upgrades").
export class ComplianceAlertsAndAccessReports1763701850000 implements MigrationInterface {
  name = 'ComplianceAlertsAndAccessReports1763701850000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "compliance_alerts" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "kind" varchar(32) NOT NULL,
        "actor_user_id" uuid,
        "dedup_key" varchar(160) NOT NULL,
        "window_start" timestamptz NOT NULL,
        "window_end" timestamptz NOT NULL,
        "count" integer NOT NULL,
        "threshold" integer NOT NULL,
        "trigger_seq" bigint NOT NULL,
        "details" jsonb NOT NULL DEFAULT '{}',
        "status" varchar(16) NOT NULL DEFAULT 'open',
        "raised_at" timestamptz NOT NULL DEFAULT now(),
        "acknowledged_at" timestamptz,
        "acknowledged_by" uuid,
        "acknowledgement_note" varchar(2000),
        CONSTRAINT "compliance_alerts_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "compliance_alerts_dedup_key" UNIQUE ("kind", "dedup_key"),
        CONSTRAINT "compliance_alerts_kind_check" CHECK ("kind" IN ('record_reads', 'break_glass', 'denied_accesses', 'bulk_export')),
        CONSTRAINT "compliance_alerts_status_check" CHECK ("status" IN ('open', 'acknowledged'))
      )`);
    await q.query(
      `CREATE INDEX "compliance_alerts_status_idx" ON "compliance_alerts" ("status", "raised_at")`,
    );
    // How far the alarm scan has read the audit trail: one row, shared by every instance.
    await q.query(`
      CREATE TABLE "compliance_alert_scan" (
        "id" smallint NOT NULL,
        "last_seq" bigint NOT NULL,
        "scanned_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "compliance_alert_scan_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "compliance_alert_scan_one_row" CHECK ("id" = 1)
      )`);
    await q.query(`
      INSERT INTO "compliance_alert_scan" ("id", "last_seq")
      SELECT 1, COALESCE(MAX("seq"), 0) FROM "audit_events"`);
    // A clinician's reads of patient records in a window (C17), and one account's refusals.
    await q.query(`
      CREATE INDEX "audit_events_record_reads_idx" ON "audit_events" ("actor_user_id", "occurred_at")
      WHERE "outcome" = 'success' AND "action" IN ('user.read', 'patient_profile.read', 'break_glass.access')`);
    await q.query(`
      CREATE INDEX "audit_events_denied_idx" ON "audit_events" ("actor_user_id", "occurred_at")
      WHERE "outcome" = 'denied'`);
    // Records about several people at once (a webhook delivery names them in
    // details.subjectIds): the access report finds a person's among them (C11).
    await q.query(`
      CREATE INDEX "audit_events_subject_ids_idx" ON "audit_events"
      USING gin (("details" -> 'subjectIds') jsonb_path_ops)
      WHERE "details" ? 'subjectIds'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "audit_events_subject_ids_idx"`);
    await q.query(`DROP INDEX "audit_events_denied_idx"`);
    await q.query(`DROP INDEX "audit_events_record_reads_idx"`);
    await q.query(`DROP TABLE "compliance_alert_scan"`);
    await q.query(`DROP TABLE "compliance_alerts"`);
  }
}
