import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../../common/auth/auth-user';
import { Role } from '../../common/auth/role';
import { CareRelationshipsPort } from '../users/ports/care-relationships.port';
import { isStaff } from '../users/user-access.policy';
import { UserStatus } from '../users/user.entity';
import { UsersService } from '../users/users.service';

interface Party {
  id: string;
  role: Role;
}

// Who may ring whom (docs/access-model.md): two staff members (doctors, admins), or a doctor
// and a patient in an active care relationship, either way round. Nobody else; patients never
// ring patients. The caller must be allowed to ring every callee; a group call a doctor places
// to several of their patients rings each of them under their own relationship.
@Injectable()
export class RingPolicy {
  constructor(
    private readonly users: UsersService,
    private readonly care: CareRelationshipsPort,
  ) {}

  // True when the call may ring; an unknown or deactivated callee is refused like one the
  // caller may not reach, so the answer tells nothing about who exists.
  async allows(caller: AuthUser, calleeIds: readonly string[]): Promise<boolean> {
    const callees = await this.users.standings(calleeIds);
    if (callees.length !== calleeIds.length) return false;
    if (callees.some((u) => u.status !== UserStatus.Active)) return false;
    const from: Party = { id: caller.id, role: caller.role };
    for (const callee of callees) if (!(await this.mayRing(from, callee))) return false;
    return true;
  }

  private async mayRing(a: Party, b: Party): Promise<boolean> {
    if (isStaff(a.role) && isStaff(b.role)) return true;
    const doctor = a.role === Role.Doctor ? a : b.role === Role.Doctor ? b : null;
    const patient = a.role === Role.Patient ? a : b.role === Role.Patient ? b : null;
    if (!doctor || !patient) return false;
    return (await this.care.activeRelationshipId(doctor.id, patient.id)) !== null;
  }
}
