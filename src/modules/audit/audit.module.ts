import { AnonymousRefusalBudget } from './anonymous-refusals';
import { AuditPersonalData } from './audit-personal-data';
import { Global, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditCheckpointEntity } from './audit-checkpoint.entity';
import { AuditCheckpointer } from './chain/audit-checkpointer';
import { AuditController } from './audit.controller';
import { AuditDenialsInterceptor } from './audit-denials.interceptor';
import { AuditEventEntity } from './audit-event.entity';
import { AuditMetrics } from './audit.metrics';
import { AuditRepository } from './audit.repository';
import { AuditService } from './audit.service';
import { AuditTrailService } from './export/audit-trail.service';
import { AccessReportService } from './access-report/access-report.service';
import { AuditPatterns } from './access-report/audit-patterns.service';
import { SiemForwarder } from './siem/siem-forwarder';
import { SiemMetrics } from './siem/siem.metrics';
import { SiemRecipient } from './siem/siem-recipient';
import { SiemRepository } from './siem/siem.repository';

// Global: every feature module records through AuditService.
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([AuditEventEntity, AuditCheckpointEntity])],
  controllers: [AuditController],
  providers: [
    AuditPersonalData,
    AuditRepository,
    AuditMetrics,
    AuditCheckpointer,
    AuditService,
    AuditTrailService,
    AnonymousRefusalBudget,
    AccessReportService,
    AuditPatterns,
    SiemRepository,
    SiemMetrics,
    SiemForwarder,
    SiemRecipient,
    { provide: APP_INTERCEPTOR, useClass: AuditDenialsInterceptor },
  ],
  exports: [AuditService, AnonymousRefusalBudget, AccessReportService, AuditPatterns],
})
export class AuditModule {}
