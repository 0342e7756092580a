import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth/auth.module';
import { CareModule } from '../care/care.module';
import { RoomsModule } from '../rooms/rooms.module';
import { SessionsModule } from '../sessions/sessions.module';
import { UsersModule } from '../users/users.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { AvailabilityPersonalData } from './availability/availability-personal-data';
import { AvailabilityController } from './availability/availability.controller';
import { ClinicianAvailabilityEntity } from './availability/availability.entity';
import { AvailabilityRepository } from './availability/availability.repository';
import { AvailabilityService } from './availability/availability.service';
import { AppointmentAdmissions } from './booking/appointment-admissions';
import { AppointmentNotices } from './booking/appointment-notices';
import { AppointmentEntity } from './booking/appointment.entity';
import { AppointmentsPersonalData } from './booking/appointments-personal-data';
import { AppointmentsController } from './booking/appointments.controller';
import { AppointmentsRepository } from './booking/appointments.repository';
import { AppointmentsService } from './booking/appointments.service';
import { NoShowSweeper } from './booking/no-show.sweeper';
import { FhirController } from './fhir/fhir.controller';
import { FhirService } from './fhir/fhir.service';
import { AppointmentQueueController } from './queue/appointment-queue.controller';
import { QueueEvents } from './queue/queue-events';
import { InvitationEntity } from './invitations/invitation.entity';
import { InvitationsPersonalData } from './invitations/invitations-personal-data';
import { InvitationsController } from './invitations/invitations.controller';
import { InvitationsRepository } from './invitations/invitations.repository';
import { InvitationsService } from './invitations/invitations.service';
import { QueueController } from './queue/queue.controller';
import { QueueService } from './queue/queue.service';

// The clinic's day (docs/appointments.md): clinicians' working hours, their free slots, and
// the appointments booked into them, and invitation links to their rooms.
@Module({
  imports: [
    TypeOrmModule.forFeature([ClinicianAvailabilityEntity, AppointmentEntity, InvitationEntity]),
    AuthModule,
    UsersModule,
    RoomsModule,
    SessionsModule,
    CareModule,
    WebhooksModule,
  ],
  controllers: [
    AvailabilityController,
    AppointmentsController,
    InvitationsController,
    FhirController,
    QueueController,
    AppointmentQueueController,
  ],
  providers: [
    AvailabilityRepository,
    AvailabilityService,
    AvailabilityPersonalData,
    AppointmentsRepository,
    AppointmentsService,
    AppointmentsPersonalData,
    AppointmentNotices,
    AppointmentAdmissions,
    NoShowSweeper,
    FhirService,
    QueueService,
    QueueEvents,
    InvitationsRepository,
    InvitationsService,
    InvitationsPersonalData,
  ],
  exports: [AppointmentsService, QueueService, QueueEvents, InvitationsService],
})
export class AppointmentsModule {}
