import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { type AuthUser, CurrentUser } from '../../../common/auth/auth-user';
import { Authenticated } from '../../../common/auth/authenticated.decorator';
import { Public } from '../../../common/auth/public.decorator';
import { Role } from '../../../common/auth/role';
import { ApiProblem } from '../../../common/errors/problem.response';
import { CredentialRateLimit } from '../../../common/http/rate-limit';
import { ClientMeta, type RequestMeta } from '../../../common/http/request-meta';
import { IdPipe } from '../../../common/validation/ids';
import {
  CreateInvitationRequest,
  InvitationListResponse,
  InvitationResponse,
  RedeemInvitationRequest,
  RedeemInvitationResponse,
  ResendInvitationRequest,
} from './dto/invitation.dto';
import { InvitationsService } from './invitations.service';

// The appointment's clinician and admins manage its invitations.
const MANAGERS = [Role.Doctor, Role.Admin];
const NOT_FOUND =
  'No such appointment or invitation, or the caller is not its clinician (NOT_FOUND).';

@ApiTags('appointments')
@Controller()
export class InvitationsController {
  constructor(private readonly invitations: InvitationsService) {}

  @Post('appointments/:id/invitations')
  @Authenticated({ roles: MANAGERS })
  @ApiOperation({
    operationId: 'createInvitation',
    summary:
      'Invite someone to the appointment by a one-time link sent by e-mail or SMS (patient without an account, guest, interpreter, companion)',
  })
  @ApiCreatedResponse({ type: InvitationResponse })
  @ApiProblem(400, 'Invalid fields, neither e-mail nor phone, or a phone that is no number.')
  @ApiProblem(404, NOT_FOUND)
  @ApiProblem(
    409,
    'The appointment is over or cancelled, or a patient invitation where the patient has an account or already holds one (CONFLICT).',
  )
  create(
    @CurrentUser() user: AuthUser,
    @Param('id', new IdPipe('4')) id: string,
    @Body() body: CreateInvitationRequest,
    @ClientMeta() meta: RequestMeta,
  ): Promise<InvitationResponse> {
    return this.invitations.create(user, id, body, meta);
  }

  @Get('appointments/:id/invitations')
  @Authenticated({ roles: MANAGERS })
  @ApiOperation({ operationId: 'listInvitations', summary: 'The invitations of an appointment' })
  @ApiOkResponse({ type: InvitationListResponse })
  @ApiProblem(404, NOT_FOUND)
  list(
    @CurrentUser() user: AuthUser,
    @Param('id', new IdPipe('4')) id: string,
  ): Promise<InvitationListResponse> {
    return this.invitations.list(user, id);
  }

  @Delete('invitations/:id')
  @HttpCode(204)
  @Authenticated({ roles: MANAGERS })
  @ApiOperation({
    operationId: 'revokeInvitation',
    summary: 'Revoke an invitation: its link stops working and its holder is cut off at once',
  })
  @ApiNoContentResponse({ description: 'Revoked (or it already was).' })
  @ApiProblem(404, NOT_FOUND)
  revoke(
    @CurrentUser() user: AuthUser,
    @Param('id', new IdPipe('4')) id: string,
    @ClientMeta() meta: RequestMeta,
  ): Promise<void> {
    return this.invitations.revoke(user, id, meta);
  }

  @Post('invitations/redeem')
  @HttpCode(200)
  @Public()
  @CredentialRateLimit()
  @ApiOperation({
    operationId: 'redeemInvitation',
    summary:
      'Open an invitation link: a guest grant for the appointment’s room (docs/auth.md, “Guest grant”)',
  })
  @ApiOkResponse({ type: RedeemInvitationResponse })
  @ApiProblem(400, 'Invalid fields (VALIDATION_FAILED).')
  @ApiProblem(401, 'Unknown, replaced or revoked link (UNAUTHORIZED).')
  @ApiProblem(
    403,
    'The link was first opened on another device: `deviceSecret` missing or wrong (FORBIDDEN, reason `other_device`).',
  )
  @ApiProblem(
    409,
    'Outside the link’s window (CONFLICT, reason `too_early` or `expired`, with `opensAt` and `closesAt`).',
  )
  redeem(
    @Body() body: RedeemInvitationRequest,
    @ClientMeta() meta: RequestMeta,
  ): Promise<RedeemInvitationResponse> {
    return this.invitations.redeem(body, meta);
  }

  @Post('invitations/resend')
  @HttpCode(202)
  @Public()
  @CredentialRateLimit()
  @ApiOperation({
    operationId: 'resendInvitation',
    summary: 'Ask for one’s invitation links again, by e-mail address or phone number; always 202',
  })
  @ApiAcceptedResponse({
    description: 'If that address holds current invitations, fresh links are on their way.',
  })
  @ApiProblem(400, 'Neither or both of email and phone, or malformed (VALIDATION_FAILED).')
  resend(@Body() body: ResendInvitationRequest): Promise<void> {
    return this.invitations.resend(body);
  }
}
