import type { MigrationInterface, QueryRunner } from 'typeorm';

// Versioned consent texts and the grants given for them (docs/compliance.md),
// with the first version of each purpose's text.
export class CreateConsents1763700800000 implements MigrationInterface {
  name = 'CreateConsents1763700800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "consent_texts" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "purpose" varchar(32) NOT NULL,
        "version" integer NOT NULL,
        "text" text NOT NULL,
        "published_at" timestamptz NOT NULL,
        CONSTRAINT "consent_texts_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "consent_texts_purpose_check" CHECK ("purpose" IN ('telemedicine', 'data_processing')),
        CONSTRAINT "consent_texts_version_check" CHECK ("version" >= 1)
      )`);
    await q.query(
      `CREATE UNIQUE INDEX "consent_texts_purpose_version_key" ON "consent_texts" ("purpose", "version")`,
    );

    await q.query(`
      CREATE TABLE "consent_grants" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "user_id" uuid NOT NULL,
        "purpose" varchar(32) NOT NULL,
        "version" integer NOT NULL,
        "granted_at" timestamptz NOT NULL,
        "withdrawn_at" timestamptz,
        "superseded_at" timestamptz,
        "ip" varchar(64),
        "user_agent" varchar(512),
        CONSTRAINT "consent_grants_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "consent_grants_purpose_check" CHECK ("purpose" IN ('telemedicine', 'data_processing')),
        CONSTRAINT "consent_grants_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE UNIQUE INDEX "consent_grants_in_force_key" ON "consent_grants" ("user_id", "purpose") WHERE "withdrawn_at" IS NULL AND "superseded_at" IS NULL`,
    );
    await q.query(
      `CREATE INDEX "consent_grants_user_granted_idx" ON "consent_grants" ("user_id", "granted_at")`,
    );

    await q.query(
      `INSERT INTO "consent_texts" ("purpose", "version", "text", "published_at") VALUES
        ('telemedicine', 1, $1, now()),
        ('data_processing', 1, $2, now())`,
      [TELEMEDICINE_V1, DATA_PROCESSING_V1],
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "consent_grants"`);
    await q.query(`DROP TABLE "consent_texts"`);
  }
}

// The first texts. Operators publish their own, reviewed by counsel, with
// POST /api/v1/consents/texts (docs/compliance.md).
const TELEMEDICINE_V1 =
  'I give my explicit consent (KVKK art. 6) to receive health services remotely over Hekim: ' +
  'my doctor and I meet in live audio/video consultations, and Hekim processes the health ' +
  'data that comes up in them, who took part and when, for this purpose only. Audio and video ' +
  'travel directly between the participants and are not recorded by Hekim. I may withdraw ' +
  'this consent at any time; a consultation in progress then ends for me.';

const DATA_PROCESSING_V1 =
  'I give my explicit consent (KVKK art. 6) for Hekim to keep my account, my consultation and ' +
  'call history and the audit records about me for as long as the law and the retention ' +
  'periods of the service require, to protect them as special-category data, and not to ' +
  'transfer them abroad without a legal basis. I may ask to see or erase my data at any time.';
