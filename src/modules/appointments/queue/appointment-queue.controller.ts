import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../../../common/auth/auth-user';
import { CurrentUser } from '../../../common/auth/auth-user';
import { Authenticated } from '../../../common/auth/authenticated.decorator';
import { Role } from '../../../common/auth/role';
import { ApiProblem } from '../../../common/errors/problem.response';
import { ClientMeta, type RequestMeta } from '../../../common/http/request-meta';
import { IdPipe } from '../../../common/validation/ids';
import { AppointmentsService } from '../booking/appointments.service';
import { AppointmentResponse } from '../booking/dto/appointment.dto';
import { PrecheckRequest, TransferAppointmentRequest } from './dto/queue.dto';

const NOT_FOUND = 'No such appointment, or the caller is no party to it (NOT_FOUND).';

// An appointment's place in the queue (docs/appointments.md, "The queue"): the waiting
// patient's pre-call check, and a transfer to another clinician's queue.
@ApiTags('appointments')
@Controller('appointments')
export class AppointmentQueueController {
  constructor(private readonly appointments: AppointmentsService) {}

  @Post(':id/precheck')
  @HttpCode(200)
  @Authenticated({ roles: [Role.Patient] })
  @ApiOperation({
    operationId: 'reportAppointmentPrecheck',
    summary:
      'The patient’s device reports its pre-call check (camera, microphone, connection); the clinician sees it in the queue',
  })
  @ApiOkResponse({ type: AppointmentResponse })
  @ApiProblem(400, 'Invalid fields (VALIDATION_FAILED).')
  @ApiProblem(404, NOT_FOUND)
  @ApiProblem(409, 'The appointment is not booked or checked in, or not the caller’s (CONFLICT).')
  precheck(
    @CurrentUser() user: AuthUser,
    @Param('id', new IdPipe('4')) id: string,
    @Body() body: PrecheckRequest,
    @ClientMeta() meta: RequestMeta,
  ): Promise<AppointmentResponse> {
    return this.appointments.precheck(user, id, body, meta);
  }

  @Post(':id/transfer')
  @HttpCode(200)
  @Authenticated({ roles: [Role.Doctor, Role.Admin] })
  @ApiOperation({
    operationId: 'transferAppointment',
    summary:
      'Move a booked or waiting appointment to another doctor’s diary and queue (the appointment’s doctor or an admin)',
  })
  @ApiOkResponse({ type: AppointmentResponse })
  @ApiProblem(400, 'Invalid fields, or not an active doctor (VALIDATION_FAILED).')
  @ApiProblem(404, NOT_FOUND)
  @ApiProblem(
    409,
    'In consultation or closed, or the other doctor has an appointment at that time (CONFLICT).',
  )
  transfer(
    @CurrentUser() user: AuthUser,
    @Param('id', new IdPipe('4')) id: string,
    @Body() body: TransferAppointmentRequest,
    @ClientMeta() meta: RequestMeta,
  ): Promise<AppointmentResponse> {
    return this.appointments.transfer(user, id, body, meta);
  }
}
