import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiProblem } from '../../common/errors/problem.response';
import type { AuthUser } from '../../common/auth/auth-user';
import { Authenticated } from '../../common/auth/authenticated.decorator';
import { CurrentUser } from '../../common/auth/auth-user';
import { Public } from '../../common/auth/public.decorator';
import { CredentialRateLimit } from '../../common/http/rate-limit';
import { ClientMeta, type RequestMeta } from '../../common/http/request-meta';
import { withLegacyEnvelope } from '../../common/http/legacy-envelope';
import { AuthService } from './auth.service';
import {
  ForgotPasswordRequest,
  LoginRequest,
  LogoutRequest,
  MfaSetupResponse,
  OtpRequest,
  RecoveryCodesResponse,
  RefreshRequest,
  RegisterRequest,
  RegisterResponse,
  ResetPasswordRequest,
  TokenPairResponse,
  VerifyEmailRequest,
} from './dto/auth.dto';
import { EmailVerificationService } from './email/email-verification.service';
import { DeviceSessionListResponse } from './dto/session.response';
import { MfaEnrollmentRoute } from './guards/mfa-enrollment.decorator';
import { MfaService } from './mfa/mfa.service';
import { PasswordResetService } from './password/password-reset.service';
import { DeviceSessionsService } from './sessions/device-sessions.service';
import { IdPipe } from '../../common/validation/ids';

