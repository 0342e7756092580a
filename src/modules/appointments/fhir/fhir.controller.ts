import { Controller, Get, Header, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../../../common/auth/auth-user';
import { CurrentUser } from '../../../common/auth/auth-user';
import { Authenticated } from '../../../common/auth/authenticated.decorator';
import { Role } from '../../../common/auth/role';
import { ApiProblem } from '../../../common/errors/problem.response';
import { IdPipe } from '../../../common/validation/ids';
import {
  FhirAppointment,
  FhirAppointmentSearchQuery,
  FhirEncounter,
  FhirSearchBundle,
} from './dto/fhir.dto';
import type { FhirResource } from './fhir-resources';
import { FhirService } from './fhir.service';

const FHIR_JSON = 'application/fhir+json';
// The REST API's readers of appointments and sessions (record-level rules apply on top).
const READERS = [Role.Patient, Role.Doctor, Role.Admin];

@ApiTags('fhir')
@Controller('fhir')
export class FhirController {
  constructor(private readonly fhir: FhirService) {}

  @Get('Appointment')
  @Authenticated({ roles: READERS })
  @Header('Content-Type', `${FHIR_JSON}; charset=utf-8`)
  @ApiProduces(FHIR_JSON)
  @ApiOperation({
    operationId: 'searchFhirAppointments',
    summary: 'FHIR R4: search appointments by date, practitioner and patient (a searchset Bundle)',
  })
  @ApiOkResponse({ type: FhirSearchBundle })
  @ApiProblem(400, 'A date, reference or paging parameter that cannot be read (VALIDATION_FAILED).')
  search(
    @CurrentUser() user: AuthUser,
    @Query() query: FhirAppointmentSearchQuery,
  ): Promise<Record<string, unknown>> {
    return this.fhir.searchAppointments(user, query);
  }

  @Get('Appointment/:id')
  @Authenticated({ roles: READERS })
  @Header('Content-Type', `${FHIR_JSON}; charset=utf-8`)
  @ApiProduces(FHIR_JSON)
  @ApiOperation({ operationId: 'readFhirAppointment', summary: 'FHIR R4: one Appointment' })
  @ApiOkResponse({ type: FhirAppointment })
  @ApiProblem(404, 'No such appointment, or the caller is no party to it (NOT_FOUND).')
  appointment(
    @CurrentUser() user: AuthUser,
    @Param('id', new IdPipe('4')) id: string,
  ): Promise<FhirResource> {
    return this.fhir.appointment(user, id);
  }

  @Get('Encounter/:id')
  @Authenticated({ roles: READERS })
  @Header('Content-Type', `${FHIR_JSON}; charset=utf-8`)
  @ApiProduces(FHIR_JSON)
  @ApiOperation({
    operationId: 'readFhirEncounter',
    summary: 'FHIR R4: one consultation session as an Encounter',
  })
  @ApiOkResponse({ type: FhirEncounter })
  @ApiProblem(404, 'No such session, or the caller may not see its room (NOT_FOUND).')
  encounter(
    @CurrentUser() user: AuthUser,
    @Param('id', new IdPipe('4')) id: string,
  ): Promise<FhirResource> {
    return this.fhir.encounter(user, id);
  }
}
