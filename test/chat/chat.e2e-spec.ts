import { DataSource } from 'typeorm';
import { Role } from '../../src/common/auth/role';
import { authHeader, signIn, type SignedIn } from '../support/auth';
import { acceptInvitation, inviteToRoom } from '../support/care';
import { type Client, connect, Inbox, request } from '../support/signaling-client';
import { createTestApp, type TestApp } from '../support/test-app';
import { history, messageOf, sendChat, tapTurns } from './chat-support';

interface Device {
  socket: Client;
  inbox: Inbox;
}

// The consultation chat over signaling and REST on one instance (docs/chat.md): delivery,
// history, idempotency, refusals with reasons, the waiting room, removal, typing and receipts.
describe('chat: messages in a room', () => {
  let t: TestApp;
  let db: DataSource;
  const open: Client[] = [];

  beforeAll(async () => {
    t = await createTestApp({
      listen: true,
      env: { CHAT_MAX_TEXT_LENGTH: '50', CHAT_USER_MESSAGES_PER_MINUTE: '1000' },
    });
    db = t.app.get(DataSource);
  });
  afterAll(async () => {
    for (const s of open) s.close();
    await t.close();
  });

  async function device(who: SignedIn): Promise<Device> {
    const socket = await connect(t, { token: who.accessToken });
    open.push(socket);
    return { socket, inbox: new Inbox(socket) };
  }

  async function room(
    extra: Record<string, unknown> = {},
    patients = 1,
  ): Promise<{ doctor: SignedIn; patients: SignedIn[]; roomId: string }> {
    const doctor = await signIn(t, Role.Doctor);
    const ps: SignedIn[] = [];
    for (let i = 0; i < patients; i++) ps.push(await signIn(t, Role.Patient));
    const roomId = await inviteToRoom(t, doctor, ps, extra);
    for (const p of ps) await acceptInvitation(t, p, roomId);
    return { doctor, patients: ps, roomId };
  }

  it('acknowledges a message, delivers it to the other member, keeps it sealed and lists it', async () => {
    const { doctor, patients, roomId } = await room();
    const d = await device(doctor);
    const p = await device(patients[0]);

    const sent = messageOf(
      await sendChat(p.socket, roomId, { text: 'Başım ağrıyor <b>2 gün</b>' }),
    );
    expect(sent).toMatchObject({
      roomId,
      seq: 1,
      senderId: patients[0].user.id,
      text: 'Başım ağrıyor <b>2 gün</b>',
      attachment: null,
      erased: false,
    });
    expect(await d.inbox.next('chat:message')).toEqual({ message: sent });

    // At rest: neither the text nor a piece of it.
    const [row] = await db.query<{ body: string }[]>(
      'SELECT body FROM chat_messages WHERE id = $1',
      [sent.id],
    );
    expect(row.body).toMatch(/^v1\./);
    expect(row.body).not.toContain('ağrı');

    const reply = messageOf(await sendChat(d.socket, roomId, { text: 'Ateşiniz var mı?' }));
    expect(reply.seq).toBe(2);
    await p.inbox.next('chat:message', (e) => (e.message as { id: string }).id === reply.id);

    const page = await history(t, doctor, roomId);
    expect(page.status).toBe(200);
    expect(page.body.items.map((m) => m.text)).toEqual([
      'Ateşiniz var mı?',
      'Başım ağrıyor <b>2 gün</b>',
    ]);
    expect(page.body.nextCursor).toBeNull();
    const first = await history(t, patients[0], roomId, '?limit=1');
    expect(first.body.items.map((m) => m.seq)).toEqual([2]);
    const second = await history(
      t,
      patients[0],
      roomId,
      `?limit=1&cursor=${first.body.nextCursor}`,
    );
    expect(second.body.items.map((m) => m.seq)).toEqual([1]);
    expect((await history(t, patients[0], roomId, '?cursor=bm9wZQ')).status).toBe(400);

    // Reading the history is audited, without the text.
    const audits = await db.query<{ details: unknown }[]>(
      `SELECT details FROM audit_events WHERE action = 'chat.history_read' AND resource_id = $1`,
      [roomId],
    );
    expect(audits.length).toBeGreaterThanOrEqual(3);
    expect(JSON.stringify(audits)).not.toContain('Ateş');
  });

  it('takes a room turn in 3 round trips: lock and room read together, insert, unlock', async () => {
    const { doctor, patients, roomId } = await room();
    const d = await device(doctor);
    await device(patients[0]);
    messageOf(await sendChat(d.socket, roomId, { text: 'first' }));

    const wire = tapTurns();
    let sent;
    try {
      sent = messageOf(await sendChat(d.socket, roomId, { text: 'counted' }));
    } finally {
      wire.restore();
    }
    expect(sent.seq).toBe(2);
    // The lone send's turn (docs/chat.md, "Delivery"): the room's lock with the room and its
    // members read behind it, in one round trip; the insert (its own durable commit); the
    // unlock, after the publication.
    const turns = wire.turns();
    expect(turns).toHaveLength(1);
    const [turn] = turns;
    expect(turn.statements).toHaveLength(4);
    expect(turn.statements[1]).toContain('room_members');
    expect(turn.statements[2]).toContain('INSERT INTO chat_messages');
    expect(turn.roundTrips[0]).toBe(turn.roundTrips[1]);
    expect(new Set(turn.roundTrips).size).toBe(3);
  });

  it('times each stage of a send on /metrics (queue, read, insert, publish, the whole send)', async () => {
    const { doctor, patients, roomId } = await room();
    const d = await device(doctor);
    await device(patients[0]);
    const count = async (stage: string): Promise<number> => {
      const res = await t.http().get('/metrics').expect(200);
      const m = new RegExp(
        `^hekim_chat_send_stage_seconds_count\\{stage="${stage}"\\} (\\d+)$`,
        'm',
      ).exec(res.text);
      return m ? Number(m[1]) : 0;
    };
    const stages = ['queue', 'read', 'insert', 'publish', 'send'];
    const before = await Promise.all(stages.map(count));
    messageOf(await sendChat(d.socket, roomId, { text: 'timed' }));
    const after = await Promise.all(stages.map(count));
    // One message, one group: each stage observed once more.
    expect(after.map((n, i) => n - before[i])).toEqual([1, 1, 1, 1, 1]);
  });

  it('answers a resend of a clientId with the same message and tells nobody twice', async () => {
    const { doctor, patients, roomId } = await room();
    const d = await device(doctor);
    const p = await device(patients[0]);
    const clientId = 'resend-1';
    const first = messageOf(await sendChat(p.socket, roomId, { text: 'hello', clientId }));
    const again = messageOf(await sendChat(p.socket, roomId, { text: 'hello', clientId }));
    expect(again).toEqual(first);
    // Two sends of one clientId at the same moment: one message.
    const racing = await Promise.all(
      [1, 2, 3].map(() => sendChat(p.socket, roomId, { text: 'same', clientId: 'race' })),
    );
    expect(new Set(racing.map((a) => messageOf(a).id)).size).toBe(1);
    const reused = await sendChat(p.socket, roomId, { text: 'different', clientId });
    expect(reused.error).toMatchObject({ code: 'CONFLICT', reason: 'CLIENT_ID_REUSED' });

    const marker = messageOf(await sendChat(p.socket, roomId, { text: 'last' }));
    await d.inbox.next('chat:message', (e) => (e.message as { id: string }).id === marker.id);
    const ids = d.inbox.of('chat:message').map((e) => (e.message as { id: string }).id);
    expect(ids.filter((id) => id === first.id)).toHaveLength(1);
    expect((await history(t, doctor, roomId)).body.items).toHaveLength(3);
  });

  it('refuses with a reason: empty, too long, not plain text, not a member', async () => {
    const { doctor, patients, roomId } = await room();
    const p = await device(patients[0]);
    expect((await sendChat(p.socket, roomId, { text: '  ' })).error).toMatchObject({
      code: 'VALIDATION_FAILED',
      reason: 'EMPTY_MESSAGE',
    });
    expect((await sendChat(p.socket, roomId, { text: 'x'.repeat(51) })).error).toMatchObject({
      code: 'VALIDATION_FAILED',
      reason: 'TEXT_TOO_LONG',
    });
    expect((await sendChat(p.socket, roomId, { text: 'a\u202Eb' })).error).toMatchObject({
      reason: 'TEXT_NOT_PLAIN',
    });
    expect(
      (await sendChat(p.socket, roomId, { text: 'hi', clientId: 'bad id!' })).error?.code,
    ).toBe('VALIDATION_FAILED');

    const stranger = await signIn(t, Role.Patient);
    const s = await device(stranger);
    expect((await sendChat(s.socket, roomId, { text: 'hi' })).error?.code).toBe('NOT_FOUND');
    expect((await history(t, stranger, roomId)).status).toBe(404);
    // An admin who is not a member does not read a consultation's chat.
    const admin = await signIn(t, Role.Admin);
    const a = await history(t, admin, roomId);
    expect(a.status).toBe(403);
    expect(a.body).toMatchObject({ code: 'FORBIDDEN', reason: 'NOT_A_MEMBER' });
    expect((await history(t, doctor, roomId)).body.items).toHaveLength(0);
  });

  it('lets a waiting patient chat only when the host allows it', async () => {
    const { doctor, patients, roomId } = await room({ waitingRoom: true });
    const d = await device(doctor);
    const p = await device(patients[0]);
    expect((await request(d.socket, 'room:join', { roomId })).ok).toBe(true);
    expect((await request(p.socket, 'room:join', { roomId })).data).toEqual({ waiting: true });

    expect((await sendChat(p.socket, roomId, { text: 'How long?' })).error).toMatchObject({
      code: 'FORBIDDEN',
      reason: 'WAITING_NOT_ALLOWED',
    });
    expect((await history(t, patients[0], roomId)).status).toBe(403);
    // The host's messages do not reach them meanwhile.
    const hidden = messageOf(await sendChat(d.socket, roomId, { text: 'staff note' }));

    const patientTries = await t
      .http()
      .put(`/api/v1/rooms/${roomId}/chat`)
      .set(authHeader(patients[0].accessToken))
      .send({ waitingMayChat: true });
    expect(patientTries.status).toBe(403);
    const allowed = await t
      .http()
      .put(`/api/v1/rooms/${roomId}/chat`)
      .set(authHeader(doctor.accessToken))
      .send({ waitingMayChat: true });
    expect(allowed.status).toBe(200);
    expect(allowed.body).toMatchObject({ roomId, waitingMayChat: true });

    const question = messageOf(await sendChat(p.socket, roomId, { text: 'How long?' }));
    await d.inbox.next('chat:message', (e) => (e.message as { id: string }).id === question.id);
    expect((await history(t, patients[0], roomId)).body.items.map((m) => m.id)).toEqual([
      question.id,
      hidden.id,
    ]);
    expect(p.inbox.of('chat:message').map((e) => (e.message as { id: string }).id)).not.toContain(
      hidden.id,
    );

    // Admitted, they chat whatever the setting says.
    await t
      .http()
      .put(`/api/v1/rooms/${roomId}/chat`)
      .set(authHeader(doctor.accessToken))
      .send({ waitingMayChat: false })
      .expect(200);
    expect(
      (await request(d.socket, 'room:admit', { roomId, userId: patients[0].user.id })).ok,
    ).toBe(true);
    await p.inbox.next('room:admitted');
    expect((await sendChat(p.socket, roomId, { text: 'Thanks' })).ok).toBe(true);
  });

  it('stops a removed member at once: they neither send nor receive', async () => {
    const { doctor, patients, roomId } = await room({ type: 'group', maxParticipants: 5 }, 2);
    const d = await device(doctor);
    const stays = await device(patients[0]);
    const goes = await device(patients[1]);
    messageOf(await sendChat(goes.socket, roomId, { text: 'before' }));
    await t
      .http()
      .delete(`/api/v1/rooms/${roomId}/members/${patients[1].user.id}`)
      .set(authHeader(doctor.accessToken))
      .expect(204);
    expect((await sendChat(goes.socket, roomId, { text: 'after' })).error?.code).toBe('NOT_FOUND');
    const after = messageOf(await sendChat(d.socket, roomId, { text: 'after removal' }));
    await stays.inbox.next('chat:message', (e) => (e.message as { id: string }).id === after.id);
    expect(
      goes.inbox.of('chat:message').map((e) => (e.message as { id: string }).id),
    ).not.toContain(after.id);
    expect((await history(t, patients[1], roomId)).status).toBe(404);
  });

  it('carries typing signals and read receipts to the others', async () => {
    const { doctor, patients, roomId } = await room();
    const d = await device(doctor);
    const p = await device(patients[0]);
    expect((await request(p.socket, 'chat:typing', { roomId })).ok).toBe(true);
    expect(await d.inbox.next('chat:typing')).toEqual({ roomId, userId: patients[0].user.id });
    expect(p.inbox.of('chat:typing')).toHaveLength(0);

    const m1 = messageOf(await sendChat(p.socket, roomId, { text: 'one' }));
    const m2 = messageOf(await sendChat(p.socket, roomId, { text: 'two' }));
    expect((await request(d.socket, 'chat:read', { roomId, messageId: m2.id })).ok).toBe(true);
    expect(await p.inbox.next('chat:read')).toEqual({
      roomId,
      userId: doctor.user.id,
      messageId: m2.id,
    });
    // A late receipt for an older message does not move the mark back.
    expect((await request(d.socket, 'chat:read', { roomId, messageId: m1.id })).ok).toBe(true);
    const chat = await t
      .http()
      .get(`/api/v1/rooms/${roomId}/chat`)
      .set(authHeader(patients[0].accessToken))
      .expect(200);
    expect((chat.body as { reads: unknown[] }).reads).toEqual([
      expect.objectContaining({ userId: doctor.user.id, messageId: m2.id, seq: 2 }),
    ]);
    const other = await room();
    expect(
      (await request(d.socket, 'chat:read', { roomId: other.roomId, messageId: m1.id })).error
        ?.code,
    ).toBe('NOT_FOUND');
  });
});

