import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../../../common/auth/auth-user';
import { CurrentUser } from '../../../common/auth/auth-user';
import { Authenticated } from '../../../common/auth/authenticated.decorator';
import { Role } from '../../../common/auth/role';
import { ApiProblem } from '../../../common/errors/problem.response';
import { ClientMeta, type RequestMeta } from '../../../common/http/request-meta';
import { IdPipe } from '../../../common/validation/ids';
import { AppointmentsService } from './appointments.service';
import {
  AppointmentListResponse,
  AppointmentResponse,
  BookAppointmentRequest,
  CancelAppointmentRequest,
  CompleteAppointmentRequest,
  ListAppointmentsQuery,
  RescheduleAppointmentRequest,
} from './dto/appointment.dto';

// Who takes part in appointments: the two parties, and admins who manage the diary.
const PARTIES = [Role.Patient, Role.Doctor, Role.Admin];
const NOT_FOUND = 'No such appointment, or the caller is no party to it (NOT_FOUND).';

@ApiTags('appointments')
@Controller('appointments')
export class AppointmentsController {
  constructor(private readonly appointments: AppointmentsService) {}

  @Post()
  @Authenticated({ roles: PARTIES })
  @ApiOperation({
    operationId: 'bookAppointment',
    summary:
      'Book an appointment: a patient into one of the clinician’s free slots, a doctor in their own diary, an admin in any doctor’s',
  })
  @ApiCreatedResponse({ type: AppointmentResponse })
  @ApiProblem(
    400,
    'Invalid fields, not a free slot (patients), a time in the past, or an unknown clinician or patient (VALIDATION_FAILED).',
  )
  @ApiProblem(
    403,
    'A patient booking for someone else, or a doctor in another’s diary (FORBIDDEN).',
  )
  @ApiProblem(409, 'The clinician already has an appointment at that time (CONFLICT).')
  book(
    @CurrentUser() user: AuthUser,
    @Body() body: BookAppointmentRequest,
    @ClientMeta() meta: RequestMeta,
  ): Promise<AppointmentResponse> {
    return this.appointments.book(user, body, meta);
  }

  @Get()
  @Authenticated({ roles: PARTIES })
  @ApiOperation({
    operationId: 'listAppointments',
    summary: 'Appointments the caller is a party to (all of them for admins), in start order',
  })
  @ApiOkResponse({ type: AppointmentListResponse })
  @ApiProblem(400, 'Invalid filter or cursor (VALIDATION_FAILED).')
  list(
    @CurrentUser() user: AuthUser,
    @Query() query: ListAppointmentsQuery,
  ): Promise<AppointmentListResponse> {
    return this.appointments.list(user, query);
  }

  @Get(':id')
  @Authenticated({ roles: PARTIES })
  @ApiOperation({ operationId: 'getAppointment', summary: 'One appointment' })
  @ApiOkResponse({ type: AppointmentResponse })
  @ApiProblem(404, NOT_FOUND)
  get(
    @CurrentUser() user: AuthUser,
    @Param('id', new IdPipe('4')) id: string,
  ): Promise<AppointmentResponse> {
    return this.appointments.get(user, id);
  }

  @Patch(':id')
  @Authenticated({ roles: PARTIES })
  @ApiOperation({
    operationId: 'rescheduleAppointment',
    summary: 'Move a booked appointment (a patient only into a free slot)',
  })
  @ApiOkResponse({ type: AppointmentResponse })
  @ApiProblem(400, 'Invalid time, or not a free slot (VALIDATION_FAILED).')
  @ApiProblem(404, NOT_FOUND)
  @ApiProblem(409, 'Not booked any more, or the new time is taken (CONFLICT).')
  reschedule(
    @CurrentUser() user: AuthUser,
    @Param('id', new IdPipe('4')) id: string,
    @Body() body: RescheduleAppointmentRequest,
    @ClientMeta() meta: RequestMeta,
  ): Promise<AppointmentResponse> {
    return this.appointments.reschedule(user, id, body, meta);
  }

