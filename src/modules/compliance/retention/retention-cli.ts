import { NestFactory } from '@nestjs/core';
import { AppModule } from '../../../app.module';
import type { AppConfig } from '../../../config/app-config';
import { ConfigError, loadConfig } from '../../../config/load-config';
import { DatabaseMigrator } from '../../../infra/database/database-migrator';
import { RunRetention } from './run-retention.usecase';

// `npm run retention:run`: one retention run now, with the configuration of the app (same
// environment as the instances). Prints the run's record as JSON. Exit codes: 0 done,
// 75 another run holds the lock (try again later), 78 bad configuration, 64 embedded mode
// (the running app's scheduled job applies retention there), 1 failure.
export async function runRetentionCli(
  env: NodeJS.ProcessEnv,
  out: (line: string) => void,
  err: (line: string) => void,
  options: { persistGeneratedSecrets?: boolean } = {},
): Promise<number> {
  let config: AppConfig;
  try {
    config = loadConfig(env, options);
  } catch (e) {
    if (e instanceof ConfigError) {
      err(e.message);
      return 78;
    }
    throw e;
  }
  if (config.database.mode === 'embedded') {
    err(
      'retention:run needs DATABASE_URL; in embedded mode the running app applies retention every RETENTION_JOB_INTERVAL_MINUTES.',
    );
    return 64;
  }
  const app = await NestFactory.createApplicationContext(AppModule.register(config), {
    logger: false,
    abortOnError: false,
  });
  try {
    if (config.database.migrationsRun) await app.get(DatabaseMigrator).migrate();
    const result = await app.get(RunRetention).execute('command');
    if (!result) {
      err('another retention run is in progress; nothing done');
      return 75;
    }
    out(JSON.stringify(result));
    return 0;
  } catch (e) {
    err(`retention run failed: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  } finally {
    await app.close();
  }
}
