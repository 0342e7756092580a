import { Injectable, Optional } from '@nestjs/common';
import type { AuthUser } from '../../common/auth/auth-user';
import { Role } from '../../common/auth/role';
import { EmergencyAccessPort, NoEmergencyAccess } from './ports/emergency-access.port';
import { NoSharedRooms, SharedRoomsPort } from './ports/shared-rooms.port';

// How a reader reached a patient's clinical record (the encrypted profile).
export type PatientRecordAccess =
  | { allowed: true; via: 'self' | 'shared_room' }
  | { allowed: true; via: 'break_glass'; grantId: string }
  | { allowed: false };

// Record-level access to user records, in one place: services ask here instead of growing
// their own `if`s. Role-level access is the guard's job and is already done.
@Injectable()
export class UserAccessPolicy {
  private readonly rooms: SharedRoomsPort;
  private readonly emergency: EmergencyAccessPort;

  constructor(@Optional() rooms?: SharedRoomsPort, @Optional() emergency?: EmergencyAccessPort) {
    this.rooms = rooms ?? new NoSharedRooms();
    this.emergency = emergency ?? new NoEmergencyAccess();
  }

  // May `actor` read patient `patientId`'s clinical record? Minimum necessary: the patient,
  // and doctors treating them (a shared consultation room) or under an active break-glass
  // grant. Admins and compliance officers manage accounts and audits, not clinical data.
  async patientRecordAccess(actor: AuthUser, patientId: string): Promise<PatientRecordAccess> {
    if (actor.id === patientId) return { allowed: true, via: 'self' };
    if (actor.role !== Role.Doctor) return { allowed: false };
    if (await this.rooms.shareARoom(actor.id, patientId)) {
      return { allowed: true, via: 'shared_room' };
    }
    const grantId = await this.emergency.activeGrantId(actor.id, patientId);
    return grantId ? { allowed: true, via: 'break_glass', grantId } : { allowed: false };
  }

  // May `actor` read the record of user `targetId`? Themselves, admins, and people who share
  // a consultation room with them.
  async canRead(actor: AuthUser, targetId: string): Promise<boolean> {
    if (actor.id === targetId || actor.role === Role.Admin) return true;
    return this.rooms.shareARoom(actor.id, targetId);
  }

  // Which users `actor` may list: undefined means everyone (admins); otherwise an allow-list.
  async listableIds(actor: AuthUser): Promise<string[] | undefined> {
    if (actor.role === Role.Admin) return undefined;
    if (actor.role === Role.Doctor) return this.rooms.peopleSharingARoomWith(actor.id);
    return [];
  }
}
