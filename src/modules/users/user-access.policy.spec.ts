import type { AuthUser } from '../../common/auth/auth-user';
import { Role } from '../../common/auth/role';
import { CareRelationshipsPort } from './ports/care-relationships.port';
import { EmergencyAccessPort } from './ports/emergency-access.port';
import { UserAccessPolicy } from './user-access.policy';

class OneRelationship extends CareRelationshipsPort {
  // doctor d1 treats patient p1 (relationship r1).
  activeRelationshipId(clinicianId: string, patientId: string): Promise<string | null> {
    return Promise.resolve(clinicianId === 'd1' && patientId === 'p1' ? 'r1' : null);
  }
  activePatientsOf(clinicianId: string): Promise<Map<string, string>> {
    return Promise.resolve(new Map(clinicianId === 'd1' ? [['p1', 'r1']] : []));
  }
}

class OneGrant extends EmergencyAccessPort {
  // doctor d2 holds grant g1 for patient p2.
  activeGrantId(doctorId: string, patientId: string): Promise<string | null> {
    return Promise.resolve(doctorId === 'd2' && patientId === 'p2' ? 'g1' : null);
  }
  activeGrantsOf(doctorId: string): Promise<Map<string, string>> {
    return Promise.resolve(new Map(doctorId === 'd2' ? [['p2', 'g1']] : []));
  }
}

class NoRelationships extends CareRelationshipsPort {
  activeRelationshipId(): Promise<string | null> {
    return Promise.resolve(null);
  }
  activePatientsOf(): Promise<Map<string, string>> {
    return Promise.resolve(new Map<string, string>());
  }
}

class NoGrants extends EmergencyAccessPort {
  activeGrantId(): Promise<string | null> {
    return Promise.resolve(null);
  }
  activeGrantsOf(): Promise<Map<string, string>> {
    return Promise.resolve(new Map<string, string>());
  }
}

const user = (id: string, role: Role): AuthUser => ({ id, role, sessionId: 's' });
const target = (id: string): { id: string; role: Role } => ({
  id,
  role: id.startsWith('p')
    ? Role.Patient
    : id.startsWith('d')
      ? Role.Doctor
      : id.startsWith('a')
        ? Role.Admin
        : Role.ComplianceOfficer,
});

describe('UserAccessPolicy', () => {
  const policy = new UserAccessPolicy(new OneRelationship(), new OneGrant());
  const bare = new UserAccessPolicy(new NoRelationships(), new NoGrants());

  it.each([
    ['a patient, themselves', user('p1', Role.Patient), 'p1', { basis: 'self' }],
    [
      'a patient, their doctor',
      user('p1', Role.Patient),
      'd1',
      { basis: 'care_relationship', careRelationshipId: 'r1' },
    ],
    ['a patient, a doctor not treating them', user('p1', Role.Patient), 'd2', null],
    ['a patient, another patient', user('p1', Role.Patient), 'p2', null],
    ['a patient, an admin', user('p1', Role.Patient), 'a1', null],
    [
      'a doctor, their patient',
      user('d1', Role.Doctor),
      'p1',
      { basis: 'care_relationship', careRelationshipId: 'r1' },
    ],
    ['a doctor, another patient', user('d1', Role.Doctor), 'p2', null],
    [
      'a doctor under break-glass',
      user('d2', Role.Doctor),
      'p2',
      { basis: 'break_glass', grantId: 'g1' },
    ],
    ['a doctor, a colleague', user('d1', Role.Doctor), 'd2', { basis: 'staff' }],
    ['a doctor, an admin', user('d1', Role.Doctor), 'a1', { basis: 'staff' }],
    ['a doctor, a compliance officer', user('d1', Role.Doctor), 'c1', null],
    ['an admin, anyone', user('a1', Role.Admin), 'p2', { basis: 'account_administration' }],
    ['a compliance officer, a patient', user('c1', Role.ComplianceOfficer), 'p1', null],
    ['a compliance officer, a doctor', user('c1', Role.ComplianceOfficer), 'd1', null],
  ])('user record: %s', async (_name, actor, id, expected) => {
    expect(await policy.recordAccess(actor, target(id))).toEqual(expected);
  });

  it('lists: admins everyone, doctors the patients they treat or hold a grant for, others nobody', async () => {
    expect(await policy.listable(user('a1', Role.Admin))).toBeUndefined();
    expect(await policy.listable(user('d1', Role.Doctor))).toEqual(
      new Map([['p1', { basis: 'care_relationship', careRelationshipId: 'r1' }]]),
    );
    expect(await policy.listable(user('d2', Role.Doctor))).toEqual(
      new Map([['p2', { basis: 'break_glass', grantId: 'g1' }]]),
    );
    expect(await policy.listable(user('p1', Role.Patient))).toEqual(new Map());
  });

  it.each([
    ['an admin (minimum necessary)', user('a1', Role.Admin), 'p1'],
    ['a compliance officer', user('c1', Role.ComplianceOfficer), 'p1'],
    ['another patient', user('p1', Role.Patient), 'p2'],
    ['a doctor with a grant for someone else', user('d2', Role.Doctor), 'p1'],
  ])('clinical record: refused to %s', async (_name, actor, patientId) => {
    expect(await policy.clinicalAccess(actor, patientId)).toBeNull();
  });

  it('grants a doctor nothing without a care relationship or a grant', async () => {
    expect(await bare.clinicalAccess(user('d1', Role.Doctor), 'p1')).toBeNull();
    expect(await bare.clinicalAccess(user('d2', Role.Doctor), 'p2')).toBeNull();
    expect(await bare.listable(user('d1', Role.Doctor))).toEqual(new Map());
    expect(await bare.clinicalAccess(user('p1', Role.Patient), 'p1')).toEqual({ basis: 'self' });
  });
});
