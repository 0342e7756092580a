import type { PortImplementations } from '../../../common/ports/port-implementations';
import type { AuditRepository } from '../audit.repository';
import type { AuditService } from '../audit.service';
import { AccessReportService, AuditRecordRecipient } from './access-report.service';

class Collector extends AuditRecordRecipient {
  constructor(private readonly where: string | null) {
    super();
  }
  recipient(): string | null {
    return this.where;
  }
}

describe('AccessReportService', () => {
  it('names the configured forwarders of every record, and pages by seq', async () => {
    const rows = [1, 2, 3].map((n) => ({
      seq: String(n),
      occurredAt: new Date(),
      actorId: 'doc',
      actorRole: 'doctor',
      action: 'patient_profile.read',
      subjectId: 'p',
      resourceType: null,
      resourceId: null,
      details: { basis: 'care_relationship' },
    }));
    const repository = { findAboutPerson: jest.fn().mockResolvedValue(rows) };
    const audit = { record: jest.fn().mockResolvedValue('1') };
    const ports = {
      of: jest.fn(() => [new Collector('siem:collector.example:6514'), new Collector(null)]),
    };
    const service = new AccessReportService(
      repository as unknown as AuditRepository,
      audit as unknown as AuditService,
      ports as unknown as PortImplementations,
    );
    const page = await service.report(
      { personId: 'p', from: null, to: null, cursor: null, limit: 2 },
      { actor: { userId: 'p', role: 'patient' } },
    );
    expect(page.auditRecordsSentTo).toEqual(['siem:collector.example:6514']);
    expect(page.items.map((i) => i.seq)).toEqual(['1', '2']);
    expect(page.nextCursor).toBe('2');
    expect(repository.findAboutPerson).toHaveBeenCalledWith('p', { from: null, to: null }, '0', 3);
    expect(audit.record).toHaveBeenCalledWith(expect.objectContaining({ subjectId: 'p' }));
    service.auditRecipients();
    expect(ports.of).toHaveBeenCalledTimes(1);
  });
});
