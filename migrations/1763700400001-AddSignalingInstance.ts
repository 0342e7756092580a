import type { MigrationInterface, QueryRunner } from 'typeorm';

// Which Hekim instance holds a joined or waiting socket, so that the survivors can reclaim the
// stays of an instance that died without shutting down (its heartbeat lapses).
export class AddSignalingInstance1763700400001 implements MigrationInterface {
  name = 'AddSignalingInstance1763700400001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "session_participants" ADD "instance_id" varchar(64)`);
    await q.query(`ALTER TABLE "room_waiting" ADD "instance_id" varchar(64)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "room_waiting" DROP COLUMN "instance_id"`);
    await q.query(`ALTER TABLE "session_participants" DROP COLUMN "instance_id"`);
  }
}
