import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';

// Instances that start together must not apply the same migration twice: the runner holds a
// PostgreSQL advisory lock for the whole run.
const MIGRATION_LOCK = 0x48454b494d; // "HEKIM"

@Injectable()
export class DatabaseMigrator {
  private readonly logger = new Logger('Migrations');

  constructor(private readonly dataSource: DataSource) {}

  async migrate(): Promise<string[]> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
      const applied = await this.dataSource.runMigrations({ transaction: 'each' });
      if (applied.length > 0) this.logger.log(`applied ${applied.map((m) => m.name).join(', ')}`);
      return applied.map((m) => m.name);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
      await runner.release();
    }
  }
}
