import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import type { DataSourceOptions } from 'typeorm';

export const MIGRATIONS_GLOB = join(__dirname, '..', '..', '..', 'migrations', '*.{js,ts}');
export const ENTITIES_GLOB = join(__dirname, '..', '..', '**', '*.entity.{js,ts}');

export interface DatabaseConnectionSettings {
  url: string;
  poolSize: number;
  statementTimeoutMs: number;
}

const logger = new Logger('Database');

// Every connection of the pool listens for its own errors. The pool listens only while a
// connection is idle: one checked out when PostgreSQL goes away (a restart, a failover, a
// killed backend) would emit an error nobody listens for, which ends the process. The query
// in flight fails by itself and the pool drops the broken connection when it comes back.
//
// Its statements are written per tick: node-postgres writes each statement to the socket on
// its own (one `writev` system call each, which also wakes the backend for each), so the first
// statement of a tick corks the socket and the end of the tick uncorks it: statements sent
// back to back (a lock and the reads behind it, the audit records and the COMMIT, the
// statements awaited in one chain of promise callbacks) leave in one write. Nothing waits
// longer than the tick it was sent in (docs/performance.md, scenario 5).
export class GuardedClient extends Client {
  private corked = false;

  constructor(config?: ConstructorParameters<typeof Client>[0]) {
    super(config);
    this.on('error', (err: Error & { code?: string }) => {
      // Alone here: checked out (idle ones are also reported by the pool's own listener).
      if (this.listenerCount('error') === 1)
        logger.warn({ code: err.code, err: err.message }, 'a PostgreSQL connection in use failed');
    });
  }

  // Corks the connection's socket until the current tick's callbacks (its promise callbacks
  // included) have run. Not while connecting: the startup goes out as node-postgres sends it.
  corkForTick(): void {
    const stream = this.connection.stream as Duplex & { connecting?: boolean };
    if (this.corked || stream.connecting === true || !stream.writable) return;
    this.corked = true;
    stream.cork();
    process.nextTick(() => {
      this.corked = false;
      stream.uncork();
    });
  }
}

// Through the prototype, so that the query that runs is whatever Client.prototype.query is
// when called (a test's wire tap patches it).
Object.defineProperty(GuardedClient.prototype, 'query', {
  configurable: true,
  writable: true,
  value: function query(this: GuardedClient, ...args: unknown[]): unknown {
    this.corkForTick();
    return (Client.prototype.query as (...a: unknown[]) => unknown).apply(this, args);
  },
});

// The options shared by the app, the migration CLI and the tests: the same SQL everywhere.
export function dataSourceOptions(settings: DatabaseConnectionSettings): DataSourceOptions {
  return {
    type: 'postgres',
    url: settings.url,
    applicationName: 'hekim',
    synchronize: false,
    migrationsRun: false,
    migrations: [MIGRATIONS_GLOB],
    migrationsTableName: 'migrations',
    // gen_random_uuid() is built into PostgreSQL 13+; no extension to install.
    installExtensions: false,
    uuidExtension: 'pgcrypto',
    logging: ['error'],
    extra: {
      Client: GuardedClient,
      max: settings.poolSize,
      connectionTimeoutMillis: 3000,
      idleTimeoutMillis: 30_000,
      statement_timeout: settings.statementTimeoutMs,
      // A query is sent without waiting for the answer to the one before it on the same
      // connection. TypeORM awaits each query, so this changes nothing until several are
      // sent at once: an audit record goes out with its transaction's COMMIT (AuditService).
      // COPY streams are refused on such connections; the export has its own pool.
      pipeline: true,
    },
  };
}
