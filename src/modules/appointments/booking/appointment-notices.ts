import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Role } from '../../../common/auth/role';
import { AppConfig } from '../../../config/app-config';
import { OutboxChannel } from '../../outbox/outbox-message.entity';
import { OutboxService } from '../../outbox/outbox.service';
import type { UserEntity } from '../../users/user.entity';
import { UsersService } from '../../users/users.service';
import { AvailabilityRepository } from '../availability/availability.repository';
import type { InvitationEntity } from '../invitations/invitation.entity';
import { InvitationsRepository } from '../invitations/invitations.repository';
import { type AppointmentEntity, AppointmentStatus } from './appointment.entity';

const REMINDER = 'appointment_reminder';
export const INVITATION_KIND = 'invitation';

// Where a message goes: a person with an account by e-mail; an invitee by e-mail, or by SMS
// when the invitation names only a phone number.
interface Recipient {
  channel: OutboxChannel;
  address: string;
  locale: string | null;
  // Set for invitees: lets a revoked invitation's pending messages be withdrawn.
  invitationId?: string;
  // The clinician's own messages do not name the clinician.
  isClinician: boolean;
}

// The mails of an appointment (docs/appointments.md, "Messages"), written to the outbox in the
// transaction of the change: the booking to the patient, a change or cancellation to every
// party but the one who made it, and the reminders APPOINTMENT_REMINDER_MINUTES before the
// start. A reminder is an outbox row due at its moment, so however many instances run, the
// relay's claim sends it once; a change withdraws the reminders it makes wrong. Payloads hold
// times and ids (and the clinician's name for the patient), never the reason. Invitees (people
// invited by link, docs/appointments.md "Invitations") get the same reminders and changes at
// the address of their invitation, by SMS when it has only a phone number; a patient without an
// account (a guest actor) is reached that way only.
@Injectable()
export class AppointmentNotices {
  constructor(
    private readonly outbox: OutboxService,
    private readonly users: UsersService,
    private readonly availability: AvailabilityRepository,
    private readonly invitations: InvitationsRepository,
    private readonly config: AppConfig,
  ) {}

  async booked(a: AppointmentEntity, m: EntityManager, now = new Date()): Promise<void> {
    const { patient, clinician, timezone } = await this.parties(a, m);
    // An invitee patient hears of the booking through their invitation.
    if (patient.role === Role.Guest) return;
    const to = accountRecipient(patient, clinician);
    await this.send(to, 'appointment_booked', a, timezone, clinician, m);
    await this.remind(a, [to], clinician, timezone, now, m);
  }

  // An invitation's link (its one-time token, scrubbed from the outbox once delivered), with
  // the appointment's times and .ics, and the reminders still to come for this invitee.
  async invitation(
    a: AppointmentEntity,
    invitation: InvitationEntity,
    token: string,
    m: EntityManager,
    options: { now?: Date; reminders?: boolean } = {},
  ): Promise<void> {
    const { clinician, timezone } = await this.parties(a, m);
    const to = inviteeRecipient(invitation);
    const grace = this.config.appointments.invitationGraceMinutes;
    await this.send(to, INVITATION_KIND, a, timezone, clinician, m, undefined, {
      token,
      inviterName: clinician.displayName,
      // A link that can no longer be used is not worth sending.
      expiresAt: new Date(a.endAt.getTime() + grace * 60_000),
    });
    if (options.reminders !== false)
      await this.remind(a, [to], clinician, timezone, options.now ?? new Date(), m);
  }

  // A revoked invitation: its link and reminders that have not gone out yet never will.
  async invitationRevoked(invitationId: string, m: EntityManager): Promise<void> {
    await this.outbox.withdraw(m, INVITATION_KIND, 'invitationId', invitationId);
    await this.outbox.withdraw(m, REMINDER, 'invitationId', invitationId);
  }

