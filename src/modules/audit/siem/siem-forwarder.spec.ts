import { hostname } from 'node:os';
import type { AppConfig } from '../../../config/app-config';
import { SiemForwarder } from './siem-forwarder';
import type { FramedPage } from './siem-frame-copy';
import { AuditSyslogFormatter, type SiemRecord } from './siem-record';
import type { SiemMetrics } from './siem.metrics';
import type { SiemLease, SiemRepository } from './siem.repository';
import { SyslogDeliveryError, syslogSecureContext, type SyslogTlsTarget } from './syslog-tls';

// Each session's finish() is `deliver`, with what was written to it; opened sessions are
// counted.
const deliver = jest.fn<Promise<void>, [SyslogTlsTarget, Buffer]>();
const opened: { discarded: boolean }[] = [];
jest.mock('./syslog-tls', () => ({
  ...jest.requireActual<typeof import('./syslog-tls')>('./syslog-tls'),
  syslogSecureContext: jest.fn(() => ({ context: 'made' })),
  SyslogTlsSession: jest.fn().mockImplementation((target: SyslogTlsTarget) => {
    const session = { discarded: false };
    const parts: Buffer[] = [];
    opened.push(session);
    return {
      write: (part: Buffer) => {
        parts.push(part);
        return Promise.resolve();
      },
      finish: () => deliver(target, Buffer.concat(parts)),
      discard: () => (session.discarded = true),
    };
  }),
}));
jest.mock('node:fs/promises', () => ({ readFile: jest.fn(() => Promise.resolve('pem')) }));

const siemConfig = {
  siem: {
    host: '127.0.0.1',
    port: 6514,
    caFile: '/ca.pem',
    clientCertFile: '/client.pem',
    clientKeyFile: '/client-key.pem',
    batchRecords: 2,
  },
} as unknown as AppConfig;

function record(seq: number): SiemRecord {
  return {
    seq: String(seq),
    occurredAt: '2026-12-07T09:00:00.000Z',
    action: 'auth.login',
    outcome: 'success',
    prevHash: '0'.repeat(64),
    hash: String(seq).padStart(64, '0'),
    canonical: `{"seq":"${seq}"}`,
  };
}

// What SiemRepository.framedPage answers, from records in memory.
function framed(
  all: readonly SiemRecord[],
  after: string,
  limit: number,
  formatter: AuditSyslogFormatter,
): FramedPage {
  const rows = all.filter((r) => Number(r.seq) > Number(after)).slice(0, limit);
  const last = rows[rows.length - 1];
  return {
    records: rows.length,
    last: last && { seq: last.seq, hash: last.hash },
    payload: formatter.frames(rows),
  };
}

// The pages asked for: after which seq, how many at most.
function pagesAsked(framedPage: jest.Mock): [string, number][] {
  return framedPage.mock.calls.map(([after, limit]: [string, number]) => [after, limit]);
}

