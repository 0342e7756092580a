import { createSecretKey } from 'node:crypto';
import {
  DeviceSessionsPersonalData,
  MfaPersonalData,
  SingleUseTokensPersonalData,
} from './auth-personal-data';
import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { AppConfig } from '../../config/app-config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { UserSessionsPort } from '../users/ports/user-sessions.port';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { AuthMetrics } from './auth.metrics';
import { AuthService } from './auth.service';
import { AuthGuard } from './guards/auth.guard';
import { AccessTokenStrategy } from './tokens/access-token.strategy';
import { LoginLockoutService } from './login-lockout.service';
import { MfaSecretEntity } from './mfa/mfa-secret.entity';
import { MfaRepository } from './mfa/mfa.repository';
import { MfaService } from './mfa/mfa.service';
import { RecoveryCodeEntity } from './mfa/recovery-code.entity';
import { EmailVerificationService } from './email/email-verification.service';
import { AccountNotifier } from './notifier/account-notifier';
import { OutboxNotifier } from './notifier/outbox-notifier';
import { PasswordResetService } from './password/password-reset.service';
import { DeviceSessionEntity } from './sessions/device-session.entity';
import { RefreshTokenEntity } from './sessions/refresh-token.entity';
import { PrincipalStandings } from './sessions/principal-standings';
import { DeviceSessionsRepository } from './sessions/device-sessions.repository';
import { DeviceSessionsService } from './sessions/device-sessions.service';
import { AccessTokenService, AccessTokenVerifier } from './tokens/access-token.service';
import { SingleUseTokenEntity } from './tokens/single-use-token.entity';
import { SingleUseTokenRepository } from './tokens/single-use-token.repository';

// Global so that the signaling gateway can inject AccessTokenVerifier and the users module
// gets UserSessionsPort without importing this module (which depends on users).
@Global()
@Module({
  imports: [
    UsersModule,
    PassportModule,
    // The HMAC key is built once. Given the secret as text, the JWT library would try to read
    // it as a PEM private or public key before each sign and verify (about 1.5 ms each);
    // algorithm, issuer and audience are passed on every call (AccessTokenService).
    JwtModule.registerAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        secret: createSecretKey(Buffer.from(config.auth.jwtSecret, 'utf8')),
      }),
    }),
    TypeOrmModule.forFeature([
      DeviceSessionEntity,
      RefreshTokenEntity,
      MfaSecretEntity,
      RecoveryCodeEntity,
      SingleUseTokenEntity,
    ]),
  ],
  controllers: [AuthController],
  providers: [
    DeviceSessionsPersonalData,
    MfaPersonalData,
    SingleUseTokensPersonalData,
    AuthMetrics,
    AccessTokenService,
    AccessTokenVerifier,
    AccessTokenStrategy,
    PrincipalStandings,
    DeviceSessionsRepository,
    DeviceSessionsService,
    { provide: UserSessionsPort, useExisting: DeviceSessionsService },
    LoginLockoutService,
    MfaRepository,
    MfaService,
    SingleUseTokenRepository,
    PasswordResetService,
    EmailVerificationService,
    { provide: AccountNotifier, useClass: OutboxNotifier },
    AuthService,
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [AccessTokenVerifier, AccessTokenService, UserSessionsPort, DeviceSessionsService],
})
export class AuthModule {}
