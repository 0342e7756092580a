import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, MoreThan, Not, Repository } from 'typeorm';
import { PatientDataKeyEntity, PatientProfileEntity } from './patient-profile.entity';

// The only code that touches patient_profiles and patient_data_keys.
@Injectable()
export class PatientProfileRepository {
  constructor(
    @InjectRepository(PatientProfileEntity)
    private readonly profiles: Repository<PatientProfileEntity>,
    @InjectRepository(PatientDataKeyEntity)
    private readonly keys: Repository<PatientDataKeyEntity>,
  ) {}

  private profileRepo(manager?: EntityManager): Repository<PatientProfileEntity> {
    return manager ? manager.getRepository(PatientProfileEntity) : this.profiles;
  }

  private keyRepo(manager?: EntityManager): Repository<PatientDataKeyEntity> {
    return manager ? manager.getRepository(PatientDataKeyEntity) : this.keys;
  }

  findProfile(userId: string, manager?: EntityManager): Promise<PatientProfileEntity | null> {
    return this.profileRepo(manager).findOne({ where: { userId } });
  }

  async saveProfile(
    profile: Pick<
      PatientProfileEntity,
      'userId' | 'nationalId' | 'nationalIdIndex' | 'dateOfBirth' | 'phone'
    >,
    manager: EntityManager,
  ): Promise<PatientProfileEntity> {
    const repo = this.profileRepo(manager);
    await repo.upsert(profile, ['userId']);
    return (await repo.findOne({ where: { userId: profile.userId } })) as PatientProfileEntity;
  }

  findKey(userId: string, manager?: EntityManager): Promise<PatientDataKeyEntity | null> {
    return this.keyRepo(manager).findOne({ where: { userId } });
  }

  // Locks the person's key row, so two concurrent first writes cannot make two data keys.
  findKeyForUpdate(userId: string, manager: EntityManager): Promise<PatientDataKeyEntity | null> {
    return manager
      .getRepository(PatientDataKeyEntity)
      .findOne({ where: { userId }, lock: { mode: 'pessimistic_write' } });
  }

  // Inserts the key unless another transaction already did; returns the stored one.
  async insertKeyIfAbsent(
    key: Pick<PatientDataKeyEntity, 'userId' | 'keyId' | 'wrappedKey'>,
    manager: EntityManager,
  ): Promise<PatientDataKeyEntity> {
    await manager
      .createQueryBuilder()
      .insert()
      .into(PatientDataKeyEntity)
      .values(key)
      .orIgnore()
      .execute();
    return (await this.findKeyForUpdate(key.userId, manager)) as PatientDataKeyEntity;
  }

  userIdsByNationalIdIndex(index: string): Promise<string[]> {
    return this.profileRepo()
      .find({ where: { nationalIdIndex: index }, select: { userId: true } })
      .then((rows) => rows.map((r) => r.userId));
  }

  // Crypto-shredding: the data key goes, the ciphertext left behind can never be opened, and
  // the blind index (a stable pseudonym of the national id) goes too.
  async shred(userId: string, manager: EntityManager): Promise<{ keys: number; profiles: number }> {
    const keys = await manager.getRepository(PatientDataKeyEntity).delete({ userId });
    const profiles = await manager
      .getRepository(PatientProfileEntity)
      .update({ userId }, { nationalIdIndex: null });
    return { keys: keys.affected ?? 0, profiles: profiles.affected ?? 0 };
  }

  // Rotation: the next batch of keys not yet wrapped by `currentKeyId`, in user id order.
  keysNotWrappedBy(
    currentKeyId: string,
    afterUserId: string,
    limit: number,
    manager: EntityManager,
  ): Promise<PatientDataKeyEntity[]> {
    return manager.getRepository(PatientDataKeyEntity).find({
      where: { keyId: Not(currentKeyId), userId: MoreThan(afterUserId) },
      order: { userId: 'ASC' },
      take: limit,
      lock: { mode: 'pessimistic_write' },
    });
  }

  async updateWrappedKey(
    userId: string,
    wrapped: { keyId: string; wrappedKey: string },
    manager: EntityManager,
  ): Promise<void> {
    await manager
      .getRepository(PatientDataKeyEntity)
      .update({ userId }, { ...wrapped, rotatedAt: () => 'now()' });
  }

  countKeysByKeyId(manager?: EntityManager): Promise<{ keyId: string; count: number }[]> {
    return this.keyRepo(manager)
      .createQueryBuilder('k')
      .select('k.key_id', 'keyId')
      .addSelect('count(*)::int', 'count')
      .groupBy('k.key_id')
      .getRawMany<{ keyId: string; count: number }>();
  }
}
