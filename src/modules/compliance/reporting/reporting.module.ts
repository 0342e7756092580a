import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { WebhooksModule } from '../../webhooks/webhooks.module';
import { ComplianceAlertEntity, ComplianceAlertScanEntity } from './compliance-alert.entity';
import { ComplianceAlertsMetrics } from './compliance-alerts.metrics';
import { ComplianceAlertsPersonalData } from './compliance-alerts-personal-data';
import { ComplianceAlertsRepository } from './compliance-alerts.repository';
import { ComplianceAlertsScanner } from './compliance-alerts.scanner';
import { ComplianceAlertsService } from './compliance-alerts.service';
import { ProcessingInventoryService } from './processing-inventory.service';
import { ReportingController } from './reporting.controller';

// C11, C17 and C18 of docs/compliance.md: access reports, alarms, the processing inventory.
@Module({
  imports: [
    WebhooksModule,
    TypeOrmModule.forFeature([ComplianceAlertEntity, ComplianceAlertScanEntity]),
  ],
  controllers: [ReportingController],
  providers: [
    ComplianceAlertsRepository,
    ComplianceAlertsService,
    ComplianceAlertsMetrics,
    ComplianceAlertsScanner,
    ComplianceAlertsPersonalData,
    ProcessingInventoryService,
  ],
  exports: [ComplianceAlertsService],
})
export class ReportingModule {}
