import { Injectable, Optional } from '@nestjs/common';
import type { AuthUser } from '../../common/auth/auth-user';
import { Role } from '../../common/auth/role';
import { NoSharedRooms, SharedRoomsPort } from './ports/shared-rooms.port';

// Record-level access to user records, in one place: services ask here instead of growing
// their own `if`s. Role-level access is the guard's job and is already done.
@Injectable()
export class UserAccessPolicy {
  private readonly rooms: SharedRoomsPort;

  constructor(@Optional() rooms?: SharedRoomsPort) {
    this.rooms = rooms ?? new NoSharedRooms();
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
