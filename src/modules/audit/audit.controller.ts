import { Readable } from 'node:stream';
import { Controller, Get, Query, StreamableFile } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags, ApiOperation } from '@nestjs/swagger';
import { Authenticated } from '../../common/auth/authenticated.decorator';
import { Public } from '../../common/auth/public.decorator';
import { ApiProblem } from '../../common/errors/problem.response';
import { Role } from '../../common/auth/role';
import { EXPORT_MEDIA } from './export/audit-export-format';
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

// The media types of `format=ndjson|csv|fhir` (docs/audit.md).
const EXPORT_TYPES = Object.values(EXPORT_MEDIA).map((m) => m.contentType.split(';')[0]);

const date = (iso: string | undefined) => (iso === undefined ? undefined : new Date(iso));

@ApiTags('audit')
@Controller('audit')
export class AuditController {
  constructor(private readonly trail: AuditTrailService) {}

  @Get('events')
  @Authenticated({ roles: [Role.ComplianceOfficer, Role.Admin] })
  @ApiOperation({
    operationId: 'listAuditEvents',
    summary: 'Audit events of a range, filtered (compliance officer, admin); itself audited',
  })
  @ApiOkResponse({ type: AuditEventPageResponse })
  @ApiProblem(400, 'Invalid query (VALIDATION_FAILED).')
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
  @ApiOperation({
    operationId: 'exportAuditTrail',
    summary:
      'Stream the audit records of a range and the checkpoints signing them (NDJSON, CSV or FHIR); itself audited',
  })
  @ApiProduces(...EXPORT_TYPES)
  @ApiOkResponse({
    description:
      'The records of the range, then the checkpoints signing them, as an attachment in the requested format (docs/audit.md).',
    content: Object.fromEntries(EXPORT_TYPES.map((type) => [type, { schema: { type: 'string' } }])),
  })
  @ApiProblem(400, 'Invalid query (VALIDATION_FAILED).')
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
  @ApiOperation({
    operationId: 'verifyAuditTrail',
    summary: 'Check the hash chain and the checkpoint signatures of a range; itself audited',
  })
  @ApiOkResponse({ type: AuditVerifyResponse })
  @ApiProblem(400, 'Invalid query (VALIDATION_FAILED).')
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
  @ApiOperation({
    operationId: 'getAuditPublicKey',
    summary: 'The public key that signs audit checkpoints, for checking an export',
  })
  @ApiOkResponse({ type: AuditPublicKeyResponse })
  @ApiProblem(429, 'Too many requests (RATE_LIMITED, with Retry-After).')
  publicKey(): AuditPublicKeyResponse {
    return this.trail.publicKey();
  }
}
