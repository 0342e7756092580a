import { NestFactory } from '@nestjs/core';
import { AppModule } from '../../../app.module';
import type { AppConfig } from '../../../config/app-config';
import { ConfigError, loadConfig, withDatabaseUrl } from '../../../config/load-config';
import {
  commandDatabaseFailure,
  openCommandDatabase,
  type CommandDatabase,
} from '../../../infra/database/command-database';
import { DatabaseMigrator } from '../../../infra/database/database-migrator';
import { RunRetention } from './run-retention.usecase';

// `npm run retention:run`: one retention run now, with the configuration of the app (same
// environment as the instances). Prints the run's record as JSON. In the embedded mode it runs
// on DATA_DIR's database (docs/operations.md, "Commands"). Exit codes: 0 done, 75 another run
// or command holds the lock or the embedded database (try again later), 78 bad configuration
// or no database to work on, 1 failure.
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
  let db: CommandDatabase;
  try {
    db = await openCommandDatabase(config, 'retention:run', err);
  } catch (e) {
    const failure = commandDatabaseFailure(e);
    if (!failure) throw e;
    err(`retention:run: ${failure.message}`);
    return failure.code;
  }
  config = withDatabaseUrl(config, db.url);
  try {
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
    } finally {
      await app.close();
    }
  } catch (e) {
    err(`retention run failed: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  } finally {
    await db.close();
  }
}
