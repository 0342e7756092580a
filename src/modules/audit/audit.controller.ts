import { Readable } from 'node:stream';
import { Controller, Get, Query, StreamableFile } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Authenticated } from '../../common/auth/authenticated.decorator';
import { Public } from '../../common/auth/public.decorator';
import { Role } from '../../common/auth/role';
import { AuditContext, type RequestContext } from './audit-context';
import { AuditTrailService } from './export/audit-trail.service';
import { AuditRangeQuery, ExportAuditQuery, ListAuditEventsQuery } from './dto/audit-query.dto';
import {
  AuditEventPageResponse,
  AuditPublicKeyResponse,
  AuditVerifyResponse,
  toAuditEventResponse,
  toAuditVerifyResponse,
} from './dto/audit-response.dto';

const date = (iso: string | undefined) => (iso === undefined ? undefined : new Date(iso));

@ApiTags('audit')
@Controller('audit')
export class AuditController {
  constructor(private readonly trail: AuditTrailService) {}

  @Get('events')
  @Authenticated({ roles: [Role.ComplianceOfficer, Role.Admin] })
  @ApiOkResponse({ type: AuditEventPageResponse })
  async events(
    @Query() q: ListAuditEventsQuery,
    @AuditContext() ctx: RequestContext,
  ): Promise<AuditEventPageResponse> {
    const { from, to, cursor, limit, ...rest } = q;
    const page = await this.trail.list(
      { ...rest, from: date(from), to: date(to) },
      cursor ?? null,
      limit ?? 50,
      ctx,
    );
    return { items: page.items.map(toAuditEventResponse), nextCursor: page.nextCursor };
  }

  @Get('export')
  @Authenticated({ roles: [Role.ComplianceOfficer, Role.Admin] })
  @ApiProduces('application/x-ndjson', 'text/csv', 'application/fhir+json')
  @ApiOkResponse({ description: 'The records of the range, then the checkpoints signing them.' })
  async export(
    @Query() q: ExportAuditQuery,
    @AuditContext() ctx: RequestContext,
  ): Promise<StreamableFile> {
    const file = await this.trail.export(q.format, { from: date(q.from), to: date(q.to) }, ctx);
    return new StreamableFile(Readable.from(file.body), {
      type: file.contentType,
      disposition: `attachment; filename="${file.filename}"`,
    });
  }

  @Get('verify')
  @Authenticated({ roles: [Role.ComplianceOfficer, Role.Admin] })
  @ApiOkResponse({ type: AuditVerifyResponse })
  async verify(
    @Query() q: AuditRangeQuery,
    @AuditContext() ctx: RequestContext,
  ): Promise<AuditVerifyResponse> {
    return toAuditVerifyResponse(
      await this.trail.verify({ from: date(q.from), to: date(q.to) }, ctx),
    );
  }

  // Published so that anyone holding an export can check its signatures.
  @Get('public-key')
  @Public()
  @ApiOkResponse({ type: AuditPublicKeyResponse })
  publicKey(): AuditPublicKeyResponse {
    return this.trail.publicKey();
  }
}
