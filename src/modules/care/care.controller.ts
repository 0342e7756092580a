import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser } from '../../common/auth/auth-user';
import { Authenticated } from '../../common/auth/authenticated.decorator';
import { Role } from '../../common/auth/role';
import { ApiProblem } from '../../common/errors/problem.response';
import { ClientMeta, type RequestMeta } from '../../common/http/request-meta';
import { IdPipe } from '../../common/validation/ids';
import { CareService } from './care.service';
import {
  CareRelationshipListResponse,
  CareRelationshipResponse,
  ListCareRelationshipsQuery,
} from './dto/care-relationship.dto';

// The two parties of a care relationship: clinicians (doctors) and patients.
const PARTIES = [Role.Doctor, Role.Patient];

@ApiTags('care')
@Controller('care-relationships')
export class CareController {
  constructor(private readonly care: CareService) {}

  @Get()
  @Authenticated({ roles: PARTIES })
  @ApiOperation({
    operationId: 'listCareRelationships',
    summary:
      'The caller’s care relationships: a doctor’s patients, a patient’s clinicians (docs/access-model.md)',
  })
  @ApiOkResponse({ type: CareRelationshipListResponse })
  @ApiProblem(400, 'Invalid query (VALIDATION_FAILED).')
  list(
    @CurrentUser() user: AuthUser,
    @Query() query: ListCareRelationshipsQuery,
  ): Promise<CareRelationshipListResponse> {
    return this.care.list(user, query);
  }

  @Post(':id/end')
  @HttpCode(200)
  @Authenticated({ roles: PARTIES })
  @ApiOperation({
    operationId: 'endCareRelationship',
    summary:
      'End a care relationship (either party): the patient’s end is immediate; a clinician’s is a discharge that keeps the follow-up window after the last consultation',
  })
  @ApiOkResponse({ type: CareRelationshipResponse })
  @ApiProblem(400, 'The id is not a UUID (VALIDATION_FAILED).')
  @ApiProblem(404, 'No such relationship, or the caller is not a party to it (NOT_FOUND).')
  @ApiProblem(409, 'It has already ended (CONFLICT).')
  end(
    @CurrentUser() user: AuthUser,
    @Param('id', new IdPipe('4')) id: string,
    @ClientMeta() meta: RequestMeta,
  ): Promise<CareRelationshipResponse> {
    return this.care.end(user, id, meta);
  }
}
