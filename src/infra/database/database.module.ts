import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../../config/app-config';
import { DatabaseMigrator } from './database-migrator';
import { dataSourceOptions } from './typeorm-options';

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => {
        if (!config.database.url)
          throw new Error('database URL is not resolved (embedded database not started)');
        return {
          ...dataSourceOptions({
            url: config.database.url,
            poolSize: config.database.poolSize,
            statementTimeoutMs: config.database.statementTimeoutMs,
          }),
          autoLoadEntities: true,
          // A pod may start while its database is still coming up; give it a few tries, then fail
          // loudly so that the orchestrator restarts it.
          retryAttempts: 5,
          retryDelay: 2000,
        };
      },
    }),
  ],
  providers: [DatabaseMigrator],
  exports: [DatabaseMigrator],
})
export class DatabaseModule {}
