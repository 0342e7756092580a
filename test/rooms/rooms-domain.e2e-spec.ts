import { DataSource } from 'typeorm';
import type { AuthUser } from '../../src/common/auth/auth-user';
import { Role } from '../../src/common/auth/role';
import { AppException } from '../../src/common/errors/app.exception';
import { KeyValueStore } from '../../src/infra/redis/key-value.store';
import { RoomType } from '../../src/modules/rooms/room.entity';
import { RoomsService } from '../../src/modules/rooms/rooms.service';
import { InstanceLiveness } from '../../src/modules/sessions/instance-liveness.service';
import { RoomPresenceService, type Joined } from '../../src/modules/sessions/room-presence.service';
import { SessionEvents, type SessionEndedEvent } from '../../src/modules/sessions/session-events';
import { SessionsService } from '../../src/modules/sessions/sessions.service';
import { insertUser } from '../support/room-fixtures';
import { createTestApp, type TestApp } from '../support/test-app';

async function actionsOf(t: TestApp, roomId: string): Promise<string[]> {
  const rows = await t.app
    .get(DataSource)
    .query<{ action: string }[]>(
      'SELECT action FROM audit_events WHERE resource_id = $1 ORDER BY seq',
      [roomId],
    );
  return rows.map((r) => r.action);
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AppException) return err.code;
    throw err;
  }
  return 'OK';
}

