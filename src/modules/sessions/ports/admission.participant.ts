import type { EntityManager } from 'typeorm';
import type { AuthUser } from '../../../common/auth/auth-user';

// Modules built on sessions that follow a waiting room's admissions (appointments: the patient
// admitted to their appointment's room is now in consultation) act inside the admitting
// transaction, which holds the room's lock, without sessions depending on them: each provides
// a class extending this port (a multi-implementation port, docs/architecture.md).
export abstract class AdmissionParticipant {
  abstract admitted(
    admission: { roomId: string; userId: string; host: AuthUser },
    manager: EntityManager,
  ): Promise<void>;
}
