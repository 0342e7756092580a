import { randomInt } from 'node:crypto';
import { DataSource, type FindOptionsWhere } from 'typeorm';
import { AuditEventEntity } from '../../src/modules/audit/audit-event.entity';
import { tcknCheckDigits } from '../../src/modules/users/patient-profile/national-id';
import { authHeader, type SignedIn } from '../support/auth';
import type { TestApp } from '../support/test-app';

// A random national id with valid check digits.
export function randomTckn(): string {
  const first = String(randomInt(1, 10)) + String(randomInt(0, 1e8)).padStart(8, '0');
  return first + tcknCheckDigits(first);
}

// A consultation room hosted by the doctor with the patient as a member.
export async function shareRoom(t: TestApp, doctor: SignedIn, patientId: string): Promise<string> {
  const res = await t
    .http()
    .post('/api/v1/rooms')
    .set(authHeader(doctor.accessToken))
    .send({ name: 'Consultation', type: 'consultation', memberIds: [patientId] });
  if (res.status !== 201) throw new Error(`room: ${res.status} ${JSON.stringify(res.body)}`);
  return (res.body as { id: string }).id;
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
