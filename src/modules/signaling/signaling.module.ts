import { Module } from '@nestjs/common';
import { AppointmentsModule } from '../appointments/appointments.module';
import { AccessTokenVerifier } from '../auth/tokens/access-token.service';
import { CallsModule } from '../calls/calls.module';
import { ChatModule } from '../chat/chat.module';
import { IceModule } from '../ice/ice.module';
import { SessionsModule } from '../sessions/sessions.module';
import { CallFanout } from './call-fanout';
import { ChatFanout } from './chat-fanout';
import { EventAdmission } from './event-admission';
import { EventRunner } from './event-runner';
import { QueueFanout } from './queue-fanout';
import { RelayBus } from './relay-bus';
import { RoomFanout } from './room-fanout';
import { SignalRelay } from './signal-relay';
import { SignalingRateLimiter } from './signaling-rate-limiter';
import { SignalingGateway } from './signaling.gateway';
import { SignalingMetrics } from './signaling.metrics';
import { SignalingServer } from './signaling-socket';
import { SocketHandshake } from './socket-handshake';
import { SocketSlots } from './socket-slots';
import { SocketUpkeep } from './socket-upkeep';
import { AccessTokenPort } from './socket-auth.port';

@Module({
  imports: [SessionsModule, IceModule, CallsModule, AppointmentsModule, ChatModule],
  providers: [
    SignalingGateway,
    SignalingServer,
    SocketHandshake,
    EventAdmission,
    EventRunner,
    SignalRelay,
    RoomFanout,
    CallFanout,
    QueueFanout,
    ChatFanout,
    SocketUpkeep,
    SignalingRateLimiter,
    SignalingMetrics,
    RelayBus,
    SocketSlots,
    // The same verifier as the HTTP guard (exported by the global auth module).
    { provide: AccessTokenPort, useExisting: AccessTokenVerifier },
  ],
})
export class SignalingModule {}
