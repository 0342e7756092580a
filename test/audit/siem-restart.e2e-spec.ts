import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { AuditService } from '../../src/modules/audit/audit.service';
import { freePort } from '../support/free-port';
import { HekimCluster, running } from '../support/hekim-cluster';
import type { HekimProcess } from '../support/hekim-process';
import { makeSiemPki, Rsyslog, waitFor } from '../support/rsyslog';
import {
  createTestApp,
  createTestDatabase,
  type TestApp,
  type TestDatabase,
} from '../support/test-app';
import { TEST_REDIS_URL } from '../support/test-env';
import { sampleEvent } from './audit-support';
import { checkReceivedChain, cursorSeq, headSeq, metricValue } from './siem-support';

jest.setTimeout(240_000);

const BATCH = 10;

// Real Hekim processes (dist/, `npm run build` first) forwarding to a real rsyslog: the one
// that forwards is killed mid-stream (SIGKILL: no chance to clean up) and the other takes the
// lease over and resumes from the cursor; then the new forwarder is restarted mid-stream
// (SIGTERM, a new process). Every record arrives, in order; the crash repeats at most two
// batches (SIEM_BATCH_RECORDS: the one on its way and the one confirmed whose cursor update
// was still pending), the restart at most one (the stop lets the pending update finish), as
// docs/siem.md#at-least-once says.
describe('SIEM forwarding across a crash and a restart of Hekim', () => {
  let dir: string;
  let db: TestDatabase;
  let writer: TestApp;
  let admin: Client;
  let rsyslog: Rsyslog;
  let cluster: HekimCluster;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hekim-siem-restart-'));
    const pki = await makeSiemPki(dir);
    db = await createTestDatabase();
    // Writes the records; it forwards nothing (no SIEM_SYSLOG_URL).
    writer = await createTestApp({ db });
    admin = new Client({ connectionString: db.url });
    await admin.connect();
    // The collector starts later, so that the stream is under way when a test interrupts it.
    rsyslog = new Rsyslog({
      dir,
      port: await freePort(),
      caFile: pki.caFile,
      cert: pki.server.cert,
      key: pki.server.key,
    });
    cluster = new HekimCluster({
      db,
      redisUrl: TEST_REDIS_URL,
      env: {
        SIEM_SYSLOG_URL: `tls://127.0.0.1:${rsyslog.options.port}`,
        SIEM_CA_FILE: pki.caFile,
        SIEM_BATCH_RECORDS: String(BATCH),
      },
    });
  });

  afterAll(async () => {
    await cluster?.stopAll('siem-restart');
    await rsyslog?.stop();
    await admin?.end();
    await writer?.close();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function record(n: number, from: number): Promise<void> {
    const audit = writer.app.get(AuditService);
    for (let i = 0; i < n; i += 100)
      await Promise.all(
        Array.from({ length: Math.min(100, n - i) }, (_, k) =>
          audit.record(sampleEvent(from + i + k)),
        ),
      );
  }

  async function active(i: HekimProcess): Promise<boolean> {
    if (!running(i)) return false;
    const res = await fetch(`${i.url}/metrics`, { signal: AbortSignal.timeout(5000) });
    return metricValue(await res.text(), 'hekim_siem_forwarder_active') === 1;
  }

  async function forwarder(): Promise<HekimProcess> {
    let found: HekimProcess | undefined;
    await waitFor(
      async () => {
        for (const i of cluster.instances) if (await active(i)) found = i;
        return found !== undefined;
      },
      30_000,
      () => 'no instance holds the SIEM lease',
    );
    return found!;
  }

  async function allForwarded(): Promise<boolean> {
    const head = await headSeq(admin);
    return (
      (await cursorSeq(admin)) === head &&
      checkReceivedChain(rsyslog.lines()).records.length === head
    );
  }

  it('resumes after the forwarding instance is killed mid-stream, repeating at most two batches', async () => {
    await record(3000, 0);
    await cluster.start();
    await cluster.start();
    const first = await forwarder();
    await rsyslog.start();
    // Mid-stream: the collector has some of the records, the cursor is not at the head.
    await waitFor(
      () => rsyslog.lines().length >= 300,
      60_000,
      () => `the stream did not start:\n${first.output()}`,
    );
    first.proc.kill('SIGKILL');
    await first.exited;
    const atKill = await cursorSeq(admin);
    expect(atKill).toBeLessThan(await headSeq(admin));
    const second = await forwarder();
    expect(second).not.toBe(first);
    await waitFor(allForwarded, 60_000, () => `not all forwarded:\n${second.output()}`);
    const { records, duplicates } = checkReceivedChain(rsyslog.lines());
    expect(records.map((r) => r.seq)).toEqual(
      Array.from({ length: await headSeq(admin) }, (_, i) => i + 1),
    );
    expect(duplicates).toBeLessThanOrEqual(2 * BATCH);
  });

  it('resumes after a restart of the forwarding instance mid-stream, repeating at most one batch', async () => {
    const before = checkReceivedChain(rsyslog.lines()).duplicates;
    const current = await forwarder();
    const received = rsyslog.lines().length;
    await record(3000, 10_000);
    await waitFor(
      () => rsyslog.lines().length >= received + 300,
      60_000,
      () => 'the stream did not go on',
    );
    current.proc.kill('SIGTERM');
    expect(await current.exited).toMatchObject({ code: 0 });
    expect(await cursorSeq(admin)).toBeLessThan(await headSeq(admin));
    await cluster.start();
    await forwarder();
    await waitFor(allForwarded, 60_000, () => 'not all forwarded after the restart');
    const { records, duplicates } = checkReceivedChain(rsyslog.lines());
    expect(records.map((r) => r.seq)).toEqual(
      Array.from({ length: await headSeq(admin) }, (_, i) => i + 1),
    );
    expect(duplicates - before).toBeLessThanOrEqual(BATCH);
  });
});
