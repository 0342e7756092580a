import { authHeader, type SignedIn } from './auth';
import type { TestApp } from './test-app';

// Care relationships the way clients make them: a clinician invites the patient into a
// consultation room, and the patient accepts (docs/access-model.md).

// POST /rooms by `host` with `members` invited; the room's id.
export async function inviteToRoom(
  t: TestApp,
  host: SignedIn,
  members: SignedIn[],
  extra: Record<string, unknown> = {},
): Promise<string> {
  const res = await t
    .http()
    .post('/api/v1/rooms')
    .set(authHeader(host.accessToken))
    .send({
      name: 'Consultation',
      type: 'consultation',
      memberIds: members.map((m) => m.user.id),
      ...extra,
    });
  if (res.status !== 201)
    throw new Error(`POST /rooms failed: ${res.status} ${JSON.stringify(res.body)}`);
  return (res.body as { id: string }).id;
}

// POST /rooms/:id/accept by the invited patient.
export async function acceptInvitation(
  t: TestApp,
  patient: SignedIn,
  roomId: string,
): Promise<void> {
  const res = await t
    .http()
    .post(`/api/v1/rooms/${roomId}/accept`)
    .set(authHeader(patient.accessToken));
  if (res.status !== 200)
    throw new Error(
      `POST /rooms/${roomId}/accept failed: ${res.status} ${JSON.stringify(res.body)}`,
    );
}

// A room of `doctor` that `patient` was invited to and accepted: the patient's act that
// makes a care relationship between them. Returns the room's id.
export async function careRoom(
  t: TestApp,
  doctor: SignedIn,
  patient: SignedIn,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const roomId = await inviteToRoom(t, doctor, [patient], extra);
  await acceptInvitation(t, patient, roomId);
  return roomId;
}

export interface CareRelationshipBody {
  id: string;
  clinicianId: string;
  patientId: string;
  source: string;
  sourceId: string;
  since: string;
  until: string | null;
  endedAt: string | null;
  endedBy: string | null;
  status: 'active' | 'follow_up' | 'ended';
}

// GET /care-relationships as `who`.
export async function careRelationshipsOf(
  t: TestApp,
  who: SignedIn,
): Promise<CareRelationshipBody[]> {
  const res = await t.http().get('/api/v1/care-relationships').set(authHeader(who.accessToken));
  if (res.status !== 200)
    throw new Error(`GET /care-relationships failed: ${res.status} ${JSON.stringify(res.body)}`);
  return (res.body as { items: CareRelationshipBody[] }).items;
}
