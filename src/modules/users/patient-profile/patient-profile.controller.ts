import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../../../common/auth/auth-user';
import { CurrentUser } from '../../../common/auth/auth-user';
import { Authenticated } from '../../../common/auth/authenticated.decorator';
import { Role } from '../../../common/auth/role';
import { ApiProblem } from '../../../common/errors/problem.response';
import { ClientMeta, type RequestMeta } from '../../../common/http/request-meta';
import { PatientProfileResponse, PutPatientProfileRequest } from './dto/patient-profile.dto';
import { PatientProfileService } from './patient-profile.service';
import { IdPipe } from '../../../common/validation/ids';

@ApiTags('users')
@Controller('users')
export class PatientProfileController {
  constructor(private readonly profiles: PatientProfileService) {}

  // Declared before `:id/profile`, so that `me` is never taken for an id.
  @Get('me/profile')
  @Authenticated({ roles: [Role.Patient] })
  @ApiOperation({
    operationId: 'getMyPatientProfile',
    summary: 'The caller’s encrypted patient profile, decrypted (patients)',
  })
  @ApiOkResponse({ type: PatientProfileResponse })
  getMine(@CurrentUser() user: AuthUser): Promise<PatientProfileResponse> {
    return this.profiles.getMine(user);
  }

  @Put('me/profile')
  @Authenticated({ roles: [Role.Patient] })
  @ApiOperation({
    operationId: 'replaceMyPatientProfile',
    summary:
      'Replace the caller’s patient profile (national id, date of birth, phone); stored encrypted',
  })
  @ApiOkResponse({ type: PatientProfileResponse })
  @ApiProblem(
    400,
    'Invalid fields, e.g. a national id with wrong check digits (VALIDATION_FAILED).',
  )
  putMine(
    @CurrentUser() user: AuthUser,
    @Body() body: PutPatientProfileRequest,
    @ClientMeta() meta: RequestMeta,
  ): Promise<PatientProfileResponse> {
    return this.profiles.putMine(user, body, meta);
  }

  @Get(':id/profile')
  @Authenticated({ roles: [Role.Doctor] })
  @ApiOperation({
    operationId: 'getPatientProfile',
    summary:
      'A patient’s profile (a doctor sharing a consultation room with them, or under an active break-glass grant); audited',
  })
  @ApiOkResponse({ type: PatientProfileResponse })
  @ApiProblem(400, 'The id is not a UUID (VALIDATION_FAILED).')
  @ApiProblem(404, 'No such patient, or not visible to the caller (NOT_FOUND).')
  getFor(
    @CurrentUser() user: AuthUser,
    @Param('id', new IdPipe('4')) id: string,
    @ClientMeta() meta: RequestMeta,
  ): Promise<PatientProfileResponse> {
    return this.profiles.getFor(user, id, meta);
  }
}