describe('chat: rate limits', () => {
  let t: TestApp;
  const open: Client[] = [];

  beforeAll(async () => {
    t = await createTestApp({
      listen: true,
      env: { CHAT_USER_MESSAGES_PER_MINUTE: '4', CHAT_ROOM_MESSAGES_PER_MINUTE: '6' },
    });
  });
  afterAll(async () => {
    for (const s of open) s.close();
    await t.close();
  });

  // Windows are one minute long; a test that straddles two windows still meets the limit,
  // since 2 × limit + 1 sends cannot all fit in two windows.
  it('refuses a user over their limit and a room over its limit, saying which and when', async () => {
    const doctor = await signIn(t, Role.Doctor);
    const patient = await signIn(t, Role.Patient);
    const roomId = await inviteToRoom(t, doctor, [patient]);
    await acceptInvitation(t, patient, roomId);
    const p = await connect(t, { token: patient.accessToken });
    const d = await connect(t, { token: doctor.accessToken });
    open.push(p, d);

    const mine = [];
    for (let i = 0; i < 9; i++) mine.push(await sendChat(p, roomId, { text: `m${i}` }));
    const limited = mine.find((a) => !a.ok);
    expect(limited?.error).toMatchObject({ code: 'RATE_LIMITED', reason: 'USER_RATE_LIMITED' });
    expect(limited?.error?.retryAfter).toBeGreaterThanOrEqual(1);

    const theirs = [];
    for (let i = 0; i < 13; i++) theirs.push(await sendChat(d, roomId, { text: `d${i}` }));
    expect(theirs.map((a) => a.error?.reason)).toContain('ROOM_RATE_LIMITED');
  });
});
