import type { MigrationInterface, QueryRunner } from 'typeorm';

// The signaling socket that started a call: the server joins it to the call's room on accept.
export class AddCallCallerSocket1763700700000 implements MigrationInterface {
  name = 'AddCallCallerSocket1763700700000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "calls" ADD "caller_socket_id" varchar(64)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "calls" DROP COLUMN "caller_socket_id"`);
  }
}
