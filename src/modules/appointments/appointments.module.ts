import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { UsersModule } from '../users/users.module';
import { AvailabilityPersonalData } from './availability/availability-personal-data';
import { AvailabilityController } from './availability/availability.controller';
import { ClinicianAvailabilityEntity } from './availability/availability.entity';
import { AvailabilityRepository } from './availability/availability.repository';
import { AvailabilityService } from './availability/availability.service';

// The clinic's day (docs/appointments.md): clinicians' working hours and their free slots.
@Module({
  imports: [TypeOrmModule.forFeature([ClinicianAvailabilityEntity]), UsersModule],
  controllers: [AvailabilityController],
  providers: [AvailabilityRepository, AvailabilityService, AvailabilityPersonalData],
})
export class AppointmentsModule {}
