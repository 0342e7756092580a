import { DataSource } from 'typeorm';
import { Role } from '../../src/common/auth/role';
import { ConsentPurpose } from '../../src/modules/compliance/consents/consent-purpose';
import { authHeader, signIn } from '../support/auth';
import { bookSoon } from '../support/appointments';
import { connect, Inbox, request } from '../support/signaling-client';
import { SmtpSink } from '../support/smtp-sink';
import { createTestApp, type TestApp } from '../support/test-app';
import { until } from '../support/signaling-client';
import { messageOf, sendChat } from './chat-support';

// An invitation's guest chats in its appointment's room, and nowhere else (docs/chat.md, "Who
// takes part"; docs/appointments.md, "Invitations"): an invitee without an account is the
// room's patient, so what is written there is sealed under the invitee's data key.
describe('chat: an invitation’s guest', () => {
  const smtp = new SmtpSink();
  let t: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    await smtp.start();
    t = await createTestApp({
      listen: true,
      env: {
        NOTIFY_RELAY_ENABLED: 'true',
        NOTIFY_POLL_INTERVAL_MS: '50',
        SMTP_URL: smtp.url,
        AUTH_RATE_LIMIT_PER_MINUTE: '1000',
      },
    });
    db = t.app.get(DataSource);
  });
  afterAll(async () => {
    await t?.close();
    await smtp.stop();
  });

  it('writes and reads in its own room once admitted, sealed under the invitee’s key, and is refused elsewhere', async () => {
    const doctor = await signIn(t, Role.Doctor, { displayName: 'Dr. Elif Kaya' });
    const start = new Date(Math.ceil(Date.now() / 60_000) * 60_000 + 5 * 60_000);
    const booked = await t
      .http()
      .post('/api/v1/appointments')
      .set(authHeader(doctor.accessToken))
      .send({
        clinicianId: doctor.user.id,
        invitee: { name: 'Deniz Aksoy', email: 'deniz.aksoy@example.org', locale: 'en' },
        start: start.toISOString(),
        end: new Date(start.getTime() + 20 * 60_000).toISOString(),
      })
      .expect(201);
    const { id: appointmentId, roomId } = booked.body as { id: string; roomId: string };
    await until(() => smtp.to('deniz.aksoy@example.org').length > 0, 20_000);
    const token = /[?&]invitation=([A-Za-z0-9_-]+)/.exec(
      smtp.to('deniz.aksoy@example.org')[0].text,
    )?.[1];
    const redeemed = await t.http().post('/api/v1/invitations/redeem').send({ token }).expect(200);
    const grant = redeemed.body as { accessToken: string; guestId: string };
    const guest = { accessToken: grant.accessToken, user: { id: grant.guestId } };

    const texts = await t.http().get('/api/v1/consents/texts').set(authHeader(grant.accessToken));
    const current = (texts.body as { items: { purpose: string; version: number }[] }).items.find(
      (x) => x.purpose === (ConsentPurpose.Telemedicine as string),
    );
    await t
      .http()
      .post('/api/v1/consents')
      .set(authHeader(grant.accessToken))
      .send({ purpose: ConsentPurpose.Telemedicine, version: current?.version })
      .expect(201);
    await t
      .http()
      .post(`/api/v1/appointments/${appointmentId}/check-in`)
      .set(authHeader(grant.accessToken))
      .expect(200);

    const d = await connect(t, { token: doctor.accessToken });
    const g = await connect(t, { token: grant.accessToken });
    const guestInbox = new Inbox(g);
    const doctorInbox = new Inbox(d);
    try {
      expect((await request(d, 'room:join', { roomId })).ok).toBe(true);
      expect((await request(g, 'room:join', { roomId })).data).toEqual({ waiting: true });
      // Waiting, and the host has not opened the chat to the waiting room.
      const early = await sendChat(g, roomId, { text: 'Am I in the right place?' });
      expect(early.error).toMatchObject({ code: 'FORBIDDEN', reason: 'WAITING_NOT_ALLOWED' });

      expect((await request(d, 'room:admit', { roomId, userId: grant.guestId })).ok).toBe(true);
      await guestInbox.next('room:admitted');
      const hello = messageOf(await sendChat(g, roomId, { text: 'Good morning, doctor.' }));
      expect(hello).toMatchObject({ senderId: grant.guestId, text: 'Good morning, doctor.' });
      await doctorInbox.next('chat:message', (p) => (p.message as { id: string }).id === hello.id);
      const reply = messageOf(await sendChat(d, roomId, { text: 'Good morning, Deniz.' }));
      await guestInbox.next('chat:message', (p) => (p.message as { id: string }).id === reply.id);
      expect((await request(g, 'chat:read', { roomId, messageId: reply.id })).ok).toBe(true);

      const page = await t
        .http()
        .get(`/api/v1/rooms/${roomId}/messages`)
        .set(authHeader(guest.accessToken))
        .expect(200);
      // Newest first, as every history page.
      expect((page.body as { items: { text: string }[] }).items.map((m) => m.text)).toEqual([
        'Good morning, Deniz.',
        'Good morning, doctor.',
      ]);
      // Both sealed under the invitee's key: what the doctor wrote is about the invitee too.
      const sealed = await db.query<{ subject_id: string }[]>(
        'SELECT subject_id FROM chat_messages WHERE room_id = $1',
        [roomId],
      );
      expect(sealed.map((r) => r.subject_id)).toEqual([grant.guestId, grant.guestId]);

      // Another appointment's room is not the guest's: as if it did not exist.
      const other = await bookSoon(t, doctor, await signIn(t, Role.Patient), 60);
      const elsewhere = await sendChat(g, other.roomId, { text: 'Hello?' });
      expect(elsewhere.error?.code).toBe('NOT_FOUND');
      await t
        .http()
        .get(`/api/v1/rooms/${other.roomId}/messages`)
        .set(authHeader(guest.accessToken))
        .expect(404);
    } finally {
      d.close();
      g.close();
    }
  });
});
