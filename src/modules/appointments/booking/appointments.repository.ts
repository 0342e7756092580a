import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Brackets, type EntityManager, QueryFailedError, Repository } from 'typeorm';
import type { CursorPosition } from '../../../common/http/cursor';
import { AppointmentEntity, AppointmentStatus } from './appointment.entity';

export type NewAppointment = Pick<
  AppointmentEntity,
  | 'clinicianId'
  | 'patientId'
  | 'roomId'
  | 'startAt'
  | 'endAt'
  | 'reason'
  | 'bookedBy'
  | 'confirmedAt'
>;

export interface AppointmentFilter {
  // Appointments where this user is the patient or the clinician; undefined for everyone's.
  partyId?: string;
  clinicianId?: string;
  patientId?: string;
  status?: AppointmentStatus;
  from?: Date;
  to?: Date;
}

// The time is taken: the exclusion constraint refused an overlapping live appointment.
export class SlotTakenError extends Error {}

// The exclusion constraint refused the row (23P01), or two bookings of overlapping times
// checked each other at once and PostgreSQL broke the tie (40P01: concurrent insertions under
// an exclusion constraint can deadlock, unlike a unique index). Either way the caller lost the
// race: the other transaction goes on and commits.
function isExclusionViolation(error: unknown): boolean {
  const code =
    error instanceof QueryFailedError
      ? (error.driverError as { code?: unknown } | undefined)?.code
      : undefined;
  return code === '23P01' || code === '40P01';
}

// The only code that touches appointments.
@Injectable()
export class AppointmentsRepository {
  constructor(
    @InjectRepository(AppointmentEntity)
    private readonly rows: Repository<AppointmentEntity>,
  ) {}

  private repo(manager?: EntityManager): Repository<AppointmentEntity> {
    return manager ? manager.getRepository(AppointmentEntity) : this.rows;
  }

  async insert(input: NewAppointment, manager: EntityManager): Promise<AppointmentEntity> {
    const repo = this.repo(manager);
    try {
      return await repo.save(repo.create({ ...input, status: AppointmentStatus.Booked }));
    } catch (error) {
      if (isExclusionViolation(error)) throw new SlotTakenError();
      throw error;
    }
  }

  // Saves a changed appointment; a new time that overlaps another live one is SlotTakenError.
  async save(appointment: AppointmentEntity, manager: EntityManager): Promise<AppointmentEntity> {
    try {
      return await this.repo(manager).save(appointment);
    } catch (error) {
      if (isExclusionViolation(error)) throw new SlotTakenError();
      throw error;
    }
  }

  findById(id: string, manager?: EntityManager): Promise<AppointmentEntity | null> {
    return this.repo(manager).findOne({ where: { id } });
  }

