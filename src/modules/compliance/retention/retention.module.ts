import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppointmentsModule } from '../../appointments/appointments.module';
import { CallsModule } from '../../calls/calls.module';
import { ChatModule } from '../../chat/chat.module';
import { SessionsModule } from '../../sessions/sessions.module';
import { RetentionRunEntity } from './retention-run.entity';
import { RetentionRepository } from './retention.repository';
import { RetentionScheduler } from './retention.scheduler';
import { RunRetention } from './run-retention.usecase';

// Retention of ended sessions, calls, closed appointments, invitations' contact details and
// chat messages (docs/compliance.md): the scheduled job and the
// `npm run retention:run` command share RunRetention.
@Module({
  imports: [
    TypeOrmModule.forFeature([RetentionRunEntity]),
    SessionsModule,
    CallsModule,
    AppointmentsModule,
    ChatModule,
  ],
  providers: [RetentionRepository, RunRetention, RetentionScheduler],
  exports: [RunRetention],
})
export class RetentionModule {}
