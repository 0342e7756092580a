import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AppConfig } from '../../../config/app-config';
import { OutboxChannel } from '../../outbox/outbox-message.entity';
import { OutboxService } from '../../outbox/outbox.service';
import type { UserEntity } from '../../users/user.entity';
import { UsersService } from '../../users/users.service';
import { AvailabilityRepository } from '../availability/availability.repository';
import { type AppointmentEntity, AppointmentStatus } from './appointment.entity';

const REMINDER = 'appointment_reminder';

// The mails of an appointment (docs/appointments.md, "Messages"), written to the outbox in the
// transaction of the change: the booking to the patient, a change or cancellation to every
// party but the one who made it, and the reminders APPOINTMENT_REMINDER_MINUTES before the
// start. A reminder is an outbox row due at its moment, so however many instances run, the
// relay's claim sends it once; a change withdraws the reminders it makes wrong. Payloads hold
// times and ids (and the clinician's name for the patient), never the reason.
@Injectable()
export class AppointmentNotices {
  constructor(
    private readonly outbox: OutboxService,
    private readonly users: UsersService,
    private readonly availability: AvailabilityRepository,
    private readonly config: AppConfig,
  ) {}

  async booked(a: AppointmentEntity, m: EntityManager, now = new Date()): Promise<void> {
    const { patient, clinician, timezone } = await this.parties(a, m);
    await this.mail(patient, 'appointment_booked', a, timezone, clinician, m);
    await this.remind(a, patient, clinician, timezone, now, m);
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
    for (const party of [patient, clinician])
      if (party.id !== actorId)
        await this.mail(party, 'appointment_changed', a, timezone, clinician, m);
    if (a.status !== AppointmentStatus.Cancelled)
      await this.remind(a, patient, clinician, timezone, now, m);
  }

  private async remind(
    a: AppointmentEntity,
    patient: UserEntity,
    clinician: UserEntity,
    timezone: string | undefined,
    now: Date,
    m: EntityManager,
  ): Promise<void> {
    for (const minutes of this.config.appointments.reminderMinutes) {
      const at = new Date(a.startAt.getTime() - minutes * 60_000);
      if (at.getTime() <= now.getTime()) continue;
      await this.mail(patient, REMINDER, a, timezone, clinician, m, at);
    }
  }

  private async mail(
    to: UserEntity,
    kind: string,
    a: AppointmentEntity,
    timezone: string | undefined,
    clinician: UserEntity,
    m: EntityManager,
    notBefore?: Date,
  ): Promise<void> {
    await this.outbox.enqueue(m, {
      channel: OutboxChannel.Email,
      recipient: to.email,
      kind,
      payload: {
        appointmentId: a.id,
        start: a.startAt.toISOString(),
        end: a.endAt.toISOString(),
        status: a.status,
        updatedAt: a.updatedAt.toISOString(),
        ...(to.locale ? { locale: to.locale } : {}),
        ...(timezone ? { timezone } : {}),
        ...(to.id !== clinician.id ? { clinicianName: clinician.displayName } : {}),
      },
      // A reminder after the start is no reminder.
      ...(notBefore ? { notBefore, expiresAt: a.startAt } : {}),
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
