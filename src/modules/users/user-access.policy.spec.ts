import type { AuthUser } from '../../common/auth/auth-user';
import { Role } from '../../common/auth/role';
import { EmergencyAccessPort } from './ports/emergency-access.port';
import { SharedRoomsPort } from './ports/shared-rooms.port';
import { UserAccessPolicy } from './user-access.policy';

class OneRoom extends SharedRoomsPort {
  // doctor d1 and patient p1 share a room.
  shareARoom(a: string, b: string): Promise<boolean> {
    return Promise.resolve([a, b].sort().join() === 'd1,p1');
  }
  peopleSharingARoomWith(id: string): Promise<string[]> {
    return Promise.resolve(id === 'd1' ? ['p1'] : id === 'p1' ? ['d1'] : []);
  }
}

class OneGrant extends EmergencyAccessPort {
  // doctor d2 holds grant g1 for patient p2.
  activeGrantId(doctorId: string, patientId: string): Promise<string | null> {
    return Promise.resolve(doctorId === 'd2' && patientId === 'p2' ? 'g1' : null);
  }
}

const user = (id: string, role: Role): AuthUser => ({ id, role, sessionId: 's' });

describe('UserAccessPolicy', () => {
  const withRooms = new UserAccessPolicy(new OneRoom());
  const withoutRooms = new UserAccessPolicy();

  it.each([
    ['a patient, themselves', user('p1', Role.Patient), 'p1', true],
    ['a patient, their doctor', user('p1', Role.Patient), 'd1', true],
    ['a patient, another patient', user('p1', Role.Patient), 'p2', false],
    ['a doctor, a patient in their room', user('d1', Role.Doctor), 'p1', true],
    ['a doctor, another patient', user('d1', Role.Doctor), 'p2', false],
    ['an admin, anyone', user('a1', Role.Admin), 'p2', true],
    ['a compliance officer, a patient', user('c1', Role.ComplianceOfficer), 'p1', false],
  ])('%s → %s', async (_name, actor, target, expected) => {
    expect(await withRooms.canRead(actor, target)).toBe(expected);
  });

  it('lists: admins everyone, doctors their room mates, others nobody', async () => {
    expect(await withRooms.listableIds(user('a1', Role.Admin))).toBeUndefined();
    expect(await withRooms.listableIds(user('d1', Role.Doctor))).toEqual(['p1']);
    expect(await withRooms.listableIds(user('p1', Role.Patient))).toEqual([]);
  });

  it('defaults to nobody sharing a room until the rooms module provides the port', async () => {
    expect(await withoutRooms.canRead(user('d1', Role.Doctor), 'p1')).toBe(false);
    expect(await withoutRooms.listableIds(user('d1', Role.Doctor))).toEqual([]);
  });

  it.each([
    ['the patient themselves', user('p1', Role.Patient), 'p1', { allowed: true, via: 'self' }],
    [
      'a doctor sharing a room',
      user('d1', Role.Doctor),
      'p1',
      { allowed: true, via: 'shared_room' },
    ],
    [
      'a doctor under break-glass',
      user('d2', Role.Doctor),
      'p2',
      { allowed: true, via: 'break_glass', grantId: 'g1' },
    ],
    ['a doctor with neither', user('d1', Role.Doctor), 'p2', { allowed: false }],
    ['a doctor with a grant for someone else', user('d2', Role.Doctor), 'p1', { allowed: false }],
    ['another patient', user('p1', Role.Patient), 'p2', { allowed: false }],
    ['an admin (minimum necessary)', user('a1', Role.Admin), 'p1', { allowed: false }],
    ['a compliance officer', user('c1', Role.ComplianceOfficer), 'p1', { allowed: false }],
  ])('patient record: %s', async (_name, actor, target, expected) => {
    const policy = new UserAccessPolicy(new OneRoom(), new OneGrant());
    expect(await policy.patientRecordAccess(actor, target)).toEqual(expected);
  });

  it('grants no emergency access until the break-glass module provides the port', async () => {
    expect(await withoutRooms.patientRecordAccess(user('d2', Role.Doctor), 'p2')).toEqual({
      allowed: false,
    });
  });
});
