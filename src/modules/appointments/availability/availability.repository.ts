import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, Repository } from 'typeorm';
import { ClinicianAvailabilityEntity } from './availability.entity';

export type AvailabilityInput = Pick<
  ClinicianAvailabilityEntity,
  'clinicianId' | 'timezone' | 'slotMinutes' | 'weekly' | 'exceptions'
>;

// The only code that touches clinician_availability.
@Injectable()
export class AvailabilityRepository {
  constructor(
    @InjectRepository(ClinicianAvailabilityEntity)
    private readonly rows: Repository<ClinicianAvailabilityEntity>,
  ) {}

  private repo(manager?: EntityManager): Repository<ClinicianAvailabilityEntity> {
    return manager ? manager.getRepository(ClinicianAvailabilityEntity) : this.rows;
  }

  find(clinicianId: string, manager?: EntityManager): Promise<ClinicianAvailabilityEntity | null> {
    return this.repo(manager).findOne({ where: { clinicianId } });
  }

  // One page of the clinicians who published hours, by id after `afterId`.
  page(afterId: string | undefined, limit: number): Promise<ClinicianAvailabilityEntity[]> {
    const query = this.rows.createQueryBuilder('a').orderBy('a.clinician_id', 'ASC').limit(limit);
    if (afterId) query.where('a.clinician_id > :afterId', { afterId });
    return query.getMany();
  }

  // Replaces the clinician's hours as a whole: a PUT, like the route.
  async put(
    input: AvailabilityInput,
    manager: EntityManager,
  ): Promise<ClinicianAvailabilityEntity> {
    await this.repo(manager).upsert(input, { conflictPaths: ['clinicianId'] });
    return (await this.find(input.clinicianId, manager)) as ClinicianAvailabilityEntity;
  }

  // Erasure: the clinician's hours go with the account; answers how many rows went.
  async remove(clinicianId: string, manager: EntityManager): Promise<number> {
    const result = await this.repo(manager).delete({ clinicianId });
    return result.affected ?? 0;
  }
}
