// Which people a user shares a consultation room with. The rooms module owns that knowledge
// and provides this port from a @Global() module (`{ provide: SharedRoomsPort, useExisting:
// RoomsService }`); until it does, nobody shares a room with anybody, so doctors see no
// patients and only admins and the person themselves read a user record.
export abstract class SharedRoomsPort {
  abstract shareARoom(userId: string, otherUserId: string): Promise<boolean>;
  abstract peopleSharingARoomWith(userId: string): Promise<string[]>;
}

export class NoSharedRooms extends SharedRoomsPort {
  shareARoom(): Promise<boolean> {
    return Promise.resolve(false);
  }

  peopleSharingARoomWith(): Promise<string[]> {
    return Promise.resolve([]);
  }
}
