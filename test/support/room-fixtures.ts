import { randomBytes } from 'node:crypto';
import type { AuthUser } from '../../src/common/auth/auth-user';
import { Role } from '../../src/common/auth/role';
import { UsersRepository } from '../../src/modules/users/users.repository';
import { signIn, type SignedIn } from './auth';
import { careRoom } from './care';
import { grantAllConsents } from './consents';
import type { TestApp } from './test-app';

// A user row and the AuthUser a verified token would yield for it, for service-tier tests.
// Patients get the current consents (telemedicine, data_processing) unless `consent` is false.
export async function insertUser(
  t: TestApp,
  role: Role,
  name?: string,
  options: { consent?: boolean } = {},
): Promise<AuthUser> {
  const user = await t.app.get(UsersRepository).insert({
    email: `${role}-${randomBytes(5).toString('hex')}@example.test`,
    passwordHash: 'not-a-real-hash',
    displayName: name ?? `${role} ${randomBytes(2).toString('hex')}`,
    role,
  });
  if (role === Role.Patient && options.consent !== false) await grantAllConsents(t, user.id);
  return { id: user.id, role, sessionId: '00000000-0000-4000-8000-000000000000' };
}

export const roles = { doctor: Role.Doctor, patient: Role.Patient, admin: Role.Admin };

// A doctor and a patient, both signed in, and a consultation room the doctor hosts that the
// patient was invited to and accepted, made over REST as clients make it.
export async function consultationPair(
  t: TestApp,
  name = 'Consultation',
): Promise<{ doctor: SignedIn; patient: SignedIn; roomId: string }> {
  const doctor = await signIn(t, Role.Doctor);
  const patient = await signIn(t, Role.Patient);
  const roomId = await careRoom(t, doctor, patient, { name });
  return { doctor, patient, roomId };
}
