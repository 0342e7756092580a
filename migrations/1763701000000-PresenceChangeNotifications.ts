import type { MigrationInterface, QueryRunner } from 'typeorm';

// Every committed change to who is in a room's active session is announced on the
// `hekim_presence` channel with the room's id (NOTIFY is delivered on commit only, in commit
// order). Each instance listens and drops its cached view of that room (RoomSocketsCache),
// whichever code path, instance or maintenance job made the change. TRUNCATE announces `*`.
export class PresenceChangeNotifications1763701000000 implements MigrationInterface {
  name = 'PresenceChangeNotifications1763701000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION "hekim_presence_session_changed"() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP <> 'INSERT' THEN PERFORM pg_notify('hekim_presence', OLD.room_id::text); END IF;
        IF TG_OP <> 'DELETE' THEN PERFORM pg_notify('hekim_presence', NEW.room_id::text); END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE FUNCTION "hekim_presence_participant_changed"() RETURNS trigger
      LANGUAGE plpgsql AS $$
      DECLARE room uuid;
      BEGIN
        IF TG_OP <> 'INSERT' THEN
          SELECT room_id INTO room FROM room_sessions WHERE id = OLD.session_id;
          IF room IS NOT NULL THEN PERFORM pg_notify('hekim_presence', room::text); END IF;
        END IF;
        IF TG_OP <> 'DELETE' THEN
          SELECT room_id INTO room FROM room_sessions WHERE id = NEW.session_id;
          IF room IS NOT NULL THEN PERFORM pg_notify('hekim_presence', room::text); END IF;
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE FUNCTION "hekim_presence_truncated"() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('hekim_presence', '*');
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER "room_sessions_presence_notify"
        AFTER INSERT OR UPDATE OR DELETE ON "room_sessions"
        FOR EACH ROW EXECUTE FUNCTION "hekim_presence_session_changed"()`);
    await q.query(`
      CREATE TRIGGER "session_participants_presence_notify"
        AFTER INSERT OR UPDATE OR DELETE ON "session_participants"
        FOR EACH ROW EXECUTE FUNCTION "hekim_presence_participant_changed"()`);
    for (const table of ['room_sessions', 'session_participants'])
      await q.query(`
        CREATE TRIGGER "${table}_presence_truncate_notify"
          AFTER TRUNCATE ON "${table}"
          FOR EACH STATEMENT EXECUTE FUNCTION "hekim_presence_truncated"()`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['room_sessions', 'session_participants'])
      await q.query(`DROP TRIGGER "${table}_presence_truncate_notify" ON "${table}"`);
    await q.query(`DROP TRIGGER "session_participants_presence_notify" ON "session_participants"`);
    await q.query(`DROP TRIGGER "room_sessions_presence_notify" ON "room_sessions"`);
    await q.query(`DROP FUNCTION "hekim_presence_truncated"()`);
    await q.query(`DROP FUNCTION "hekim_presence_participant_changed"()`);
    await q.query(`DROP FUNCTION "hekim_presence_session_changed"()`);
  }
}
