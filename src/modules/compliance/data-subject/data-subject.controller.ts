import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../../../common/auth/auth-user';
import { CurrentUser } from '../../../common/auth/auth-user';
import { Authenticated } from '../../../common/auth/authenticated.decorator';
import { Role } from '../../../common/auth/role';
import { ApiProblem } from '../../../common/errors/problem.response';
import { ClientMeta, type RequestMeta } from '../../../common/http/request-meta';
import { PageQuery } from '../../../common/pagination/page-query.dto';
import { DataSubjectService } from './data-subject.service';
import {
  DataExportResponse,
  ErasureDecisionResponse,
  ErasureRequestListResponse,
  ErasureRequestResponse,
  RejectErasureRequest,
} from './dto/data-subject.dto';
import { IdPipe } from '../../../common/validation/ids';

const uuid = new IdPipe('4');

@ApiTags('compliance')
@Controller()
export class DataSubjectController {
  constructor(private readonly dataSubject: DataSubjectService) {}

  @Get('users/me/data-export')
  @Authenticated()
  @ApiOperation({
    operationId: 'exportMyData',
    summary: 'Everything Hekim holds about the caller, as JSON (KVKK art. 11); audited',
  })
  @ApiOkResponse({ type: DataExportResponse })
  export(
    @CurrentUser() user: AuthUser,
    @ClientMeta() meta: RequestMeta,
  ): Promise<DataExportResponse> {
    return this.dataSubject.export(user, meta);
  }

  @Post('users/me/erasure-request')
  @HttpCode(202)
  @Authenticated({ roles: [Role.Patient] })
  @ApiOperation({
    operationId: 'requestErasure',
    summary:
      'Ask for the erasure of the caller’s personal data (patients); a compliance officer decides within 30 days',
  })
  @ApiAcceptedResponse({ type: ErasureRequestResponse })
  requestErasure(
    @CurrentUser() user: AuthUser,
    @ClientMeta() meta: RequestMeta,
  ): Promise<ErasureRequestResponse> {
    return this.dataSubject.requestErasure(user, meta);
  }

  @Get('compliance/requests')
  @Authenticated({ roles: [Role.ComplianceOfficer] })
  @ApiOperation({
    operationId: 'listDataSubjectRequests',
    summary: 'Open data-subject requests, soonest due first (compliance officer)',
  })
  @ApiOkResponse({ type: ErasureRequestListResponse })
  @ApiProblem(400, 'Invalid query (VALIDATION_FAILED).')
  list(@Query() query: PageQuery): Promise<ErasureRequestListResponse> {
    return this.dataSubject.listOpen(query);
  }

  @Post('compliance/erasure-requests/:id/approve')
  @HttpCode(200)
  @Authenticated({ roles: [Role.ComplianceOfficer] })
  @ApiOperation({
    operationId: 'approveErasureRequest',
    summary:
      'Approve: anonymize the person now (crypto-shred the profile, replace name and e-mail, end sessions); recorded',
  })
  @ApiOkResponse({ type: ErasureDecisionResponse })
  @ApiProblem(400, 'The id is not a UUID (VALIDATION_FAILED).')
  @ApiProblem(404, 'No such request (NOT_FOUND).')
  @ApiProblem(409, 'The request was decided already (CONFLICT).')
  approve(
    @CurrentUser() user: AuthUser,
    @Param('id', uuid) id: string,
    @ClientMeta() meta: RequestMeta,
  ): Promise<ErasureDecisionResponse> {
    return this.dataSubject.approve(user, id, meta);
  }

  @Post('compliance/erasure-requests/:id/reject')
  @HttpCode(200)
  @Authenticated({ roles: [Role.ComplianceOfficer] })
  @ApiOperation({
    operationId: 'rejectErasureRequest',
    summary: 'Reject with a written reason (compliance officer)',
  })
  @ApiOkResponse({ type: ErasureDecisionResponse })
  @ApiProblem(400, 'The reason is missing or too short (VALIDATION_FAILED).')
  @ApiProblem(404, 'No such request (NOT_FOUND).')
  @ApiProblem(409, 'The request was decided already (CONFLICT).')
  reject(
    @CurrentUser() user: AuthUser,
    @Param('id', uuid) id: string,
    @Body() body: RejectErasureRequest,
    @ClientMeta() meta: RequestMeta,
  ): Promise<ErasureDecisionResponse> {
    return this.dataSubject.reject(user, id, body.reason, meta);
  }
}
