import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { AuthUser } from '../../../common/auth/auth-user';
import { CurrentUser } from '../../../common/auth/auth-user';
import { Authenticated } from '../../../common/auth/authenticated.decorator';
import { ACCOUNT_ROLES, Role } from '../../../common/auth/role';
import { AppException } from '../../../common/errors/app.exception';
import { ApiProblem } from '../../../common/errors/problem.response';
import { IdPipe } from '../../../common/validation/ids';
import { AuditContext, type RequestContext } from '../../audit/audit-context';
import { AccessReportService } from '../../audit/access-report/access-report.service';
import { ComplianceAlertsService } from './compliance-alerts.service';
import {
  AccessReportQuery,
  AccessReportResponse,
  AcknowledgeAlertRequest,
  AlertListResponse,
  AlertResponse,
  ListAlertsQuery,
  ProcessingInventoryQuery,
} from './dto/reporting.dto';
import { ProcessingInventoryService } from './processing-inventory.service';
import { toAccessReportResponse, toAlertResponse } from './reporting.mapper';

const SEQ_CURSOR = /^[1-9][0-9]{0,18}$/;

function accessQuery(personId: string, q: AccessReportQuery) {
  if (q.cursor !== undefined && !SEQ_CURSOR.test(q.cursor)) {
    throw AppException.validation([
      { field: 'cursor', messages: ['cursor must be a nextCursor value'] },
    ]);
  }
  return {
    personId,
    from: q.from ? new Date(q.from) : null,
    to: q.to ? new Date(q.to) : null,
    cursor: q.cursor ?? null,
    limit: q.limit ?? 50,
  };
}

// Compliance reporting (docs/compliance.md: C11 access reports, C17 alerts, C18 processing
// inventory). Every call is audited by the service it delegates to.
@ApiTags('compliance')
@Controller()
export class ReportingController {
  constructor(
    private readonly accessReports: AccessReportService,
    private readonly alerts: ComplianceAlertsService,
    private readonly inventory: ProcessingInventoryService,
  ) {}

  @Get('users/me/access-report')
  @Authenticated({ roles: [...ACCOUNT_ROLES] })
  @ApiOperation({
    operationId: 'getMyAccessReport',
    summary:
      'Who read or changed my data, on what basis, and which third parties received it (every role, about themselves); audited',
  })
  @ApiOkResponse({ type: AccessReportResponse })
  @ApiProblem(400, 'Invalid query (VALIDATION_FAILED).')
  async mine(
    @CurrentUser() user: AuthUser,
    @Query() q: AccessReportQuery,
    @AuditContext() ctx: RequestContext,
  ): Promise<AccessReportResponse> {
    return toAccessReportResponse(await this.accessReports.report(accessQuery(user.id, q), ctx));
  }

  @Get('compliance/access-reports/:userId')
  @Authenticated({ roles: [Role.ComplianceOfficer] })
  @ApiOperation({
    operationId: 'getAccessReport',
    summary: 'The access report of any person (compliance officer); audited',
  })
  @ApiOkResponse({ type: AccessReportResponse })
  @ApiProblem(400, 'Invalid id or query (VALIDATION_FAILED).')
  async ofPerson(
    @Param('userId', new IdPipe('all')) userId: string,
    @Query() q: AccessReportQuery,
    @AuditContext() ctx: RequestContext,
  ): Promise<AccessReportResponse> {
    return toAccessReportResponse(await this.accessReports.report(accessQuery(userId, q), ctx));
  }

  @Get('compliance/alerts')
  @Authenticated({ roles: [Role.ComplianceOfficer] })
  @ApiOperation({
    operationId: 'listComplianceAlerts',
    summary:
      'Bulk-access, break-glass, refusal and export alerts, newest first (compliance officer); audited',
  })
  @ApiOkResponse({ type: AlertListResponse })
  @ApiProblem(400, 'Invalid query (VALIDATION_FAILED).')
  async listAlerts(
    @Query() q: ListAlertsQuery,
    @AuditContext() ctx: RequestContext,
  ): Promise<AlertListResponse> {
    const page = await this.alerts.list(q.status, q.cursor ?? null, q.limit ?? 50, ctx);
    return { items: page.items.map(toAlertResponse), nextCursor: page.nextCursor };
  }

  @Post('compliance/alerts/:id/acknowledge')
  @HttpCode(200)
  @Authenticated({ roles: [Role.ComplianceOfficer] })
  @ApiOperation({
    operationId: 'acknowledgeComplianceAlert',
    summary: 'Acknowledge an alert with a note (compliance officer); audited',
  })
  @ApiOkResponse({ type: AlertResponse })
  @ApiProblem(400, 'Missing note (VALIDATION_FAILED).')
  @ApiProblem(404, 'No such alert (NOT_FOUND).')
  @ApiProblem(409, 'Already acknowledged (CONFLICT).')
  async acknowledge(
    @Param('id', new IdPipe('all')) id: string,
    @Body() body: AcknowledgeAlertRequest,
    @CurrentUser() user: AuthUser,
    @AuditContext() ctx: RequestContext,
  ): Promise<AlertResponse> {
    return toAlertResponse(await this.alerts.acknowledge(id, body.note, user, ctx));
  }

  @Get('compliance/processing-inventory')
  @Authenticated({ roles: [Role.ComplianceOfficer] })
  @ApiOperation({
    operationId: 'getProcessingInventory',
    summary:
      'The record of processing activities, generated from the personal-data registry and the configured providers (compliance officer; JSON or CSV); audited',
  })
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({ description: 'The inventory (docs/compliance.md, C18).' })
  @ApiProblem(400, 'Invalid format (VALIDATION_FAILED).')
  async processingInventory(
    @Query() q: ProcessingInventoryQuery,
    @AuditContext() ctx: RequestContext,
    @Res({ passthrough: true }) res: Response,
  ): Promise<unknown> {
    const format = q.format ?? 'json';
    const inv = await this.inventory.inventory(format, ctx);
    if (format === 'json') return inv;
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', 'attachment; filename="hekim-processing-inventory.csv"');
    return this.inventory.toCsv(inv);
  }
}
