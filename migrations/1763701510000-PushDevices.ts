import type { MigrationInterface, QueryRunner } from 'typeorm';

// Devices that receive push notifications (docs/notifications.md#push): a Web Push
// subscription (endpoint and keys), an APNs token (VoIP or not) or an FCM token, each owned by
// one user. A token is unique per platform: registering it again moves it to the new owner.
// `push_rings` remembers which devices were pushed an incoming call, so that only they are
// sent the `call.ended` follow-up that stops the ringing; its rows are forgotten after a day
// (no foreign key to calls: the devices module does not depend on the calls module).
export class PushDevices1763701510000 implements MigrationInterface {
  name = 'PushDevices1763701510000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "push_devices" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "user_id" uuid NOT NULL,
        "platform" varchar(8) NOT NULL,
        "token" varchar(2048) NOT NULL,
        "p256dh" varchar(128),
        "auth" varchar(64),
        "voip" boolean NOT NULL DEFAULT false,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "push_devices_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "push_devices_platform_check" CHECK ("platform" IN ('web', 'apns', 'fcm')),
        CONSTRAINT "push_devices_web_keys_check" CHECK (("platform" = 'web') = ("p256dh" IS NOT NULL AND "auth" IS NOT NULL)),
        CONSTRAINT "push_devices_token_key" UNIQUE ("platform", "token"),
        CONSTRAINT "push_devices_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE INDEX "push_devices_user_idx" ON "push_devices" ("user_id", "created_at")`,
    );
    await q.query(`
      CREATE TABLE "push_rings" (
        "call_id" uuid NOT NULL,
        "device_id" uuid NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "push_rings_pkey" PRIMARY KEY ("call_id", "device_id"),
        CONSTRAINT "push_rings_device_id_fkey" FOREIGN KEY ("device_id") REFERENCES "push_devices"("id") ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX "push_rings_device_idx" ON "push_rings" ("device_id")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "push_rings"`);
    await q.query(`DROP TABLE "push_devices"`);
  }
}