  // Moved or cancelled: the old reminders go, the others hear of it, a moved one is reminded
  // at its new time.
  async changed(
    a: AppointmentEntity,
    actorId: string,
    m: EntityManager,
    now = new Date(),
  ): Promise<void> {
    await this.outbox.withdraw(m, REMINDER, 'appointmentId', a.id);
    const { patient, clinician, timezone } = await this.parties(a, m);
    const invitees = (await this.invitations.liveOfAppointment(a.id, m)).map(inviteeRecipient);
    const told = [
      ...[patient, clinician]
        .filter((p) => p.id !== actorId && p.role !== Role.Guest)
        .map((p) => accountRecipient(p, clinician)),
      ...invitees,
    ];
    for (const to of told) await this.send(to, 'appointment_changed', a, timezone, clinician, m);
    if (a.status !== AppointmentStatus.Cancelled) {
      const reminded = [
        ...(patient.role === Role.Guest ? [] : [accountRecipient(patient, clinician)]),
        ...invitees,
      ];
      await this.remind(a, reminded, clinician, timezone, now, m);
    }
  }

  private async remind(
    a: AppointmentEntity,
    recipients: Recipient[],
    clinician: UserEntity,
    timezone: string | undefined,
    now: Date,
    m: EntityManager,
  ): Promise<void> {
    for (const minutes of this.config.appointments.reminderMinutes) {
      const at = new Date(a.startAt.getTime() - minutes * 60_000);
      if (at.getTime() <= now.getTime()) continue;
      for (const to of recipients) await this.send(to, REMINDER, a, timezone, clinician, m, at);
    }
  }

  private async send(
    to: Recipient,
    kind: string,
    a: AppointmentEntity,
    timezone: string | undefined,
    clinician: UserEntity,
    m: EntityManager,
    notBefore?: Date,
    extra: { token?: string; inviterName?: string; expiresAt?: Date } = {},
  ): Promise<void> {
    await this.outbox.enqueue(m, {
      channel: to.channel,
      recipient: to.address,
      kind,
      payload: {
        appointmentId: a.id,
        start: a.startAt.toISOString(),
        end: a.endAt.toISOString(),
        status: a.status,
        updatedAt: a.updatedAt.toISOString(),
        ...(to.locale ? { locale: to.locale } : {}),
        ...(timezone ? { timezone } : {}),
        ...(to.isClinician ? {} : { clinicianName: clinician.displayName }),
        ...(to.invitationId ? { invitationId: to.invitationId } : {}),
        ...(extra.token ? { token: extra.token } : {}),
        ...(extra.inviterName ? { inviterName: extra.inviterName } : {}),
      },
      // A reminder after the start is no reminder.
      ...(notBefore ? { notBefore, expiresAt: a.startAt } : {}),
      ...(extra.expiresAt ? { expiresAt: extra.expiresAt } : {}),
    });
  }

  // The two parties, and the clinic's time zone (the clinician's working hours) for the
  // times in the mail; UTC when the clinician has none.
  private async parties(
    a: AppointmentEntity,
    m: EntityManager,
  ): Promise<{ patient: UserEntity; clinician: UserEntity; timezone: string | undefined }> {
    const found = await this.users.findByIds([a.patientId, a.clinicianId], m);
    const patient = found.find((u) => u.id === a.patientId) as UserEntity;
    const clinician = found.find((u) => u.id === a.clinicianId) as UserEntity;
    const timezone = (await this.availability.find(a.clinicianId, m))?.timezone;
    return { patient, clinician, timezone };
  }
}

function accountRecipient(user: UserEntity, clinician: UserEntity): Recipient {
  return {
    channel: OutboxChannel.Email,
    address: user.email,
    locale: user.locale,
    isClinician: user.id === clinician.id,
  };
}

function inviteeRecipient(i: InvitationEntity): Recipient {
  return {
    channel: i.email ? OutboxChannel.Email : OutboxChannel.Sms,
    address: (i.email ?? i.phone) as string,
    locale: i.locale,
    invitationId: i.id,
    isClinician: false,
  };
}
