import type { AppConfig } from '../../../config/app-config';
import type { AuditCheckpointer } from '../chain/audit-checkpointer';
import { AuditTrailService, CHAIN_PAGE_SIZE } from './audit-trail.service';
import type { AuditEventRow, AuditRepository } from '../audit.repository';
import type { AuditService } from '../audit.service';

// A page asked for ahead that fails while the reader is busy elsewhere (a slow client
// between chunks) must not become an unhandled rejection, which stops a Node process; the
// reader gets the error when it asks for that page.
describe('AuditTrailService pages read ahead', () => {
  it('fail where they are awaited, never as an unhandled rejection', async () => {
    const full: AuditEventRow[] = Array.from({ length: CHAIN_PAGE_SIZE }, (_, i) => ({
      seq: String(i + 1),
      occurred_at: new Date(0),
      actor_user_id: null,
      actor_role: null,
      actor_ip: null,
      actor_user_agent: null,
      action: 'auth.login',
      outcome: 'success',
      resource_type: null,
      resource_id: null,
      subject_id: null,
      request_id: null,
      details: {},
      prev_hash: '0'.repeat(64),
      hash: '0'.repeat(64),
      canonical: null,
    }));
    let calls = 0;
    const repository = {
      findChainPage: () =>
        ++calls === 1 ? Promise.resolve(full) : Promise.reject(new Error('connection terminated')),
    } as unknown as AuditRepository;
    const service = new AuditTrailService(
      repository,
      {} as AuditService,
      {} as AuditCheckpointer,
      {} as AppConfig,
    );
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const pages = service.chainPages('1', '999999');
      // The first page arrives, and the second is asked for ahead: it fails at once.
      const first = await pages.next();
      expect(first.done).toBe(false);
      // The reader is away for a few turns of the event loop.
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
      expect(unhandled).toEqual([]);
      await expect(pages.next()).rejects.toThrow('connection terminated');
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