// The forwarding loop with its collaborators faked: which failures give the lease up, that the
// cursor moves only after a confirmed delivery, and that shutdown stops the loop.
describe('SiemForwarder', () => {
  let cursor: number;
  let lease: jest.Mocked<SiemLease>;
  let repo: { tryLease: jest.Mock; backlog: jest.Mock; framedPage: jest.Mock; close: jest.Mock };
  let metrics: jest.Mocked<Pick<SiemMetrics, 'backlog' | 'leased' | 'delivered' | 'failed'>>;
  const records = [1, 2, 3].map(record);

  beforeEach(() => {
    jest.useFakeTimers();
    deliver.mockReset();
    opened.length = 0;
    (syslogSecureContext as jest.Mock).mockClear();
    cursor = 0;
    lease = {
      cursor: jest.fn(() => Promise.resolve({ seq: String(cursor), hash: null })),
      advance: jest.fn((seq: string) => {
        cursor = Number(seq);
        return Promise.resolve();
      }),
      release: jest.fn(() => Promise.resolve()),
    } as unknown as jest.Mocked<SiemLease>;
    repo = {
      tryLease: jest.fn(() => Promise.resolve(lease)),
      backlog: jest.fn(() => Promise.resolve({ records: 0, oldestAt: null })),
      framedPage: jest.fn((after: string, limit: number, formatter: AuditSyslogFormatter) =>
        Promise.resolve(framed(records, after, limit, formatter)),
      ),
      close: jest.fn(() => Promise.resolve()),
    };
    metrics = { backlog: jest.fn(), leased: jest.fn(), delivered: jest.fn(), failed: jest.fn() };
  });

  afterEach(() => jest.useRealTimers());

  function forwarder(config: AppConfig = siemConfig): SiemForwarder {
    return new SiemForwarder(
      config,
      repo as unknown as SiemRepository,
      metrics as unknown as SiemMetrics,
    );
  }

  it('does nothing without SIEM_SYSLOG_URL', async () => {
    const f = forwarder({ siem: undefined } as unknown as AppConfig);
    f.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(10_000);
    await f.onModuleDestroy();
    expect(repo.tryLease).not.toHaveBeenCalled();
  });

  it('moves the cursor batch by batch, only after each delivery, with the client certificate', async () => {
    deliver.mockResolvedValue(undefined);
    const f = forwarder();
    f.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(100);
    expect(lease.advance.mock.calls.map(([seq]) => seq)).toEqual(['2', '3']);
    expect(deliver).toHaveBeenCalledTimes(2);
    // The TLS settings are made once from the three files and shared by the sessions.
    expect(syslogSecureContext).toHaveBeenCalledTimes(1);
    expect(syslogSecureContext).toHaveBeenCalledWith({ ca: 'pem', cert: 'pem', key: 'pem' });
    expect(deliver.mock.calls[0][0]).toMatchObject({ host: '127.0.0.1', port: 6514 });
    // After the full first batch the next session was opened ahead; after the short second
    // one none was (nothing is left over).
    expect(opened).toHaveLength(2);
    expect(opened.every((s) => !s.discarded)).toBe(true);
    expect(metrics.delivered.mock.calls).toEqual([[2], [1]]);
    // The cursor is read once per lease; the second page was read after the first (full) one.
    expect(lease.cursor).toHaveBeenCalledTimes(1);
    expect(pagesAsked(repo.framedPage).slice(0, 2)).toEqual([
      ['0', 2],
      ['2', 2],
    ]);
    // What the collector got: the records' frames, a session each batch.
    const formatter = new AuditSyslogFormatter(hostname());
    expect(deliver.mock.calls.map(([, payload]) => payload)).toEqual([
      formatter.frames(records.slice(0, 2)),
      formatter.frames(records.slice(2)),
    ]);
    await f.onModuleDestroy();
    expect(lease.release).toHaveBeenCalledTimes(1);
    expect(metrics.leased).toHaveBeenLastCalledWith(false);
    // The page reads' connection is closed once the loop has stopped.
    expect(repo.close).toHaveBeenCalledTimes(1);
  });

  it('reads and writes a batch larger than a page page by page, in one session', async () => {
    deliver.mockResolvedValue(undefined);
    const many = Array.from({ length: 1201 }, (_, i) => record(i + 1));
    repo.framedPage.mockImplementation(
      (after: string, limit: number, formatter: AuditSyslogFormatter) =>
        Promise.resolve(framed(many, after, limit, formatter)),
    );
    const f = forwarder({ siem: { ...siemConfig.siem!, batchRecords: 1000 } } as AppConfig);
    f.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(100);
    // Pages of 500; the batch of 1,000 is two pages in one session, then the last 201 (a
    // short page: caught up, the next look is a second later).
    expect(pagesAsked(repo.framedPage)).toEqual([
      ['0', 500],
      ['500', 500],
      ['1000', 500],
    ]);
    const formatter = new AuditSyslogFormatter(hostname());
    // (Buffer#equals: jest's deep equality walks large buffers byte by byte.)
    expect(deliver).toHaveBeenCalledTimes(2);
    expect(deliver.mock.calls[0][1].equals(formatter.frames(many.slice(0, 1000)))).toBe(true);
    expect(deliver.mock.calls[1][1].equals(formatter.frames(many.slice(1000)))).toBe(true);
    expect(lease.advance.mock.calls.map(([seq]) => seq)).toEqual(['1000', '1201']);
    expect(metrics.delivered.mock.calls).toEqual([[1000], [201]]);
    await f.onModuleDestroy();
  });

  // Holds the next cursor update until the test calls the function returned.
  function holdNextAdvance(): () => void {
    let commit: () => void = () => undefined;
    lease.advance.mockImplementationOnce(
      (seq: string) =>
        new Promise<void>((resolve) => {
          commit = () => {
            cursor = Number(seq);
            resolve();
          };
        }),
    );
    return () => commit();
  }

  it('writes the next batch while the cursor update is pending, with at most one pending', async () => {
    deliver.mockResolvedValue(undefined);
    const commit = holdNextAdvance();
    const f = forwarder();
    f.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(100);
    // Batch 2 was written and confirmed while batch 1's update was still under way; its own
    // update waits for that one.
    expect(deliver).toHaveBeenCalledTimes(2);
    expect(lease.advance.mock.calls.map(([seq]) => seq)).toEqual(['2']);
    expect(cursor).toBe(0);
    commit();
    await jest.advanceTimersByTimeAsync(100);
    expect(lease.advance.mock.calls.map(([seq]) => seq)).toEqual(['2', '3']);
    expect(cursor).toBe(3);
    await f.onModuleDestroy();
  });

  it('records a confirmed batch before it gives the lease up on shutdown', async () => {
    // The second batch is never confirmed: shutdown ends its session.
    deliver
      .mockResolvedValueOnce(undefined)
      .mockImplementation(
        (target) =>
          new Promise<void>((_, reject) =>
            target.signal!.addEventListener('abort', () =>
              reject(new SyslogDeliveryError('stopped')),
            ),
          ),
      );
    const commit = holdNextAdvance();
    const f = forwarder();
    f.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(100);
    const stopped = f.onModuleDestroy();
    await jest.advanceTimersByTimeAsync(100);
    expect(lease.release).not.toHaveBeenCalled();
    commit();
    await stopped;
    expect(cursor).toBe(2);
    expect(lease.release).toHaveBeenCalledTimes(1);
  });

  it('keeps the cursor and the lease when the collector does not confirm, and retries', async () => {
    deliver.mockRejectedValueOnce(new SyslogDeliveryError('refused')).mockResolvedValue(undefined);
    const f = forwarder();
    f.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(100);
    expect(lease.advance).not.toHaveBeenCalled();
    expect(metrics.failed).toHaveBeenCalledTimes(1);
    // The session opened ahead for the next batch is given up with the failed one.
    expect(opened[1].discarded).toBe(true);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(cursor).toBe(3);
    expect(repo.tryLease).toHaveBeenCalledTimes(1);
    await f.onModuleDestroy();
  });

  it('gives the lease up when the database fails, and takes it again', async () => {
    deliver.mockResolvedValue(undefined);
    lease.cursor.mockRejectedValueOnce(new Error('connection terminated'));
    lease.release.mockRejectedValueOnce(new Error('connection terminated'));
    const f = forwarder();
    f.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(100);
    expect(lease.release).toHaveBeenCalledTimes(1);
    expect(metrics.failed).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(1_000);
    expect(repo.tryLease).toHaveBeenCalledTimes(2);
    expect(cursor).toBe(3);
    await f.onModuleDestroy();
  });

  it('waits while another instance holds the lease', async () => {
    repo.tryLease.mockResolvedValueOnce(null);
    deliver.mockResolvedValue(undefined);
    const f = forwarder();
    f.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(4_000);
    expect(repo.tryLease).toHaveBeenCalledTimes(1);
    expect(metrics.leased).toHaveBeenCalledWith(false);
    await jest.advanceTimersByTimeAsync(1_100);
    expect(repo.tryLease).toHaveBeenCalledTimes(2);
    expect(cursor).toBe(3);
    await f.onModuleDestroy();
  });
});
