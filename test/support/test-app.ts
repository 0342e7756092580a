import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { createApp } from '../../src/bootstrap';
import type { AppConfig } from '../../src/config/app-config';
import { loadConfig } from '../../src/config/load-config';
import { generateSecrets } from '../../src/config/secrets';
import { databaseUrl, TEST_DATABASE_URL, TEST_REDIS_URL, templateDatabaseName } from './test-env';

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

// A fresh copy of the migrated template database, private to one test file.
export async function createTestDatabase(): Promise<TestDatabase> {
  const template = templateDatabaseName();
  const name = `${template.replace('hekim_tpl_', 'hekim_t_')}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: databaseUrl(name),
    async drop() {
      const client = new Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

// The environment of a test instance: real PostgreSQL and Redis, generated secrets, and a
// Redis key prefix of its own so that parallel files never see each other's keys.
export function testEnv(
  db: TestDatabase,
  prefix: string,
  overrides: NodeJS.ProcessEnv = {},
): NodeJS.ProcessEnv {
  return {
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    LOG_LEVEL: 'silent',
    DATABASE_POOL_SIZE: '5',
    // Messages stay in the outbox, where tests read them, unless a test turns the relay on
    // (test/notifications).
    NOTIFY_RELAY_ENABLED: 'false',
    ...generateSecrets(),
    ...overrides,
  };
}

export interface TestApp {
  app: NestExpressApplication;
  config: AppConfig;
  db: TestDatabase;
  http: () => TestAgent;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: NodeJS.ProcessEnv;
  // Share a database (and Redis prefix) with another instance, e.g. for two-instance tests.
  db?: TestDatabase;
  redisPrefix?: string;
  listen?: boolean;
}

export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const db = options.db ?? (await createTestDatabase());
  const prefix = options.redisPrefix ?? `hekim-test:${randomBytes(6).toString('hex')}:`;
  const config = loadConfig(testEnv(db, prefix, options.env), { persistGeneratedSecrets: false });
  const app = await createApp(config);
  if (options.listen) await app.listen(0, '127.0.0.1');
  else await app.init();
  const server = app.getHttpServer();
  return {
    app,
    config,
    db,
    http: () => request(server),
    async close() {
      await app.close();
      if (!options.db) {
        await db.drop();
        await deleteRedisKeys(prefix);
      }
    },
  };
}

export async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
