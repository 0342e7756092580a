import 'reflect-metadata';
import type { NestExpressApplication } from '@nestjs/platform-express';
import pino from 'pino';
import { createApp } from './bootstrap';
import { type AppConfig } from './config/app-config';
import { ConfigError, loadConfig } from './config/load-config';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './infra/database/embedded-postgres';
import { LifecycleState } from './infra/health/lifecycle.state';
import { pinoBaseOptions } from './infra/logging/logger-options';
import { AdminBootstrapService } from './modules/users/admin-bootstrap.service';

function readConfig(): AppConfig {
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
}

async function main(): Promise<void> {
  const config = readConfig();
  const log = pino(pinoBaseOptions(config));

  let embedded: EmbeddedDatabase | undefined;
  let app: NestExpressApplication | undefined;
  try {
    if (config.database.mode === 'embedded') {
      embedded = await startEmbeddedPostgres(config.dataDir, config.database.embeddedPort, {
        log: (m) => log.info({ context: 'EmbeddedPostgres' }, m),
        warn: (m) => log.warn({ context: 'EmbeddedPostgres' }, m),
      });
      config.database.url = embedded.url;
    }
    app = await createApp(config);
    await app.listen(config.port, config.host);
  } catch (error) {
    log.fatal(
      { err: error instanceof Error ? { message: error.message, stack: error.stack } : error },
      'Hekim failed to start',
    );
    await app?.close().catch(() => undefined);
    await embedded?.stop();
    process.exit(1);
  }

  // PORT=0 asks for any free port; report the one actually bound.
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  const admin = app.get(AdminBootstrapService).generated;
  log.info(
    { mode: config.database.mode, redis: config.redis.url ? 'redis' : 'in-process', url },
    `Hekim ${config.version} is ready: API ${url}/api/v1, Swagger ${url}/docs, demo ${url}/demo`,
  );
  if (admin) {
    log.info(
      { context: 'Bootstrap' },
      `embedded admin: ${admin.email} / ${admin.password} (kept in ${config.dataDir}/initial-admin.json)`,
    );
  }

  const lifecycle = app.get(LifecycleState);
  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: readiness is now false');
    lifecycle.beginDrain();
    const force = setTimeout(() => {
      log.error('graceful shutdown timed out; exiting');
      process.exit(1);
    }, config.shutdown.timeoutSeconds * 1000);
    force.unref();
    await new Promise((r) => setTimeout(r, config.shutdown.drainDelaySeconds * 1000));
    let failed = false;
    try {
      // Closes the HTTP server (in-flight requests finish), sockets, pools and Redis.
      await app.close();
    } catch (error) {
      failed = true;
      log.error(
        { err: error instanceof Error ? { message: error.message, stack: error.stack } : error },
        'graceful shutdown failed',
      );
    }
    await embedded?.stop();
    log.info(failed ? 'stopped after a failed shutdown step' : 'stopped');
    process.exit(failed ? 1 : 0);
  };
  process.once('SIGTERM', (s) => void shutdown(s));
  process.once('SIGINT', (s) => void shutdown(s));
}

void main();
