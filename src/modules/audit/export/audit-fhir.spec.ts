import type { AuditRecordBody } from '../chain/audit-chain';
import { toFhirAuditEvent } from './audit-fhir';

const base: AuditRecordBody = {
  seq: '7',
  occurredAt: '2026-01-01T00:00:00.000Z',
  actor: { userId: null, role: null, ip: null, userAgent: null },
  action: 'system.tick',
  outcome: 'success',
  resource: { type: null, id: null },
  subjectId: null,
  requestId: null,
  details: {},
};

describe('FHIR AuditEvent mapping', () => {
  it.each([
    ['auth.login', '110114', 'E'],
    ['audit.export', '110106', 'R'],
    ['audit.verify', '110101', 'R'],
    ['user.create', 'rest', 'C'],
    ['user.update', 'rest', 'U'],
    ['session.revoke', 'rest', 'D'],
    ['patient.read', 'rest', 'R'],
  ])('maps %s to type %s and action %s', (action, type, verb) => {
    const e = toFhirAuditEvent({ ...base, action }, '0'.repeat(64), '1'.repeat(64));
    expect(e.type.code).toBe(type);
    expect(e.action).toBe(verb);
    expect(e.subtype).toEqual([{ system: 'urn:hekim:audit:action', code: action }]);
  });

  it('maps outcomes and leaves out what the record does not have', () => {
    const e = toFhirAuditEvent({ ...base, outcome: 'denied' }, '0'.repeat(64), '1'.repeat(64));
    expect(e.outcome).toBe('4');
    expect(e.outcomeDesc).toBe('denied');
    expect(e.agent[0].who).toBeUndefined();
    expect(e.agent[0].network).toBeUndefined();
    expect(e.entity).toBeUndefined();
    expect(toFhirAuditEvent({ ...base, outcome: 'odd' }, '', '').outcome).toBe('8');
  });

  it('drops an empty resource id rather than writing an empty identifier', () => {
    const e = toFhirAuditEvent(
      { ...base, resource: { type: 'audit_trail', id: null } },
      '0'.repeat(64),
      '1'.repeat(64),
    );
    expect(e.entity?.[0].what?.identifier).toEqual({ system: 'urn:hekim:audit_trail' });
  });
});
