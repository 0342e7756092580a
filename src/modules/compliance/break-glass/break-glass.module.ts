import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { EmergencyAccessPort } from '../../users/ports/emergency-access.port';
import { UsersModule } from '../../users/users.module';
import { BreakGlassGrantEntity } from './break-glass-grant.entity';
import { BreakGlassPersonalData } from './break-glass-personal-data';
import { BreakGlassController } from './break-glass.controller';
import { BreakGlassRepository } from './break-glass.repository';
import { BreakGlassService } from './break-glass.service';

// Global so that the users module's access policy gets EmergencyAccessPort without importing
// this module (which depends on users).
@Global()
@Module({
  imports: [UsersModule, TypeOrmModule.forFeature([BreakGlassGrantEntity])],
  controllers: [BreakGlassController],
  providers: [
    BreakGlassRepository,
    BreakGlassService,
    BreakGlassPersonalData,
    { provide: EmergencyAccessPort, useExisting: BreakGlassService },
  ],
  exports: [BreakGlassService, EmergencyAccessPort],
})
export class BreakGlassModule {}
