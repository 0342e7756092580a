import {
  type DynamicModule,
  type MiddlewareConsumer,
  Module,
  type NestModule,
} from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { ThrottlerModule } from '@nestjs/throttler';
import { LoggerModule } from 'nestjs-pino';
import { ProblemDetailsFilter } from './common/errors/problem-details.filter';
import { createValidationPipe } from './common/errors/validation';
import { AppThrottlerGuard, AUTH_THROTTLER, isNotCredentialRoute } from './common/http/rate-limit';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './infra/database/database.module';
import { HealthModule } from './infra/health/health.module';
import { loggerParams } from './infra/logging/logger-options';
import { HttpMetricsMiddleware } from './infra/metrics/http-metrics.middleware';
import { MetricsModule } from './infra/metrics/metrics.module';
import { RedisConnections } from './infra/redis/redis-connections';
import { RedisModule } from './infra/redis/redis.module';
import { ResilientThrottlerStorage } from './infra/redis/resilient-throttler.storage';
import { AuditModule } from './modules/audit/audit.module';
import { AuthModule } from './modules/auth/auth.module';
import { OutboxModule } from './modules/outbox/outbox.module';
import { MailModule } from './modules/mail/mail.module';
import { WebhooksModule } from './modules/webhooks/webhooks.module';
import { SmsModule } from './modules/sms/sms.module';
import { DevicesModule } from './modules/devices/devices.module';
import { DemoModule } from './modules/demo/demo.module';
import { UsersModule } from './modules/users/users.module';
import { IceModule } from './modules/ice/ice.module';
import { RoomsModule } from './modules/rooms/rooms.module';
import { SessionsModule } from './modules/sessions/sessions.module';
import { CallsModule } from './modules/calls/calls.module';
import { AppointmentsModule } from './modules/appointments/appointments.module';
import { CareModule } from './modules/care/care.module';
import { ChatModule } from './modules/chat/chat.module';
import { SignalingModule } from './modules/signaling/signaling.module';
import { PersonalDataModule } from './common/personal-data/personal-data.module';
import { PortsModule } from './common/ports/port-implementations';
import { BreakGlassModule } from './modules/compliance/break-glass/break-glass.module';
import { ReportingModule } from './modules/compliance/reporting/reporting.module';
import { DataSubjectModule } from './modules/compliance/data-subject/data-subject.module';
import { ConsentsModule } from './modules/compliance/consents/consents.module';
import { RetentionModule } from './modules/compliance/retention/retention.module';

@Module({})
export class AppModule implements NestModule {
  static register(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.register(config),
        LoggerModule.forRoot(loggerParams(config)),
        DatabaseModule,
        RedisModule,
        MetricsModule,
        HealthModule,
        // Rate-limit counters live in Redis when there is one, so limits hold across
        // instances; in process otherwise. Routes tighten the default with @Throttle.
        ThrottlerModule.forRootAsync({
          inject: [RedisConnections, AppConfig],
          useFactory: (redis: RedisConnections, cfg: AppConfig) => ({
            throttlers: [
              { name: 'default', ttl: 60_000, limit: 600 },
              {
                name: AUTH_THROTTLER,
                ttl: 60_000,
                limit: cfg.auth.rateLimitPerMinute,
                skipIf: isNotCredentialRoute,
              },
            ],
            storage: redis.client
              ? new ResilientThrottlerStorage(new ThrottlerStorageRedisService(redis.client))
              : undefined,
            generateKey: (context, tracker, throttler) =>
              `${cfg.redis.keyPrefix}throttle:${throttler}:${context.getClass().name}.${context.getHandler().name}:${tracker}`,
          }),
        }),
        AuditModule,
        OutboxModule,
        MailModule,
        WebhooksModule,
        SmsModule,
        PortsModule,
        DevicesModule,
        PersonalDataModule,
        UsersModule,
        AuthModule,
        IceModule,
        RoomsModule,
        SessionsModule,
        CareModule,
        AppointmentsModule,
        ChatModule,
        CallsModule,
        SignalingModule,
        BreakGlassModule,
        DataSubjectModule,
        ConsentsModule,
        RetentionModule,
        ReportingModule,
        DemoModule,
      ],
      providers: [
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
        { provide: APP_GUARD, useClass: AppThrottlerGuard },
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('{*splat}');
  }
}