  @Post(':id/confirm')
  @HttpCode(200)
  @Authenticated({ roles: [Role.Patient] })
  @ApiOperation({
    operationId: 'confirmAppointment',
    summary: 'The patient confirms a clinician’s booking (this begins the care relationship)',
  })
  @ApiOkResponse({ type: AppointmentResponse })
  @ApiProblem(404, NOT_FOUND)
  @ApiProblem(409, 'The appointment is no longer booked (CONFLICT).')
  confirm(
    @CurrentUser() user: AuthUser,
    @Param('id', new IdPipe('4')) id: string,
    @ClientMeta() meta: RequestMeta,
  ): Promise<AppointmentResponse> {
    return this.appointments.confirm(user, id, meta);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @Authenticated({ roles: PARTIES })
  @ApiOperation({
    operationId: 'cancelAppointment',
    summary: 'Cancel with a written reason; the slot frees and the room closes',
  })
  @ApiOkResponse({ type: AppointmentResponse })
  @ApiProblem(400, 'No reason given (VALIDATION_FAILED).')
  @ApiProblem(404, NOT_FOUND)
  @ApiProblem(409, 'Already in consultation, completed, cancelled or missed (CONFLICT).')
  cancel(
    @CurrentUser() user: AuthUser,
    @Param('id', new IdPipe('4')) id: string,
    @Body() body: CancelAppointmentRequest,
    @ClientMeta() meta: RequestMeta,
  ): Promise<AppointmentResponse> {
    return this.appointments.cancel(user, id, body, meta);
  }

  @Post(':id/check-in')
  @HttpCode(200)
  // A patient without an account checks in with the guest grant of their invitation.
  @Authenticated({ roles: [...PARTIES, Role.Guest] })
  @ApiOperation({
    operationId: 'checkInAppointment',
    summary: 'The patient is here: check in (opens 30 minutes before the start)',
  })
  @ApiOkResponse({ type: AppointmentResponse })
  @ApiProblem(404, NOT_FOUND)
  @ApiProblem(409, 'Check-in is not open, or the appointment is not booked (CONFLICT).')
  checkIn(
    @CurrentUser() user: AuthUser,
    @Param('id', new IdPipe('4')) id: string,
    @ClientMeta() meta: RequestMeta,
  ): Promise<AppointmentResponse> {
    return this.appointments.checkIn(user, id, meta);
  }

  @Post(':id/no-show')
  @HttpCode(200)
  @Authenticated({ roles: [Role.Doctor, Role.Admin] })
  @ApiOperation({
    operationId: 'markAppointmentNoShow',
    summary: 'Record that the patient did not come (after the start)',
  })
  @ApiOkResponse({ type: AppointmentResponse })
  @ApiProblem(404, NOT_FOUND)
  @ApiProblem(409, 'Before the start, or the patient checked in (CONFLICT).')
  noShow(
    @CurrentUser() user: AuthUser,
    @Param('id', new IdPipe('4')) id: string,
    @ClientMeta() meta: RequestMeta,
  ): Promise<AppointmentResponse> {
    return this.appointments.noShow(user, id, meta);
  }

  @Post(':id/complete')
  @HttpCode(200)
  @Authenticated({ roles: [Role.Doctor] })
  @ApiOperation({
    operationId: 'completeAppointment',
    summary: 'The clinician completes a checked-in appointment, with an optional outcome',
  })
  @ApiOkResponse({ type: AppointmentResponse })
  @ApiProblem(404, NOT_FOUND)
  @ApiProblem(409, 'The patient has not checked in, or it is already closed (CONFLICT).')
  complete(
    @CurrentUser() user: AuthUser,
    @Param('id', new IdPipe('4')) id: string,
    @Body() body: CompleteAppointmentRequest,
    @ClientMeta() meta: RequestMeta,
  ): Promise<AppointmentResponse> {
    return this.appointments.complete(user, id, body, meta);
  }
}