  findByIdForUpdate(id: string, manager: EntityManager): Promise<AppointmentEntity | null> {
    return this.repo(manager).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  findByRoom(roomId: string, manager?: EntityManager): Promise<AppointmentEntity | null> {
    return this.repo(manager).findOne({ where: { roomId } });
  }

  // The clinician's time held by live appointments that overlap [from, to).
  async busy(
    clinicianId: string,
    from: Date,
    to: Date,
    ignoring?: string,
  ): Promise<{ start: Date; end: Date }[]> {
    const qb = this.rows
      .createQueryBuilder('a')
      .select(['a.startAt', 'a.endAt'])
      .where('a.clinician_id = :clinicianId', { clinicianId })
      .andWhere('a.status <> :cancelled', { cancelled: AppointmentStatus.Cancelled })
      .andWhere('a.start_at < :to AND a.end_at > :from', { from, to });
    if (ignoring) qb.andWhere('a.id <> :ignoring', { ignoring });
    const rows = await qb.getMany();
    return rows.map((r) => ({ start: r.startAt, end: r.endAt }));
  }

  // One page in start order (then id), after `after`.
  listPage(
    filter: AppointmentFilter,
    after: CursorPosition | undefined,
    limit: number,
  ): Promise<AppointmentEntity[]> {
    const qb = this.rows.createQueryBuilder('a');
    if (filter.partyId)
      qb.andWhere('(a.patient_id = :party OR a.clinician_id = :party)', { party: filter.partyId });
    if (filter.clinicianId) qb.andWhere('a.clinician_id = :cid', { cid: filter.clinicianId });
    if (filter.patientId) qb.andWhere('a.patient_id = :pid', { pid: filter.patientId });
    if (filter.status) qb.andWhere('a.status = :status', { status: filter.status });
    if (filter.from) qb.andWhere('a.start_at >= :from', { from: filter.from });
    if (filter.to) qb.andWhere('a.start_at < :to', { to: filter.to });
    if (after)
      qb.andWhere(
        new Brackets((w) =>
          w
            .where('a.start_at > :at', { at: after.at })
            .orWhere('a.start_at = :at AND a.id > :id', { at: after.at, id: after.id }),
        ),
      );
    return qb.orderBy('a.start_at', 'ASC').addOrderBy('a.id', 'ASC').limit(limit).getMany();
  }

  // Booked appointments that started before `before` and nobody checked in to, locked for
  // the caller's transaction; rows another instance holds are skipped.
  claimOverdue(before: Date, limit: number, manager: EntityManager): Promise<AppointmentEntity[]> {
    return this.repo(manager)
      .createQueryBuilder('a')
      .where('a.status = :booked', { booked: AppointmentStatus.Booked })
      .andWhere('a.start_at <= :before', { before })
      .orderBy('a.start_at', 'ASC')
      .limit(limit)
      .setLock('pessimistic_write')
      .setOnLocked('skip_locked')
      .getMany();
  }

  // The patient's checked-in appointment of this room, moved to `in_consultation`: one
  // conditional UPDATE, so the admission (which holds the room's lock) waits for no
  // appointment lock it does not need. Answers the appointment, or null when there is none.
  async admitWithin(
    roomId: string,
    patientId: string,
    manager: EntityManager,
  ): Promise<AppointmentEntity | null> {
    const result = await this.repo(manager)
      .createQueryBuilder()
      .update(AppointmentEntity)
      .set({ status: AppointmentStatus.InConsultation })
      .where('room_id = :roomId AND patient_id = :patientId AND status = :checkedIn', {
        roomId,
        patientId,
        checkedIn: AppointmentStatus.CheckedIn,
      })
      .returning('id')
      .execute();
    const row = (result.raw as { id: string }[])[0];
    return row ? this.repo(manager).findOne({ where: { id: row.id } }) : null;
  }

  // The clinician's checked-in patients in queue order: appointment time, then arrival.
  queueOf(clinicianId: string): Promise<AppointmentEntity[]> {
    return this.rows
      .createQueryBuilder('a')
      .where('a.clinician_id = :clinicianId', { clinicianId })
      .andWhere('a.status = :status', { status: AppointmentStatus.CheckedIn })
      .orderBy('a.start_at', 'ASC')
      .addOrderBy('a.checked_in_at', 'ASC')
      .addOrderBy('a.id', 'ASC')
      .getMany();
  }

  // The clinician's consultation going on now, if any.
  currentOf(clinicianId: string): Promise<AppointmentEntity | null> {
    return this.rows.findOne({
      where: { clinicianId, status: AppointmentStatus.InConsultation },
      order: { startAt: 'DESC' },
    });
  }

  // How long the clinician's last `n` completed consultations lasted, in seconds, newest
  // first: from the later of the start and the check-in to the completion.
  async recentLengths(clinicianId: string, n: number): Promise<number[]> {
    const rows = await this.rows.query<{ seconds: number }[]>(
      `SELECT extract(epoch FROM completed_at - greatest(start_at, checked_in_at))::float8 AS seconds
         FROM appointments
        WHERE clinician_id = $1 AND status = 'completed' AND checked_in_at IS NOT NULL
        ORDER BY completed_at DESC LIMIT $2`,
      [clinicianId, n],
    );
    return rows.map((r) => r.seconds);
  }

  // Retention: completed, cancelled and missed appointments that ended before `before`.
  async deleteClosedBefore(before: Date, manager: EntityManager): Promise<number> {
    const result = await this.repo(manager)
      .createQueryBuilder()
      .delete()
      .where('end_at < :before', { before })
      .andWhere('status IN (:...closed)', {
        closed: [
          AppointmentStatus.Completed,
          AppointmentStatus.Cancelled,
          AppointmentStatus.NoShow,
        ],
      })
      .execute();
    return result.affected ?? 0;
  }

  // Every appointment the user is a party to (the data export).
  involving(userId: string, manager: EntityManager): Promise<AppointmentEntity[]> {
    return this.repo(manager)
      .createQueryBuilder('a')
      .where('a.patient_id = :userId OR a.clinician_id = :userId', { userId })
      .orderBy('a.start_at', 'ASC')
      .getMany();
  }

  // Erasure: the appointments stay as part of the medical record under pseudonymous ids, but
  // those still to come are cancelled and the patient's own words (the reason) go.
  async eraseFor(userId: string, manager: EntityManager): Promise<number> {
    const cancelled = await this.repo(manager)
      .createQueryBuilder()
      .update()
      .set({
        status: AppointmentStatus.Cancelled,
        cancelledAt: () => 'now()',
        cancelReason: 'erased',
      })
      .where('(patient_id = :userId OR clinician_id = :userId)', { userId })
      .andWhere('status IN (:...live)', {
        live: [AppointmentStatus.Booked, AppointmentStatus.CheckedIn],
      })
      .execute();
    const cleared = await this.repo(manager)
      .createQueryBuilder()
      .update()
      .set({ reason: null, precheckDetails: null })
      .where('patient_id = :userId', { userId })
      .andWhere('(reason IS NOT NULL OR precheck_details IS NOT NULL)')
      .execute();
    return (cancelled.affected ?? 0) + (cleared.affected ?? 0);
  }
}
