import type { Pool, PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { createTestApp, type TestApp } from '../support/test-app';

// A connection checked out of the pool (as the audit export checks out its COPY connections)
// when PostgreSQL ends its backend (a restart, a failover, pg_terminate_backend) reports an
// error on the connection itself, outside any query. The pool listens only to idle
// connections: without a listener of the connection's own, that error would end the process.
describe('resilience: PostgreSQL ends a connection the app has checked out', () => {
  let t: TestApp;
  let held: PoolClient | undefined;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    held?.release(true);
    await t.close();
  });

  it('survives it and keeps serving', async () => {
    const db = t.app.get(DataSource);
    const pool = (db.driver as PostgresDriver).master as Pool;
    held = await pool.connect();
    const { rows } = await held.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    // Only waits for the end: an 'error' listener here would stand in for the missing one.
    const ended = new Promise<void>((resolve) => held?.once('end', () => resolve()));

    await db.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
    await ended;

    await expect(held.query('SELECT 1')).rejects.toThrow();
    expect((await t.http().get('/health/ready')).status).toBe(200);
    expect(await db.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });
});
