import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { setPasswordHashConcurrency } from './common/crypto/password-hasher';
import { configureApp } from './common/http/configure-app';
import type { AppConfig } from './config/app-config';
import { DatabaseMigrator } from './infra/database/database-migrator';
import { closeConnectionsWhileDraining } from './infra/health/close-while-draining';
import { LifecycleState } from './infra/health/lifecycle.state';
import { QuietFrameworkLogger } from './infra/logging/quiet-framework-logger';
import { RelayBus } from './modules/signaling/relay-bus';
import { SignalingIoAdapter } from './modules/signaling/signaling.adapter';

// Builds a configured, migrated application that is not yet listening. main.ts and the e2e
// tests both start Hekim through here, so tests exercise the real wiring.
export async function createApp(config: AppConfig): Promise<NestExpressApplication> {
  setPasswordHashConcurrency(config.auth.passwordHashConcurrency);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(config), {
    bodyParser: false,
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(new QuietFrameworkLogger(app.get(Logger)));
  // First of all middleware, so that every answer during a drain closes its connection.
  app.use(closeConnectionsWhileDraining(app.get(LifecycleState)));
  configureApp(app, config);
  app.useWebSocketAdapter(new SignalingIoAdapter(app, config, app.get(RelayBus)));
  if (config.database.migrationsRun) await app.get(DatabaseMigrator).migrate();
  return app;
}
