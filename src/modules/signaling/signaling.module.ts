import { Module } from '@nestjs/common';
import { AccessTokenVerifier } from '../auth/tokens/access-token.service';
import { CallsModule } from '../calls/calls.module';
import { IceModule } from '../ice/ice.module';
import { SessionsModule } from '../sessions/sessions.module';
import { RelayBus } from './relay-bus';
import { SignalingRateLimiter } from './signaling-rate-limiter';
import { SignalingGateway } from './signaling.gateway';
import { SignalingMetrics } from './signaling.metrics';
import { SocketSlots } from './socket-slots';
import { AccessTokenPort } from './socket-auth.port';

@Module({
  imports: [SessionsModule, IceModule, CallsModule],
  providers: [
    SignalingGateway,
    SignalingRateLimiter,
    SignalingMetrics,
    RelayBus,
    SocketSlots,
    // The same verifier as the HTTP guard (exported by the global auth module).
    { provide: AccessTokenPort, useExisting: AccessTokenVerifier },
  ],
})
export class SignalingModule {}
