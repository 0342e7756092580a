import 'reflect-metadata';
import type { NestExpressApplication } from '@nestjs/platform-express';
import pino from 'pino';
import { createApp } from './bootstrap';
import { checkCanListen, listenFailure } from './common/http/listen-check';
import { type AppConfig } from './config/app-config';
import {
  ConfigError,
  loadConfig,
  withDatabaseUrl,
  type LoadConfigOptions,
} from './config/load-config';
import {
  EmbeddedDatabaseError,
  EmbeddedDatabaseInUseError,
  startEmbeddedPostgres,
  type EmbeddedDatabase,
} from './infra/database/embedded-postgres';
import { LifecycleState } from './infra/health/lifecycle.state';
import { pinoBaseOptions } from './infra/logging/logger-options';
import { AdminBootstrapService } from './modules/users/admin-bootstrap.service';

// Start-up failures that the person starting Hekim can fix are told in plain words on stderr,
// without a stack (docs/deployment.md, "Start-up"); only unexpected ones are logged as fatal.
function refuse(message: string, code: number): never {
  process.stderr.write(`Hekim cannot start: ${message}\n`);
  process.exit(code);
}

function readConfig(options: LoadConfigOptions = {}): AppConfig {
  try {
    return loadConfig(process.env, options);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
}

async function main(): Promise<void> {
  // Everything that can be checked is checked before the first side effect: nothing is
  // written under DATA_DIR, no database started, no account created on a start that fails.
  const checked = readConfig({ dryRun: true });
  const cannotListen = await checkCanListen(checked.host, checked.port);
  if (cannotListen) refuse(cannotListen, 69); // EX_UNAVAILABLE
  const loaded = readConfig();
  const log = pino(pinoBaseOptions(loaded));

  // The loaded configuration is frozen; the embedded database's address makes a new one.
  let config = loaded;
  let embedded: EmbeddedDatabase | undefined;
  let app: NestExpressApplication | undefined;
  try {
    if (config.database.mode === 'embedded') {
      embedded = await startEmbeddedPostgres(config.dataDir, config.database.embeddedPort, {
        log: (m) => log.info({ context: 'EmbeddedPostgres' }, m),
        warn: (m) => log.warn({ context: 'EmbeddedPostgres' }, m),
      });
      config = withDatabaseUrl(loaded, embedded.url);
    }
    app = await createApp(config);
    await app.listen(config.port, config.host);
  } catch (error) {
    await app?.close().catch(() => undefined);
    await embedded?.stop();
    const plain =
      listenFailure(error, config.host, config.port) ??
      (error instanceof EmbeddedDatabaseInUseError || error instanceof EmbeddedDatabaseError
        ? error.message
        : undefined);
    if (plain) refuse(plain, error instanceof EmbeddedDatabaseInUseError ? 75 : 1);
    log.fatal(
      { err: error instanceof Error ? { message: error.message, stack: error.stack } : error },
      'Hekim failed to start',
    );
    process.exit(1);
  }

  // Handlers first: a signal sent as soon as the ready line is seen must already drain.
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

  // PORT=0 asks for any free port; report the one actually bound.
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  const admin = app.get(AdminBootstrapService).createdWithGenerated;
  log.info(
    {
      mode: config.database.mode,
      ...(embedded ? { database: embedded.displayUrl, dataDir: embedded.pgdata } : {}),
      redis: config.redis.url ? 'redis' : 'in-process',
      url,
    },
    `Hekim ${config.version} is ready: API ${url}/api/v1, Swagger ${url}/docs, demo ${url}/demo`,
  );
  // Printed by the start that created the account only; it stays in initial-admin.json.
  if (admin) {
    log.info(
      { context: 'Bootstrap' },
      `embedded admin: ${admin.email} / ${admin.password} (kept in ${config.dataDir}/initial-admin.json)`,
    );
  }
}

void main();