// The rooms and sessions domain against the real database, below the transport: the same
// services serve REST and the signaling gateway.
describe('rooms and sessions domain', () => {
  let t: TestApp;
  let rooms: RoomsService;
  let presence: RoomPresenceService;
  let liveness: InstanceLiveness;
  let sessions: SessionsService;
  let doctor: AuthUser;
  let patient: AuthUser;
  let other: AuthUser;
  let admin: AuthUser;

  beforeAll(async () => {
    t = await createTestApp({ env: { SIGNALING_RECONNECT_GRACE_SECONDS: '5' } });
    rooms = t.app.get(RoomsService);
    presence = t.app.get(RoomPresenceService);
    liveness = t.app.get(InstanceLiveness);
    sessions = t.app.get(SessionsService);
    doctor = await insertUser(t, Role.Doctor);
    patient = await insertUser(t, Role.Patient);
    other = await insertUser(t, Role.Patient);
    admin = await insertUser(t, Role.Admin);
  });
  afterAll(() => t.close());

  // A room of the doctor's; the patients invited to it accept (their own act), as clients do.
  const create = async (extra: Partial<Parameters<RoomsService['create']>[1]> = {}) => {
    const room = await rooms.create(doctor, {
      name: 'Follow-up',
      type: RoomType.Consultation,
      memberIds: [patient.id],
      ...extra,
    });
    for (const p of [patient, other])
      if (room.members.some((m) => m.userId === p.id)) await rooms.accept(p, room.id);
    return rooms.get(doctor, room.id);
  };

  it('shows a room to its members and admins only; others get NOT_FOUND', async () => {
    const room = await create();
    expect(room.hostId).toBe(doctor.id);
    expect(room.members).toEqual(
      expect.arrayContaining([
        { userId: doctor.id, role: 'host', status: 'active' },
        { userId: patient.id, role: 'participant', status: 'active' },
      ]),
    );
    expect((await rooms.get(patient, room.id)).id).toBe(room.id);
    expect((await rooms.get(admin, room.id)).id).toBe(room.id);
    expect(await code(rooms.get(other, room.id))).toBe('NOT_FOUND');
    expect(await code(rooms.update(other, room.id, { name: 'x' }))).toBe('NOT_FOUND');
    expect(await code(rooms.update(patient, room.id, { name: 'x' }))).toBe('FORBIDDEN');
    expect((await rooms.update(admin, room.id, { name: 'Renamed' })).name).toBe('Renamed');
    expect((await rooms.list(patient, {})).items.map((r) => r.id)).toContain(room.id);
    expect((await rooms.list(other, {})).items.map((r) => r.id)).not.toContain(room.id);
  });

  it('manages members (host only) and refuses unknown users', async () => {
    const room = await create();
    expect(
      await code(
        rooms.addMember(patient, room.id, { userId: other.id, role: 'participant' as never }),
      ),
    ).toBe('FORBIDDEN');
    const added = await rooms.addMember(doctor, room.id, {
      userId: other.id,
      role: 'participant' as never,
    });
    expect(added.members.map((m) => m.userId)).toContain(other.id);
    expect(await code(rooms.removeMember(doctor, room.id, doctor.id))).toBe('CONFLICT');
    await rooms.removeMember(doctor, room.id, other.id);
    expect(await code(rooms.get(other, room.id))).toBe('NOT_FOUND');
    expect(await code(rooms.removeMember(doctor, room.id, other.id))).toBe('NOT_FOUND');
    expect(await code(create({ memberIds: ['5b0c1f8e-2f6a-4d8e-9a43-0f4f6a3c1d2e'] }))).toBe(
      'VALIDATION_FAILED',
    );
  });

  it('invites patients: an invited member sees the room but cannot join until they accept', async () => {
    const colleague = await insertUser(t, Role.Doctor);
    const room = await rooms.create(doctor, {
      name: 'Invitation',
      type: RoomType.Group,
      memberIds: [patient.id, other.id, colleague.id],
      maxParticipants: 5,
    });
    const status = (id: string) => room.members.find((m) => m.userId === id)?.status;
    expect([status(patient.id), status(other.id), status(colleague.id)]).toEqual([
      'invited',
      'invited',
      'active',
    ]);
    expect((await rooms.get(patient, room.id)).id).toBe(room.id);
    expect((await rooms.list(patient, {})).items.map((r) => r.id)).toContain(room.id);
    expect(await code(presence.join(patient, room.id, 'inv-1'))).toBe('FORBIDDEN');
    expect(await code(sessions.list(patient, { roomId: room.id }))).toBe('NOT_FOUND');

    const accepted = await rooms.accept(patient, room.id);
    expect(accepted.members.find((m) => m.userId === patient.id)?.status).toBe('active');
    expect((await rooms.accept(patient, room.id)).id).toBe(room.id);
    expect(((await presence.join(patient, room.id, 'inv-2')) as Joined).kind).toBe('joined');
    expect(await code(rooms.decline(patient, room.id))).toBe('CONFLICT');

    await rooms.decline(other, room.id);
    expect(await code(rooms.get(other, room.id))).toBe('NOT_FOUND');
    expect(await code(rooms.accept(other, room.id))).toBe('NOT_FOUND');
    expect(await actionsOf(t, room.id)).toEqual(
      expect.arrayContaining(['room.invitation.accept', 'room.invitation.decline']),
    );
    const care = await t.app
      .get(DataSource)
      .query<{ clinician_id: string }[]>(
        `SELECT clinician_id FROM care_relationships WHERE patient_id = $1 AND source_id = $2`,
        [patient.id, room.id],
      );
    expect(care.map((c) => c.clinician_id).sort()).toEqual([doctor.id, colleague.id].sort());
  });

  it('paginates rooms with a cursor', async () => {
    const host = await insertUser(t, Role.Doctor);
    for (let i = 0; i < 3; i++)
      await rooms.create(host, { name: `r${i}`, type: RoomType.Group, memberIds: [] });
    const first = await rooms.list(host, { limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).not.toBeNull();
    const second = await rooms.list(host, { limit: 2, cursor: first.nextCursor ?? undefined });
    expect(second.items).toHaveLength(1);
    expect(second.nextCursor).toBeNull();
  });

  it('opens a session at the first join, ends it when the last leaves, and keeps the history', async () => {
    const room = await create();
    const a = (await presence.join(doctor, room.id, 'sock-a')) as Joined;
    expect(a.kind).toBe('joined');
    expect(a.sessionStarted).toBe(true);
    expect(a.polite).toBe(false);
    const b = (await presence.join(patient, room.id, 'sock-b')) as Joined;
    expect(b.sessionId).toBe(a.sessionId);
    expect(b.polite).toBe(true);
    expect(b.participants.map((p) => p.userId)).toEqual([doctor.id]);
    expect(b.otherSocketIds).toEqual(['sock-a']);
    expect(await code(presence.join(other, room.id, 'sock-c'))).toBe('NOT_FOUND');

    const left = await presence.leave(patient, room.id, 'sock-b');
    expect(left).toMatchObject({
      userId: patient.id,
      otherSocketIds: ['sock-a'],
      sessionEnded: false,
    });
    const last = await presence.leave(doctor, room.id, 'sock-a');
    expect(last?.sessionEnded).toBe(true);

    const s = await sessions.get(patient, a.sessionId);
    expect(s.status).toBe('ended');
    expect(s.endedAt).not.toBeNull();
    expect(s.durationSeconds).toBeGreaterThanOrEqual(0);
    expect(s.participants.map((p) => p.userId).sort()).toEqual([doctor.id, patient.id].sort());
    expect(s.participants.every((p) => p.leftAt !== null)).toBe(true);
    expect((await sessions.list(doctor, { roomId: room.id })).items.map((x) => x.id)).toEqual([
      a.sessionId,
    ]);
    expect(await code(sessions.get(other, a.sessionId))).toBe('NOT_FOUND');
    expect(await code(sessions.list(other, { roomId: room.id }))).toBe('NOT_FOUND');
  });

  it('enforces maxParticipants and refuses joins to a closed room', async () => {
    const third = await insertUser(t, Role.Patient);
    const room = await create({ memberIds: [patient.id, third.id], maxParticipants: 2 });
    await rooms.accept(third, room.id);
    await presence.join(doctor, room.id, 's1');
    await presence.join(patient, room.id, 's2');
    expect(await code(presence.join(third, room.id, 's3'))).toBe('CONFLICT');
    await rooms.close(doctor, room.id);
    expect((await rooms.get(doctor, room.id)).status).toBe('closed');
    expect(await code(presence.join(third, room.id, 's4'))).toBe('CONFLICT');
    expect(await code(rooms.update(doctor, room.id, { name: 'x' }))).toBe('CONFLICT');
  });

  it('replaces the first device of a user, and resumes within the grace', async () => {
    const room = await create();
    const first = (await presence.join(doctor, room.id, 'dev-1')) as Joined;
    await presence.join(patient, room.id, 'pat-1');
    const second = (await presence.join(doctor, room.id, 'dev-2')) as Joined;
    expect(second.replacedSocketId).toBe('dev-1');
    expect(second.sessionId).toBe(first.sessionId);
    // The replaced socket's disconnect must not touch the new device's stay.
    await presence.disconnected('dev-1');
    expect((await presence.liveSockets(room.id)).get(doctor.id)?.socketId).toBe('dev-2');

    await presence.disconnected('pat-1');
    expect((await presence.liveSockets(room.id)).has(patient.id)).toBe(false);
    const back = (await presence.join(patient, room.id, 'pat-2')) as Joined;
    expect(back.sessionId).toBe(first.sessionId);
    expect(back.replacedSocketId).toBeNull();
    expect((await presence.liveSockets(room.id)).get(patient.id)?.socketId).toBe('pat-2');
    expect(await actionsOf(t, room.id)).toEqual([
      'room.create',
      'room.invitation.accept',
      'session.start',
      'room.join',
      'room.join',
      'room.replaced',
      'room.join',
    ]);
  });

  it('ends the stay after the grace and the session with the last one', async () => {
    const room = await create();
    const a = (await presence.join(doctor, room.id, 'g-1')) as Joined;
    await presence.join(patient, room.id, 'g-2');
    await presence.disconnected('g-2');
    expect(await presence.expireGraces(new Date())).toEqual([]);
    const later = new Date(Date.now() + 6000);
    const expired = await presence.expireGraces(later);
    expect(expired).toEqual([
      expect.objectContaining({ userId: patient.id, otherSocketIds: ['g-1'], sessionEnded: false }),
    ]);
    await presence.disconnected('g-1');
    const ended = await presence.expireGraces(new Date(Date.now() + 6000));
    expect(ended[0]?.sessionEnded).toBe(true);
    expect((await sessions.get(doctor, a.sessionId)).status).toBe('ended');
    expect((await actionsOf(t, room.id)).slice(-3)).toEqual([
      'room.leave',
      'room.leave',
      'session.end',
    ]);
  });

  it('releases the sockets of an instance that died without shutting down', async () => {
    const room = await create({ waitingRoom: true });
    await presence.join(doctor, room.id, 'dead-host');
    await presence.join(patient, room.id, 'dead-knock');
    const db = t.app.get(DataSource);
    await db.query(
      `UPDATE session_participants SET instance_id = 'gone' WHERE socket_id = 'dead-host'`,
    );
    await db.query(`UPDATE room_waiting SET instance_id = 'gone' WHERE socket_id = 'dead-knock'`);
    await liveness.heartbeat();
    // A missing heartbeat is only trusted once it has stayed missing for a while.
    const firstSeen = Date.now();
    expect(await liveness.releaseDeadInstances(firstSeen)).toEqual([]);
    expect((await presence.liveSockets(room.id)).has(doctor.id)).toBe(true);
    const confirmed = firstSeen + InstanceLiveness.MISSING_CONFIRM_MS;
    expect(await liveness.releaseDeadInstances(confirmed)).toEqual(['gone']);
    expect((await presence.liveSockets(room.id)).has(doctor.id)).toBe(false);
    const rows = await db.query<unknown[]>(`SELECT 1 FROM room_waiting WHERE room_id = $1`, [
      room.id,
    ]);
    expect(rows).toEqual([]);
    const left = await presence.expireGraces(new Date(Date.now() + 6000));
    expect(left).toEqual([expect.objectContaining({ userId: doctor.id, sessionEnded: true })]);
    expect(await liveness.releaseDeadInstances()).toEqual([]);
  });

  it('keeps the sockets of an instance whose heartbeat returns (Redis came back empty)', async () => {
    const room = await create({});
    await presence.join(doctor, room.id, 'blink-host');
    const db = t.app.get(DataSource);
    await db.query(
      `UPDATE session_participants SET instance_id = 'blinked' WHERE socket_id = 'blink-host'`,
    );
    const store = t.app.get(KeyValueStore);
    const firstSeen = Date.now();
    expect(await liveness.releaseDeadInstances(firstSeen)).toEqual([]);
    await store.set('signaling:instance:blinked', '1', 15);
    const later = firstSeen + InstanceLiveness.MISSING_CONFIRM_MS;
    expect(await liveness.releaseDeadInstances(later)).toEqual([]);
    expect((await presence.liveSockets(room.id)).get(doctor.id)?.socketId).toBe('blink-host');
    // Missing again: the clock starts over rather than from the first sighting.
    await store.delete('signaling:instance:blinked');
    expect(await liveness.releaseDeadInstances(later + 1)).toEqual([]);
    await presence.leave(doctor, room.id, 'blink-host');
  });

  it('queues knocks behind a waiting room until the host admits, even when the host drops', async () => {
    const room = await create({ waitingRoom: true });
    const knock = await presence.join(patient, room.id, 'w-pat');
    expect(knock).toMatchObject({
      kind: 'waiting',
      hostId: doctor.id,
      user: { userId: patient.id },
    });
    const host = (await presence.join(doctor, room.id, 'w-host')) as Joined;
    // The host arriving admits nobody; it only sees the queue.
    expect(host.participants).toEqual([]);
    expect(host.waiting.map((w) => w.userId)).toEqual([patient.id]);
    await presence.disconnected('w-host');
    expect(await code(presence.admit(patient, room.id, patient.id))).toBe('FORBIDDEN');
    const back = (await presence.join(doctor, room.id, 'w-host-2')) as Joined;
    expect(back.waiting.map((w) => w.userId)).toEqual([patient.id]);
    const admitted = await presence.admit(doctor, room.id, patient.id);
    expect(admitted.socketId).toBe('w-pat');
    expect(admitted.joined.participants.map((p) => p.userId)).toEqual([doctor.id]);
    expect(admitted.joined.polite).toBe(true);
    expect(await code(presence.admit(doctor, room.id, patient.id))).toBe('NOT_FOUND');
    expect(await actionsOf(t, room.id)).toEqual([
      'room.create',
      'room.invitation.accept',
      'room.wait',
      'session.start',
      'room.join',
      'room.join',
      'room.admit',
      'room.join',
    ]);
  });

  it('lets the host end a session; members are told through SessionEvents', async () => {
    const room = await create();
    const seen: SessionEndedEvent[] = [];
    const sub = t.app.get(SessionEvents).ended.subscribe((e) => seen.push(e));
    const a = (await presence.join(doctor, room.id, 'e-1')) as Joined;
    await presence.join(patient, room.id, 'e-2');
    expect(await code(sessions.end(patient, a.sessionId))).toBe('FORBIDDEN');
    const ended = await sessions.end(doctor, a.sessionId);
    sub.unsubscribe();
    expect(ended.status).toBe('ended');
    expect(seen).toEqual([
      expect.objectContaining({
        sessionId: a.sessionId,
        userIds: expect.arrayContaining([doctor.id, patient.id]) as unknown,
      }),
    ]);
    expect(await code(sessions.end(doctor, a.sessionId))).toBe('CONFLICT');
    expect((await sessions.list(admin, {})).items.map((s) => s.id)).toContain(a.sessionId);
  });

  it('ends the live session when the room is closed, and tells its members', async () => {
    const room = await create();
    const seen: SessionEndedEvent[] = [];
    const sub = t.app.get(SessionEvents).ended.subscribe((e) => seen.push(e));
    const a = (await presence.join(doctor, room.id, 'c-1')) as Joined;
    await rooms.close(admin, room.id);
    await rooms.close(admin, room.id);
    sub.unsubscribe();
    expect(seen).toEqual([
      expect.objectContaining({
        sessionId: a.sessionId,
        reason: 'room-closed',
        userIds: [doctor.id],
      }),
    ]);
    expect((await sessions.get(doctor, a.sessionId)).status).toBe('ended');
    expect((await actionsOf(t, room.id)).slice(-2)).toEqual(['room.close', 'session.end']);
  });
});
