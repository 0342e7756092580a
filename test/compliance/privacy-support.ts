import { randomInt } from 'node:crypto';
import { DataSource, type FindOptionsWhere } from 'typeorm';
import { AuditEventEntity } from '../../src/modules/audit/audit-event.entity';
import { tcknCheckDigits } from '../../src/modules/users/patient-profile/national-id';
import { authHeader, type SignedIn } from '../support/auth';
import { careRoom } from '../support/care';
import type { TestApp } from '../support/test-app';

// A random national id with valid check digits.
export function randomTckn(): string {
  const first = String(randomInt(1, 10)) + String(randomInt(0, 1e8)).padStart(8, '0');
  return first + tcknCheckDigits(first);
}

// A consultation room hosted by the doctor that the patient was invited to and accepted: a
// care relationship between them.
export function shareRoom(t: TestApp, doctor: SignedIn, patient: SignedIn): Promise<string> {
  return careRoom(t, doctor, patient);
}

export async function putProfile(
  t: TestApp,
  patient: SignedIn,
  profile: { nationalId?: string | null; dateOfBirth?: string | null; phone?: string | null },
): Promise<void> {
  const res = await t
    .http()
    .put('/api/v1/users/me/profile')
    .set(authHeader(patient.accessToken))
    .send(profile);
  if (res.status !== 200) throw new Error(`profile: ${res.status} ${JSON.stringify(res.body)}`);
}

export function auditRecords(
  t: TestApp,
  where: FindOptionsWhere<AuditEventEntity>,
): Promise<AuditEventEntity[]> {
  return t.app
    .get(DataSource)
    .getRepository(AuditEventEntity)
    .find({ where, order: { seq: 'ASC' } });
}
