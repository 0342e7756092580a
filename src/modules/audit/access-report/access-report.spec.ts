import type { AccessRecordRow } from '../audit.repository';
import { AccessBasis, toAccessReportItem } from './access-report';

const P = 'patient';
const row = (r: Partial<AccessRecordRow>): AccessRecordRow => ({
  seq: '1',
  occurredAt: new Date('2026-12-07T10:00:00Z'),
  actorId: 'doc',
  actorRole: 'doctor',
  action: 'room.member.add',
  subjectId: P,
  resourceType: 'room',
  resourceId: 'r1',
  details: {},
  ...r,
});
const basis = (r: Partial<AccessRecordRow>) => toAccessReportItem(row(r), P).basis;

describe('access report: the basis of each record', () => {
  it('names the basis the record gives, or what the actor was', () => {
    expect(basis({ actorId: P, actorRole: 'patient' })).toBe(AccessBasis.Self);
    expect(basis({ details: { basis: 'care_relationship' } })).toBe(AccessBasis.CareRelationship);
    expect(basis({ action: 'break_glass.start' })).toBe(AccessBasis.BreakGlass);
    expect(basis({ details: { basis: 'break_glass' } })).toBe(AccessBasis.BreakGlass);
    expect(basis({ details: { basis: 'account_administration' }, actorRole: 'admin' })).toBe(
      AccessBasis.Administration,
    );
    expect(basis({ details: { basis: 'staff' } })).toBe(AccessBasis.Administration);
    expect(basis({})).toBe(AccessBasis.CareRelationship);
    expect(basis({ actorRole: 'compliance_officer' })).toBe(AccessBasis.Administration);
    expect(basis({ actorId: null, actorRole: null })).toBe(AccessBasis.Administration);
    expect(basis({ action: 'data_subject.export', actorId: P })).toBe(AccessBasis.Export);
  });

  it('names the recipient of disclosures and exports', () => {
    const d = toAccessReportItem(
      row({ action: 'webhook.delivery', actorId: null, actorRole: null, resourceId: 'e1' }),
      P,
    );
    expect(d).toMatchObject({
      basis: AccessBasis.Disclosure,
      actorRole: 'system',
      recipient: 'webhook_endpoint:e1',
    });
    const e = toAccessReportItem(
      row({ action: 'audit.export', actorRole: 'compliance_officer' }),
      P,
    );
    expect(e).toMatchObject({ basis: AccessBasis.Export, recipient: 'audit_trail_export' });
  });
});