const CREDENTIALS_UNAVAILABLE =
  'The rate-limit store is unreachable; credential routes fail closed (UNAVAILABLE).';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly sessions: DeviceSessionsService,
    private readonly mfa: MfaService,
    private readonly passwords: PasswordResetService,
    private readonly emailVerification: EmailVerificationService,
  ) {}

  @Post('register')
  @Public()
  @CredentialRateLimit()
  @ApiOperation({
    operationId: 'registerUser',
    summary: 'Create a patient account',
    description:
      'Always 201 for a valid request: an address that already has an account gets the same answer ' +
      'and its owner is notified, so the endpoint cannot reveal who is registered.',
  })
  @ApiCreatedResponse({ type: RegisterResponse })
  @ApiProblem(400, 'Invalid fields or a password the policy refuses.')
  @ApiProblem(503, CREDENTIALS_UNAVAILABLE)
  async register(
    @Body() body: RegisterRequest,
    @ClientMeta() meta: RequestMeta,
  ): Promise<RegisterResponse> {
    const { user } = await this.auth.register(body, meta);
    return withLegacyEnvelope('user', user);
  }

  @Post('login')
  @HttpCode(200)
  @Public()
  @CredentialRateLimit()
  @ApiOperation({ operationId: 'login', summary: 'Sign in; opens a device session' })
  @ApiOkResponse({ type: TokenPairResponse })
  @ApiProblem(400, 'Invalid or unknown fields (VALIDATION_FAILED).')
  @ApiProblem(
    401,
    'Wrong credentials (UNAUTHORIZED) or a missing `otp` when MFA is on (MFA_REQUIRED).',
  )
  @ApiProblem(
    403,
    'The password is right but the e-mail address is not verified yet (EMAIL_NOT_VERIFIED).',
  )
  @ApiProblem(423, 'Account locked after repeated failures (RATE_LIMITED, with Retry-After).')
  @ApiProblem(503, CREDENTIALS_UNAVAILABLE)
  login(@Body() body: LoginRequest, @ClientMeta() meta: RequestMeta): Promise<TokenPairResponse> {
    return this.auth.login(body, meta);
  }

  @Post('refresh')
  @HttpCode(200)
  @Public()
  @CredentialRateLimit()
  @ApiOperation({
    operationId: 'refreshTokens',
    summary: 'Exchange a refresh token for a new pair (rotation)',
  })
  @ApiOkResponse({ type: TokenPairResponse })
  @ApiProblem(400, 'Not a refresh token (VALIDATION_FAILED).')
  @ApiProblem(
    401,
    'Invalid or ended (UNAUTHORIZED); an already-used token (TOKEN_REUSED) ends the whole session.',
  )
  @ApiProblem(503, CREDENTIALS_UNAVAILABLE)
  refresh(
    @Body() body: RefreshRequest,
    @ClientMeta() meta: RequestMeta,
  ): Promise<TokenPairResponse> {
    return this.auth.refresh(body.refreshToken, meta);
  }

  @Post('logout')
  @HttpCode(204)
  @Authenticated()
  @MfaEnrollmentRoute()
  @ApiOperation({
    operationId: 'logout',
    summary: 'End the current device session; its access token stops working at once',
  })
  @ApiNoContentResponse({ description: 'Signed out.' })
  @ApiProblem(400, 'Invalid or unknown fields (VALIDATION_FAILED).')
  async logout(
    @CurrentUser() user: AuthUser,
    // Accepted for clients that send it; the session of the access token is what ends.
    @Body() _body: LogoutRequest,
    @ClientMeta() meta: RequestMeta,
  ): Promise<void> {
    await this.auth.logout(user, meta);
  }

  @Get('sessions')
  @Authenticated()
  @ApiOperation({ operationId: 'listDeviceSessions', summary: 'The caller’s live device sessions' })
  @ApiOkResponse({ type: DeviceSessionListResponse })
  async listSessions(@CurrentUser() user: AuthUser): Promise<DeviceSessionListResponse> {
    return { items: await this.sessions.list(user), nextCursor: null };
  }

  @Delete('sessions/:id')
  @HttpCode(204)
  @Authenticated()
  @ApiOperation({
    operationId: 'revokeDeviceSession',
    summary: 'Revoke one of the caller’s device sessions',
  })
  @ApiNoContentResponse({ description: 'Revoked.' })
  @ApiProblem(400, 'The id is not a UUID (VALIDATION_FAILED).')
  @ApiProblem(404, 'No such session of the caller (NOT_FOUND).')
  revokeSession(
    @CurrentUser() user: AuthUser,
    @Param('id', new IdPipe('all')) id: string,
    @ClientMeta() meta: RequestMeta,
  ): Promise<void> {
    return this.sessions.revokeOne(user, id, meta);
  }

  @Post('mfa/setup')
  @HttpCode(200)
  @Authenticated()
  @MfaEnrollmentRoute()
  @ApiOperation({
    operationId: 'setUpMfa',
    summary: 'Start TOTP enrollment: a new secret and its otpauth:// URL',
  })
  @ApiOkResponse({ type: MfaSetupResponse })
  @ApiProblem(409, 'MFA is already enabled (CONFLICT).')
  setupMfa(
    @CurrentUser() user: AuthUser,
    @ClientMeta() meta: RequestMeta,
  ): Promise<MfaSetupResponse> {
    return this.mfa.setup(user, meta);
  }

  @Post('mfa/enable')
  @HttpCode(200)
  @Authenticated()
  // A 6-digit code is guessable without a limit.
  @CredentialRateLimit()
  @MfaEnrollmentRoute()
  @ApiOperation({
    operationId: 'enableMfa',
    summary: 'Finish enrollment with a current code; returns one-time recovery codes',
    description: 'Refresh the tokens afterwards: new access tokens carry the enrollment.',
  })
  @ApiOkResponse({ type: RecoveryCodesResponse })
  @ApiProblem(400, 'The code is not valid (VALIDATION_FAILED).')
  @ApiProblem(409, 'No setup in progress, or already enabled (CONFLICT).')
  enableMfa(
    @CurrentUser() user: AuthUser,
    @Body() body: OtpRequest,
    @ClientMeta() meta: RequestMeta,
  ): Promise<RecoveryCodesResponse> {
    return this.mfa.enable(user, body.otp, meta);
  }

  @Post('mfa/disable')
  @HttpCode(204)
  @Authenticated()
  // A 6-digit code is guessable without a limit.
  @CredentialRateLimit()
  @ApiOperation({
    operationId: 'disableMfa',
    summary: 'Turn MFA off with a current code or a recovery code',
  })
  @ApiNoContentResponse({ description: 'MFA disabled.' })
  @ApiProblem(400, 'The code is not valid (VALIDATION_FAILED).')
  @ApiProblem(409, 'MFA is not enabled (CONFLICT).')
  disableMfa(
    @CurrentUser() user: AuthUser,
    @Body() body: OtpRequest,
    @ClientMeta() meta: RequestMeta,
  ): Promise<void> {
    return this.mfa.disable(user, body.otp, meta);
  }

  @Post('password/forgot')
  @HttpCode(202)
  @Public()
  @CredentialRateLimit()
  @ApiOperation({
    operationId: 'requestPasswordReset',
    summary: 'Ask for a password reset link; always 202',
  })
  @ApiAcceptedResponse({
    description: 'If the address has an active account, a message is on its way.',
  })
  @ApiProblem(400, 'Invalid or unknown fields (VALIDATION_FAILED).')
  @ApiProblem(503, CREDENTIALS_UNAVAILABLE)
  forgotPassword(
    @Body() body: ForgotPasswordRequest,
    @ClientMeta() meta: RequestMeta,
  ): Promise<void> {
    return this.passwords.forgot(body.email, meta);
  }

  @Post('password/reset')
  @HttpCode(204)
  @Public()
  @CredentialRateLimit()
  @ApiOperation({
    operationId: 'resetPassword',
    summary: 'Set a new password with a reset token; ends every session of the user',
  })
  @ApiNoContentResponse({ description: 'Password changed.' })
  @ApiProblem(
    400,
    'Invalid, used or expired token, or a password the policy refuses (VALIDATION_FAILED).',
  )
  @ApiProblem(503, CREDENTIALS_UNAVAILABLE)
  resetPassword(
    @Body() body: ResetPasswordRequest,
    @ClientMeta() meta: RequestMeta,
  ): Promise<void> {
    return this.passwords.reset(body.token, body.newPassword, meta);
  }

  @Post('email/verify')
  @HttpCode(204)
  @Public()
  @CredentialRateLimit()
  @ApiOperation({
    operationId: 'verifyEmail',
    summary:
      'Verify the e-mail address with the token of the verification mail; sign-in works from then on',
  })
  @ApiNoContentResponse({ description: 'The address is verified.' })
  @ApiProblem(400, 'Invalid, used or expired token (VALIDATION_FAILED).')
  @ApiProblem(503, CREDENTIALS_UNAVAILABLE)
  verifyEmail(@Body() body: VerifyEmailRequest, @ClientMeta() meta: RequestMeta): Promise<void> {
    return this.emailVerification.verify(body.token, meta);
  }
}
