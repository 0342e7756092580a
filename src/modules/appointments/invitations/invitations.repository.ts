import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, IsNull, Repository } from 'typeorm';
import { affectedRows } from '../../../common/personal-data/personal-data.contributor';
import { InvitationEntity } from './invitation.entity';

export type NewInvitation = Pick<
  InvitationEntity,
  | 'appointmentId'
  | 'guestId'
  | 'role'
  | 'name'
  | 'email'
  | 'phone'
  | 'locale'
  | 'tokenHash'
  | 'lastSentAt'
  | 'createdBy'
>;

// Appointments whose links may still be used: not over, not cancelled or missed.
const LIVE_APPOINTMENT = `a.status IN ('booked', 'checked_in', 'in_consultation')`;

// The only code that touches appointment_invitations.
@Injectable()
export class InvitationsRepository {
  constructor(
    @InjectRepository(InvitationEntity)
    private readonly rows: Repository<InvitationEntity>,
  ) {}

  private repo(manager?: EntityManager): Repository<InvitationEntity> {
    return manager ? manager.getRepository(InvitationEntity) : this.rows;
  }

  insert(input: NewInvitation, manager: EntityManager): Promise<InvitationEntity> {
    const repo = this.repo(manager);
    return repo.save(repo.create(input));
  }

  save(invitation: InvitationEntity, manager: EntityManager): Promise<InvitationEntity> {
    return this.repo(manager).save(invitation);
  }

  findByIdForUpdate(id: string, manager: EntityManager): Promise<InvitationEntity | null> {
    return this.repo(manager).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  findByTokenHashForUpdate(
    tokenHash: string,
    manager: EntityManager,
  ): Promise<InvitationEntity | null> {
    return this.repo(manager).findOne({
      where: { tokenHash },
      lock: { mode: 'pessimistic_write' },
    });
  }

  listForAppointment(appointmentId: string): Promise<InvitationEntity[]> {
    return this.repo().find({ where: { appointmentId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  // Invitations not revoked, of one appointment (who hears of its changes and reminders).
  liveOfAppointment(appointmentId: string, manager: EntityManager): Promise<InvitationEntity[]> {
    return this.repo(manager).find({
      where: { appointmentId, revokedAt: IsNull() },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
  }

  // The live invitation of a guest in an appointment, if any.
  liveOfGuest(
    appointmentId: string,
    guestId: string,
    manager: EntityManager,
  ): Promise<InvitationEntity | null> {
    return this.repo(manager).findOne({
      where: { appointmentId, guestId, revokedAt: IsNull() },
    });
  }

  // Invitations to an address whose links still work or will (the appointment is live and its
  // window has not closed), locked for the resend that gives each a fresh token.
  async currentForAddress(
    address: { email: string } | { phone: string },
    now: Date,
    graceMinutes: number,
    manager: EntityManager,
  ): Promise<InvitationEntity[]> {
    const [column, value] =
      'email' in address ? ['email', address.email] : ['phone', address.phone];
    return this.repo(manager)
      .createQueryBuilder('i')
      .innerJoin('appointments', 'a', 'a.id = i.appointment_id')
      .where(`i.${column} = :value`, { value })
      .andWhere('i.revoked_at IS NULL')
      .andWhere(LIVE_APPOINTMENT)
      .andWhere(`a.end_at + make_interval(mins => :grace) > :now`, { grace: graceMinutes, now })
      .orderBy('i.created_at', 'ASC')
      .setLock('pessimistic_write', undefined, ['i'])
      .getMany();
  }

  // For the data export: invitations that name this person, as the guest actor or by the
  // e-mail address of their account.
  involving(subject: { id: string; email: string }, manager: EntityManager) {
    return this.repo(manager)
      .createQueryBuilder('i')
      .where('i.guest_id = :id OR i.email = :email', { id: subject.id, email: subject.email })
      .orderBy('i.created_at', 'ASC')
      .getMany();
  }

  // Erasure: the invitations naming the person go (the guest actor with them when it is the
  // subject); those they sent keep no trace of them.
  async eraseFor(subject: { id: string; email: string }, manager: EntityManager): Promise<number> {
    const removed = await affectedRows(
      manager,
      `DELETE FROM appointment_invitations WHERE guest_id = $1 OR email = $2`,
      [subject.id, subject.email],
    );
    const unlinked = await affectedRows(
      manager,
      `UPDATE appointment_invitations
          SET created_by = CASE WHEN created_by = $1 THEN NULL ELSE created_by END,
              revoked_by = CASE WHEN revoked_by = $1 THEN NULL ELSE revoked_by END
        WHERE created_by = $1 OR revoked_by = $1`,
      [subject.id],
    );
    return removed + unlinked;
  }

  // Retention: invitations of appointments that ended before `before` lose how to reach the
  // person and their link (name, role and times stay with the appointment's record).
  scrubEndedBefore(before: Date, manager: EntityManager): Promise<number> {
    return affectedRows(
      manager,
      `UPDATE appointment_invitations i
          SET email = NULL, phone = NULL, device_hash = NULL,
              token_hash = encode(sha256(gen_random_uuid()::text::bytea), 'hex')
         FROM appointments a
        WHERE a.id = i.appointment_id AND a.end_at < $1
          AND (i.email IS NOT NULL OR i.phone IS NOT NULL)`,
      [before],
    );
  }
}
