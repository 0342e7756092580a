import type { MigrationInterface, QueryRunner } from 'typeorm';

// Care relationships (docs/access-model.md): who is treating whom, created only by the
// patient's own act. Room members get a status: a patient a clinician added is `invited`
// until they accept.
//
// Existing data: a patient's membership of a consultation or group room becomes a care
// relationship with each doctor member of that room only where the patient actually joined a
// session of it (they took part in a consultation there: their own act); every other patient
// membership becomes an invitation. Members of a call's own room stay active (the call, not
// an invitation, is their reason to be there). A relationship made here starts at the
// patient's first join and, for a closed room, ends 30 days (CARE_FOLLOW_UP_DAYS' default)
// after the patient's last stay in the room.
export class CareRelationships1763701300000 implements MigrationInterface {
  name = 'CareRelationships1763701300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE "room_members"
        ADD COLUMN "status" varchar(16) NOT NULL DEFAULT 'active',
        ADD CONSTRAINT "room_members_status_check" CHECK ("status" IN ('invited', 'active'))`);

    await q.query(`
      CREATE TABLE "care_relationships" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "clinician_id" uuid NOT NULL,
        "patient_id" uuid NOT NULL,
        "source" varchar(32) NOT NULL,
        "source_id" uuid NOT NULL,
        "since" timestamptz NOT NULL,
        "until" timestamptz,
        "ended_at" timestamptz,
        "ended_by" uuid,
        "end_reason" varchar(32),
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "care_relationships_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "care_relationships_source_check" CHECK ("source" IN ('room_invitation', 'appointment')),
        CONSTRAINT "care_relationships_parties_check" CHECK ("clinician_id" <> "patient_id"),
        CONSTRAINT "care_relationships_clinician_id_fkey" FOREIGN KEY ("clinician_id") REFERENCES "users" ("id") ON DELETE CASCADE,
        CONSTRAINT "care_relationships_patient_id_fkey" FOREIGN KEY ("patient_id") REFERENCES "users" ("id") ON DELETE CASCADE,
        CONSTRAINT "care_relationships_ended_by_fkey" FOREIGN KEY ("ended_by") REFERENCES "users" ("id") ON DELETE SET NULL
      )`);
    await q.query(`
      CREATE UNIQUE INDEX "care_relationships_pair_source_key"
        ON "care_relationships" ("clinician_id", "patient_id", "source", "source_id")`);
    await q.query(
      `CREATE INDEX "care_relationships_patient_idx" ON "care_relationships" ("patient_id")`,
    );
    await q.query(
      `CREATE INDEX "care_relationships_source_idx" ON "care_relationships" ("source", "source_id")`,
    );

    // Relationships first (they read which patients joined), then the invitations.
    await q.query(`
      WITH stays AS (
        SELECT s.room_id, p.user_id,
               min(p.joined_at) AS first_joined,
               max(coalesce(p.left_at, s.ended_at, now())) AS last_seen
          FROM session_participants p
          JOIN room_sessions s ON s.id = p.session_id
         GROUP BY s.room_id, p.user_id
      )
      INSERT INTO "care_relationships"
        ("clinician_id", "patient_id", "source", "source_id", "since", "until", "end_reason")
      SELECT d.user_id, pm.user_id, 'room_invitation', r.id, st.first_joined,
             CASE WHEN r.status = 'closed' THEN st.last_seen + interval '30 days' END,
             CASE WHEN r.status = 'closed' THEN 'source_closed' END
        FROM room_members pm
        JOIN users pu ON pu.id = pm.user_id AND pu.role = 'patient'
        JOIN rooms r ON r.id = pm.room_id AND r.type IN ('consultation', 'group')
        JOIN stays st ON st.room_id = pm.room_id AND st.user_id = pm.user_id
        JOIN room_members d ON d.room_id = pm.room_id
        JOIN users du ON du.id = d.user_id AND du.role = 'doctor'
      ON CONFLICT DO NOTHING`);
    await q.query(`
      UPDATE room_members m SET status = 'invited'
        FROM users u, rooms r
       WHERE u.id = m.user_id AND u.role = 'patient'
         AND r.id = m.room_id AND r.type IN ('consultation', 'group')
         AND m.role = 'participant'
         AND NOT EXISTS (
           SELECT 1 FROM session_participants p
             JOIN room_sessions s ON s.id = p.session_id
            WHERE s.room_id = m.room_id AND p.user_id = m.user_id)`);

    // Membership is part of the relay's check (RoomSocketsCache): a change to it is announced
    // on the presence channel like a change to who is in the room.
    await q.query(`
      CREATE FUNCTION "hekim_presence_member_changed"() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP <> 'INSERT' THEN PERFORM pg_notify('hekim_presence', OLD.room_id::text); END IF;
        IF TG_OP <> 'DELETE' THEN PERFORM pg_notify('hekim_presence', NEW.room_id::text); END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER "room_members_presence_notify"
        AFTER UPDATE OR DELETE ON "room_members"
        FOR EACH ROW EXECUTE FUNCTION "hekim_presence_member_changed"()`);
    await q.query(`
      CREATE TRIGGER "room_members_presence_truncate_notify"
        AFTER TRUNCATE ON "room_members"
        FOR EACH STATEMENT EXECUTE FUNCTION "hekim_presence_truncated"()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER "room_members_presence_truncate_notify" ON "room_members"`);
    await q.query(`DROP TRIGGER "room_members_presence_notify" ON "room_members"`);
    await q.query(`DROP FUNCTION "hekim_presence_member_changed"()`);
    await q.query(`DROP TABLE "care_relationships"`);
    await q.query(`
      ALTER TABLE "room_members"
        DROP CONSTRAINT "room_members_status_check",
        DROP COLUMN "status"`);
  }
}
