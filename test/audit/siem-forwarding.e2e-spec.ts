import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { AuditService } from '../../src/modules/audit/audit.service';
import { octetCountingFrame } from '../../src/modules/audit/siem/syslog-format';
import {
  deliverSyslogBatch,
  SyslogDeliveryError,
  syslogSecureContext,
} from '../../src/modules/audit/siem/syslog-tls';
import { freePort } from '../support/free-port';
import { makeSiemPki, Rsyslog, type SiemPki, waitFor } from '../support/rsyslog';
import { createTestApp, type TestApp } from '../support/test-app';
import { sampleEvent } from './audit-support';
import { checkReceivedChain, cursorSeq, hashOf, headSeq, metricValue } from './siem-support';

jest.setTimeout(180_000);

// SIEM forwarding against a real rsyslog with its TLS module (docs/siem.md): the records
// arrive in order and the receiver can check the chain; a 30 s outage of the collector loses
// nothing; a collector whose certificate the CA did not sign, or that is named otherwise, is
// refused and nothing is marked forwarded; mutual TLS.
describe('SIEM forwarding to rsyslog over TLS', () => {
  let dir: string;
  let pki: SiemPki;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hekim-siem-'));
    pki = await makeSiemPki(dir);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function collector(
    name: string,
    cert: { cert: string; key: string },
    authMode?: 'anon' | 'x509/certvalid',
  ): Promise<Rsyslog> {
    const own = mkdtempSync(join(dir, `${name}-`));
    return Rsyslog.start({
      dir: own,
      port: await freePort(),
      caFile: pki.caFile,
      ...cert,
      authMode,
    });
  }

  function forwarding(port: number, extra: NodeJS.ProcessEnv = {}): Promise<TestApp> {
    return createTestApp({
      env: {
        SIEM_SYSLOG_URL: `tls://127.0.0.1:${port}`,
        SIEM_CA_FILE: pki.caFile,
        SIEM_BATCH_RECORDS: '50',
        ...extra,
      },
    });
  }

  async function record(t: TestApp, n: number, from: number): Promise<void> {
    const audit = t.app.get(AuditService);
    // Concurrent records are group-committed: several per transaction, still one chain.
    await Promise.all(Array.from({ length: n }, (_, i) => audit.record(sampleEvent(from + i))));
  }

  async function metrics(t: TestApp): Promise<string> {
    return (await t.http().get('/metrics').expect(200)).text;
  }

  describe('with a collector it trusts', () => {
    let rsyslog: Rsyslog;
    let t: TestApp;
    let db: Client;

    beforeAll(async () => {
      rsyslog = await collector('good', pki.server);
      t = await forwarding(portOf(rsyslog));
      db = new Client({ connectionString: t.db.url });
      await db.connect();
    });

    afterAll(async () => {
      await db?.end();
      await t?.close();
      await rsyslog?.stop();
    });

    async function allForwarded(): Promise<boolean> {
      const head = await headSeq(db);
      return (
        (await cursorSeq(db)) === head &&
        checkReceivedChain(rsyslog.lines()).records.length === head
      );
    }

    it('delivers every record in order, with what the receiver needs to check the chain', async () => {
      await record(t, 180, 0);
      await waitFor(allForwarded, 30_000, () => `not all forwarded:\n${rsyslog.log()}`);
      const head = await headSeq(db);
      const { records, duplicates } = checkReceivedChain(rsyslog.lines());
      expect(duplicates).toBe(0);
      expect(records.map((r) => r.seq)).toEqual(Array.from({ length: head }, (_, i) => i + 1));
      // The first record links to the genesis hash; the last is the database's head.
      expect(records[0].prevHash).toBe('0'.repeat(64));
      expect(records[head - 1].hash).toBe(await hashOf(db, head));
      // MSG is the record itself (canonical JSON); facility log audit, notice or warning.
      const login = records.find((r) => r.action === 'auth.login');
      expect(JSON.parse(login!.message)).toMatchObject({
        action: 'auth.login',
        seq: String(login!.seq),
      });
      expect(records.every((r) => r.pri === 13 * 8 + 5 || r.pri === 13 * 8 + 4)).toBe(true);
      // The gauges follow the cursor once the forwarder has looked again.
      await waitFor(
        async () => metricValue(await metrics(t), 'hekim_siem_backlog_records') === 0,
        10_000,
        () => 'the backlog gauge did not reach 0',
      );
      const text = await metrics(t);
      expect(metricValue(text, 'hekim_siem_backlog_seconds')).toBe(0);
      expect(metricValue(text, 'hekim_siem_forwarder_active')).toBe(1);
      expect(metricValue(text, 'hekim_siem_forwarded_records_total')).toBe(head);
    });

    it('loses nothing through a 30 s outage of the collector, and reports the backlog meanwhile', async () => {
      await waitFor(allForwarded, 30_000, () => 'not caught up before the outage');
      const before = await cursorSeq(db);
      const failuresBefore = metricValue(await metrics(t), 'hekim_siem_delivery_failures_total');
      await rsyslog.stop();
      await record(t, 40, 1000);
      const outageEnds = Date.now() + 30_000;
      // Throughout the outage nothing is marked forwarded, and the backlog shows.
      await waitFor(
        async () => {
          expect(await cursorSeq(db)).toBe(before);
          return Date.now() >= outageEnds;
        },
        35_000,
        () => 'the outage did not end',
      );
      const during = await metrics(t);
      expect(metricValue(during, 'hekim_siem_delivery_failures_total')).toBeGreaterThan(
        failuresBefore,
      );
      expect(metricValue(during, 'hekim_siem_backlog_records')).toBeGreaterThanOrEqual(40);
      expect(metricValue(during, 'hekim_siem_backlog_seconds')).toBeGreaterThanOrEqual(25);
      await record(t, 10, 2000);
      await rsyslog.start();
      // Retries back off to at most 15 s.
      await waitFor(
        allForwarded,
        30_000,
        () => `not all forwarded after the outage:\n${rsyslog.log()}`,
      );
      const head = await headSeq(db);
      const { records } = checkReceivedChain(rsyslog.lines());
      expect(records.map((r) => r.seq)).toEqual(Array.from({ length: head }, (_, i) => i + 1));
      await waitFor(
        async () => metricValue(await metrics(t), 'hekim_siem_backlog_records') === 0,
        10_000,
        () => 'the backlog gauge did not reach 0',
      );
    });
  });

  describe('with a collector it must refuse', () => {
    async function refused(
      cert: { cert: string; key: string },
      name: string,
      code: string,
    ): Promise<void> {
      const rsyslog = await collector(name, cert);
      // The TLS client itself names why: the certificate, not the collector, is refused.
      const attempt = deliverSyslogBatch(
        {
          host: '127.0.0.1',
          port: portOf(rsyslog),
          secureContext: syslogSecureContext({ ca: readFileSync(pki.caFile, 'utf8') }),
          timeoutMs: 10_000,
        },
        octetCountingFrame('<109>1 - - hekim - - - probe'),
      );
      await expect(attempt).rejects.toBeInstanceOf(SyslogDeliveryError);
      await expect(attempt).rejects.toMatchObject({ cause: { code } });
      const t = await forwarding(portOf(rsyslog));
      const db = new Client({ connectionString: t.db.url });
      await db.connect();
      try {
        await record(t, 5, 0);
        await waitFor(
          async () => metricValue(await metrics(t), 'hekim_siem_delivery_failures_total') >= 2,
          20_000,
          () => 'no refused delivery',
        );
        expect(await cursorSeq(db)).toBe(0);
        expect(rsyslog.lines()).toEqual([]);
        expect(metricValue(await metrics(t), 'hekim_siem_backlog_records')).toBe(await headSeq(db));
      } finally {
        await db.end();
        await t.close();
        await rsyslog.stop();
      }
    }

    it('refuses a certificate its CA did not sign, and marks nothing forwarded', async () => {
      await refused(pki.rogueServer, 'rogue', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    });

    it('refuses a certificate for another host name, and marks nothing forwarded', async () => {
      await refused(pki.wrongNameServer, 'wrong-name', 'ERR_TLS_CERT_ALTNAME_INVALID');
    });
  });

  it('presents its client certificate to a collector that requires mutual TLS', async () => {
    const rsyslog = await collector('mutual', pki.server, 'x509/certvalid');
    const t = await forwarding(portOf(rsyslog), {
      SIEM_CLIENT_CERT_FILE: pki.client.cert,
      SIEM_CLIENT_KEY_FILE: pki.client.key,
    });
    const db = new Client({ connectionString: t.db.url });
    await db.connect();
    try {
      await record(t, 5, 0);
      await waitFor(
        async () => (await cursorSeq(db)) === (await headSeq(db)),
        20_000,
        () => `not forwarded over mutual TLS:\n${rsyslog.log()}`,
      );
      expect(checkReceivedChain(rsyslog.lines()).records.length).toBe(await headSeq(db));
    } finally {
      await db.end();
      await t.close();
      await rsyslog.stop();
    }
  });
});

function portOf(r: Rsyslog): number {
  return r.options.port;
}
