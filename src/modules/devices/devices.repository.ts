import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import type { CursorPosition } from '../../common/http/cursor';
import { PushDeviceEntity } from './push-device.entity';
import type { DeviceRegistration } from './push-registration';

// push_rings (PushRingEntity) is read and written with SQL.
// Rings older than this are forgotten (a call rings for minutes at most).
const RING_MEMORY = '1 day';

@Injectable()
export class DevicesRepository {
  constructor(
    @InjectRepository(PushDeviceEntity) private readonly devices: Repository<PushDeviceEntity>,
  ) {}

  // Registers the token for the user; a token already known (the same browser or phone
  // registering again, or a device that changed hands) keeps its id and moves to this user.
  async upsert(
    userId: string,
    d: DeviceRegistration,
    manager: EntityManager,
  ): Promise<{ device: PushDeviceEntity; previousUserId: string | null }> {
    const before = await manager.query<{ user_id: string }[]>(
      `SELECT user_id FROM push_devices WHERE platform = $1 AND token = $2 FOR UPDATE`,
      [d.platform, d.token],
    );
    const rows = await manager.query<{ id: string }[]>(
      `INSERT INTO push_devices (user_id, platform, token, p256dh, auth, voip)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT ON CONSTRAINT push_devices_token_key DO UPDATE
         SET user_id = EXCLUDED.user_id, p256dh = EXCLUDED.p256dh, auth = EXCLUDED.auth,
             voip = EXCLUDED.voip
       RETURNING id`,
      [userId, d.platform, d.token, d.p256dh, d.auth, d.voip],
    );
    const device = await manager
      .getRepository(PushDeviceEntity)
      .findOneByOrFail({ id: rows[0].id });
    return { device, previousUserId: before[0]?.user_id ?? null };
  }

  async pageForUser(
    userId: string,
    after: CursorPosition | undefined,
    limit: number,
  ): Promise<PushDeviceEntity[]> {
    const qb = this.devices
      .createQueryBuilder('d')
      .where('d.userId = :userId', { userId })
      .orderBy('d.createdAt', 'DESC')
      .addOrderBy('d.id', 'DESC')
      .limit(limit + 1);
    if (after) qb.andWhere('(d.createdAt, d.id) < (:at, :id)', { at: after.at, id: after.id });
    return qb.getMany();
  }

  async deleteForUser(
    id: string,
    userId: string,
    manager: EntityManager,
  ): Promise<PushDeviceEntity | null> {
    const repo = manager.getRepository(PushDeviceEntity);
    const device = await repo.findOneBy({ id, userId });
    if (!device) return null;
    await repo.delete({ id });
    return device;
  }

  // A token the provider reported dead; only if it is still the one we pushed to.
  async deleteIfToken(id: string, token: string, manager: EntityManager): Promise<string | null> {
    // TypeORM answers a DELETE … RETURNING with [rows, count].
    const [rows] = await manager.query<[{ user_id: string }[], number]>(
      `DELETE FROM push_devices WHERE id = $1 AND token = $2 RETURNING user_id`,
      [id, token],
    );
    return rows[0]?.user_id ?? null;
  }

  findById(id: string): Promise<PushDeviceEntity | null> {
    return this.devices.findOneBy({ id });
  }

  forUser(userId: string, manager: EntityManager): Promise<PushDeviceEntity[]> {
    return manager
      .getRepository(PushDeviceEntity)
      .find({ where: { userId }, order: { createdAt: 'ASC' } });
  }

  async rememberRing(callId: string, deviceIds: string[], manager: EntityManager): Promise<void> {
    await manager.query(`DELETE FROM push_rings WHERE created_at < now() - $1::interval`, [
      RING_MEMORY,
    ]);
    if (deviceIds.length === 0) return;
    await manager.query(
      `INSERT INTO push_rings (call_id, device_id) SELECT $1, unnest($2::uuid[])
       ON CONFLICT DO NOTHING`,
      [callId, deviceIds],
    );
  }

  // The devices of these users that were pushed this call, forgotten as they are returned.
  async takeRung(
    callId: string,
    userIds: string[],
    manager: EntityManager,
  ): Promise<{ deviceId: string; userId: string }[]> {
    const [rows] = await manager.query<[{ device_id: string; user_id: string }[], number]>(
      `DELETE FROM push_rings r USING push_devices d
        WHERE r.call_id = $1 AND d.id = r.device_id AND d.user_id = ANY($2::uuid[])
       RETURNING r.device_id, d.user_id`,
      [callId, userIds],
    );
    return rows.map((r) => ({ deviceId: r.device_id, userId: r.user_id }));
  }
}
