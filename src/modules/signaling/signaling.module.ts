import { Module } from '@nestjs/common';
import { AccessTokenVerifier } from '../auth/tokens/access-token.service';
import { IceModule } from '../ice/ice.module';
import { SessionsModule } from '../sessions/sessions.module';
import { SignalingRateLimiter } from './signaling-rate-limiter';
import { SignalingGateway } from './signaling.gateway';
import { SignalingMetrics } from './signaling.metrics';
import { AccessTokenPort } from './socket-auth.port';

@Module({
  imports: [SessionsModule, IceModule],
  providers: [
    SignalingGateway,
    SignalingRateLimiter,
    SignalingMetrics,
    // The same verifier as the HTTP guard (exported by the global auth module).
    { provide: AccessTokenPort, useExisting: AccessTokenVerifier },
  ],
})
export class SignalingModule {}
