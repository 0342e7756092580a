import { Body, Controller, Get, Param, Put, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../../../common/auth/auth-user';
import { CurrentUser } from '../../../common/auth/auth-user';
import { Authenticated } from '../../../common/auth/authenticated.decorator';
import { Role } from '../../../common/auth/role';
import { ApiProblem } from '../../../common/errors/problem.response';
import { ClientMeta, type RequestMeta } from '../../../common/http/request-meta';
import { IdPipe } from '../../../common/validation/ids';
import { AvailabilityService } from './availability.service';
import {
  AvailabilityResponse,
  ClinicianDirectoryQuery,
  ClinicianDirectoryResponse,
  PutAvailabilityRequest,
  SlotListResponse,
  SlotsQuery,
} from './dto/availability.dto';

@ApiTags('appointments')
@Controller('clinicians')
export class AvailabilityController {
  constructor(private readonly availability: AvailabilityService) {}

  @Put('me/availability')
  @Authenticated({ roles: [Role.Doctor] })
  @ApiOperation({
    operationId: 'putMyAvailability',
    summary:
      'Set the caller’s working hours: weekly ranges and dated exceptions in their time zone',
  })
  @ApiOkResponse({ type: AvailabilityResponse })
  @ApiProblem(
    400,
    'Invalid fields: an unknown time zone, a time not HH:mm, a range that ends before it starts or overlaps another (VALIDATION_FAILED).',
  )
  put(
    @CurrentUser() user: AuthUser,
    @Body() body: PutAvailabilityRequest,
    @ClientMeta() meta: RequestMeta,
  ): Promise<AvailabilityResponse> {
    return this.availability.put(user, body, meta);
  }

  @Get('me/availability')
  @Authenticated({ roles: [Role.Doctor] })
  @ApiOperation({ operationId: 'getMyAvailability', summary: 'The caller’s working hours' })
  @ApiOkResponse({ type: AvailabilityResponse })
  @ApiProblem(404, 'No working hours set yet (NOT_FOUND).')
  mine(@CurrentUser() user: AuthUser): Promise<AvailabilityResponse> {
    return this.availability.mine(user);
  }

  @Get()
  @Authenticated()
  @ApiOperation({
    operationId: 'listClinicians',
    summary:
      'The clinicians one can book with: active doctors who published working hours, with their names',
  })
  @ApiOkResponse({ type: ClinicianDirectoryResponse })
  @ApiProblem(400, 'Invalid cursor or limit (VALIDATION_FAILED).')
  directory(@Query() query: ClinicianDirectoryQuery): Promise<ClinicianDirectoryResponse> {
    return this.availability.directory(query);
  }

  @Get(':id/slots')
  @Authenticated()
  @ApiOperation({
    operationId: 'listClinicianSlots',
    summary: 'A clinician’s free appointment slots between two instants (at most 31 days)',
  })
  @ApiOkResponse({ type: SlotListResponse })
  @ApiProblem(400, 'Invalid id or window (VALIDATION_FAILED).')
  @ApiProblem(404, 'No active clinician with this id (NOT_FOUND).')
  slots(
    @Param('id', new IdPipe('4')) id: string,
    @Query() query: SlotsQuery,
  ): Promise<SlotListResponse> {
    return this.availability.slots(id, query);
  }
}
