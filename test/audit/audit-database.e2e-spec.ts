import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { canonicalJson, chainHash } from '../../src/modules/audit/chain/audit-chain';
import { toRecordBody } from '../../src/modules/audit/audit-mapper';
import { AuditTrailService } from '../../src/modules/audit/export/audit-trail.service';
import { AuditRepository } from '../../src/modules/audit/audit.repository';
import { AuditEventEntity } from '../../src/modules/audit/audit-event.entity';
import { createTestApp, type TestApp } from '../support/test-app';
import { TEST_DATABASE_URL } from '../support/test-env';
import { ctx, recordMany } from './audit-support';

async function superuser(t: TestApp): Promise<Client> {
  const client = new Client({ connectionString: t.db.url });
  await client.connect();
  return client;
}

describe('audit trail: the database', () => {
  describe('the application role (privileges) and retention', () => {
    let t: TestApp;
    const role = `hekim_audit_app_${randomBytes(4).toString('hex')}`;

    beforeAll(async () => {
      t = await createTestApp();
      await recordMany(t, 3);
    });
    afterAll(async () => {
      await t.close();
      const admin = new Client({ connectionString: TEST_DATABASE_URL });
      await admin.connect();
      await admin.query(`DROP ROLE IF EXISTS ${role}`);
      await admin.end();
    });

    it('refuses UPDATE, DELETE and TRUNCATE to a role set up as docs/audit.md says', async () => {
      const admin = await superuser(t);
      try {
        // The grants of docs/audit.md, verbatim but for the role's name.
        await admin.query(`CREATE ROLE ${role} LOGIN`);
        await admin.query(`GRANT USAGE ON SCHEMA public TO ${role}`);
        await admin.query(
          `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role}`,
        );
        await admin.query(
          `REVOKE UPDATE, DELETE, TRUNCATE ON audit_events, audit_checkpoints FROM ${role}`,
        );
        await admin.query(`REVOKE DELETE, TRUNCATE ON audit_chain_head FROM ${role}`);
      } finally {
        await admin.end();
      }
      const url = new URL(t.db.url);
      url.username = role;
      url.password = '';
      const app = new Client({ connectionString: url.toString() });
      await app.connect();
      try {
        const { rows } = await app.query<{ n: string }>('SELECT count(*) AS n FROM audit_events');
        expect(Number(rows[0].n)).toBe(3);
        for (const table of ['audit_events', 'audit_checkpoints']) {
          await expect(app.query(`UPDATE ${table} SET hash = hash`)).rejects.toMatchObject({
            code: '42501',
          });
          await expect(app.query(`DELETE FROM ${table}`)).rejects.toMatchObject({ code: '42501' });
          await expect(app.query(`TRUNCATE ${table}`)).rejects.toMatchObject({ code: '42501' });
        }
        // The head row moves with every append (its trigger runs with the role's rights) but
        // cannot be removed.
        await expect(app.query('UPDATE audit_chain_head SET seq = seq')).resolves.toBeDefined();
        await expect(app.query('DELETE FROM audit_chain_head')).rejects.toMatchObject({
          code: '42501',
        });
        // Other tables stay writable for that role: the refusal is specific to the trail.
        await expect(app.query('UPDATE users SET email = email')).resolves.toBeDefined();
      } finally {
        await app.end();
      }
    });

    it('has no deletion path: the repository only reads and appends, and even a superuser connection cannot delete a young record', async () => {
      const methods = Object.getOwnPropertyNames(AuditRepository.prototype);
      expect(methods.filter((m) => /delete|remove|purge|update|truncate|clear/i.test(m))).toEqual(
        [],
      );
      expect(t.config.audit.retentionDays).toBe(2190);
      const db = t.app.get(DataSource);
      await expect(
        db.query(`DELETE FROM audit_events WHERE occurred_at > now() - interval '2190 days'`),
      ).rejects.toThrow(/append-only/);
      await expect(db.getRepository(AuditEventEntity).clear()).rejects.toThrow(/append-only/);
      const [{ n }] = await db.query<{ n: string }[]>('SELECT count(*) AS n FROM audit_events');
      expect(Number(n)).toBe(3);
    });
  });

  describe('online verification of a tampered copy (scratch database)', () => {
    // Each case tampers with its own throw-away database, triggers disabled as a superuser
    // (what an insider with database access would do).
    async function tamperedApp(sql: (c: Client, t: TestApp) => Promise<void>): Promise<TestApp> {
      const t = await createTestApp({ env: { AUDIT_CHECKPOINT_EVERY_RECORDS: '5' } });
      await recordMany(t, 23);
      const c = await superuser(t);
      try {
        await c.query('ALTER TABLE audit_events DISABLE TRIGGER USER');
        await sql(c, t);
        await c.query('ALTER TABLE audit_events ENABLE TRIGGER USER');
      } finally {
        await c.end();
      }
      return t;
    }

    async function rewriteFrom(c: Client, t: TestApp, fromSeq: number): Promise<void> {
      const rows = await t.app
        .get(DataSource)
        .getRepository(AuditEventEntity)
        .find({ order: { seq: 'ASC' } });
      let prev = rows[fromSeq - 2].hash;
      for (const row of rows.slice(fromSeq - 1)) {
        const body = toRecordBody(row);
        if (row.seq === String(fromSeq)) body.outcome = 'denied';
        const hash = chainHash(prev, body);
        await c.query(
          'UPDATE audit_events SET outcome = $2, prev_hash = $3, hash = $4, canonical = $5 WHERE seq = $1',
          [row.seq, body.outcome, prev, hash, canonicalJson(body)],
        );
        prev = hash;
      }
    }

    const cases: [string, (c: Client, t: TestApp) => Promise<void>, string][] = [
      [
        'edit a field',
        async (c) => {
          await c.query(`UPDATE audit_events SET actor_ip = '198.51.100.9' WHERE seq = 8`);
        },
        '8',
      ],
      [
        'edit the stored canonical text (what the NDJSON export sends)',
        async (c) => {
          await c.query(
            `UPDATE audit_events SET canonical = replace(canonical, '"203.0.113.7"', '"198.51.100.9"') WHERE seq = 8`,
          );
        },
        '8',
      ],
      [
        'delete a row',
        async (c) => {
          await c.query('DELETE FROM audit_events WHERE seq = 8');
        },
        '8',
      ],
      [
        'delete the first rows',
        async (c) => {
          await c.query('DELETE FROM audit_events WHERE seq <= 2');
        },
        '1',
      ],
      [
        'reorder (swap two rows’ contents)',
        async (c) => {
          await c.query(`UPDATE audit_events SET request_id = 'req-7' WHERE seq = 7`);
          await c.query(`UPDATE audit_events SET request_id = 'req-6' WHERE seq = 8`);
        },
        '7',
      ],
      [
        'truncate the tail past a checkpoint',
        async (c) => {
          await c.query('DELETE FROM audit_events WHERE seq > 17');
        },
        '18',
      ],
      ['replace the tail with a recomputed chain', (c, t) => rewriteFrom(c, t, 13), '11'],
    ];

    it.each(cases)('%s: verify names the first bad seq', async (_name, sql, expected) => {
      const t = await tamperedApp(sql);
      try {
        const result = await t.app.get(AuditTrailService).verify({}, ctx);
        expect(result).toMatchObject({ valid: false, firstInvalidSeq: expected });
      } finally {
        await t.close();
      }
    });
  });
});
