import type { AlarmCandidateRow } from '../../audit/access-report/audit-patterns.service';
import { planPass, windowOf } from './alert-rules';
import { AlertKind } from './compliance-alert.entity';

const T = { recordReadsPerHour: 3, deniedAccesses: 4, deniedWindowMinutes: 10, exportRecords: 5 };
let seq = 0;
const row = (r: Partial<AlarmCandidateRow>): AlarmCandidateRow => ({
  seq: String(++seq),
  occurredAt: new Date('2026-12-07T10:00:00Z'),
  actorId: 'doc',
  actorRole: 'doctor',
  action: 'patient_profile.read',
  outcome: 'success',
  subjectId: 'pat',
  resourceId: null,
  details: {},
  ...r,
});

describe('compliance alarm rules', () => {
  it('raises break-glass starts and only exports above the threshold at once', () => {
    const plan = planPass(
      [
        row({ action: 'break_glass.start' }),
        row({ action: 'audit.export', details: { records: 6 } }),
        row({ action: 'audit.export', details: { records: 5 } }),
        row({ action: 'audit.export', details: {} }),
      ],
      T,
    );
    expect(plan.immediate.map((i) => [i.kind, i.count])).toEqual([
      [AlertKind.BreakGlass, 1],
      [AlertKind.BulkExport, 6],
    ]);
  });

  it('counts the reads of clinicians of other people, and the refusals of known accounts', () => {
    const last = row({ actorId: 'doc', subjectId: 'p2' });
    const plan = planPass(
      [
        row({ actorId: 'doc', subjectId: 'p1' }),
        last,
        row({ actorId: 'admin', actorRole: 'admin', action: 'user.read' }),
        row({ actorId: 'self', subjectId: 'self' }),
        row({ actorId: null, actorRole: null }),
        row({ outcome: 'denied', actorId: 'pat', action: 'access.denied' }),
        row({ outcome: 'denied', actorId: null, action: 'access.denied' }),
      ],
      T,
    );
    expect([...plan.reads.keys()]).toEqual(['doc']);
    expect(plan.reads.get('doc')).toBe(last);
    expect([...plan.denials.keys()]).toEqual(['pat']);
  });

  it('puts a time in the fixed window that holds it', () => {
    const w = windowOf(new Date('2026-12-07T10:17:30Z'), 15);
    expect(w.start.toISOString()).toBe('2026-12-07T10:15:00.000Z');
    expect(w.end.toISOString()).toBe('2026-12-07T10:30:00.000Z');
  });
});
