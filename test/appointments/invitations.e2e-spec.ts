import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { Role } from '../../src/common/auth/role';
import { InvitationsPersonalData } from '../../src/modules/appointments/invitations/invitations-personal-data';
import { InvitationsService } from '../../src/modules/appointments/invitations/invitations.service';
import { RunRetention } from '../../src/modules/compliance/retention/run-retention.usecase';
import { ConsentPurpose } from '../../src/modules/compliance/consents/consent-purpose';
import { bookSoon } from '../support/appointments';
import { authHeader, signIn, type SignedIn } from '../support/auth';
import { connect, disconnected, Inbox, request, until } from '../support/signaling-client';
import { SmtpSink, type ReceivedMail } from '../support/smtp-sink';
import { createTestApp, type TestApp } from '../support/test-app';
import { WebhookReceiver } from '../support/webhook-receiver';

interface Invitation {
  id: string;
  appointmentId: string;
  guestId: string;
  role: string;
  name: string;
  email: string | null;
  phone: string | null;
  status: string;
}
interface Grant {
  accessToken: string;
  expiresIn: number;
  roomId: string;
  appointmentId: string;
  role: string;
  displayName: string;
  guestId: string;
  validUntil: string;
  deviceSecret?: string;
}

const BASE = 'https://app.hekim.test/';

// Invitation links end to end (docs/appointments.md, "Invitations"): created by the clinician,
// delivered by e-mail (a real SMTP server) or SMS (a local HTTP gateway) through the outbox,
// redeemed for a guest grant inside their window on the first device only, revoked with the
// holder cut off at once, and asked for again without revealing anything.
describe('appointments: invitation links and guests', () => {
  const smtp = new SmtpSink();
  const receiver = new WebhookReceiver();
  const sms: { to: string; text: string }[] = [];
  let gateway: Server;
  let t: TestApp;
  let db: DataSource;
  let doctor: SignedIn;

  beforeAll(async () => {
    await smtp.start();
    await receiver.start();
    gateway = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        sms.push(JSON.parse(raw) as { to: string; text: string });
        res.writeHead(202).end();
      });
    });
    await new Promise<void>((r) => gateway.listen(0, '127.0.0.1', () => r()));
    t = await createTestApp({
      listen: true,
      env: {
        NOTIFY_RELAY_ENABLED: 'true',
        NOTIFY_POLL_INTERVAL_MS: '50',
        SMTP_URL: smtp.url,
        SMS_GATEWAY_URL: `http://127.0.0.1:${(gateway.address() as AddressInfo).port}/send`,
        SMS_GATEWAY_TOKEN: 'gateway-token-0123456789abcdef',
        APP_BASE_URL: BASE,
        AUTH_RATE_LIMIT_PER_MINUTE: '1000',
        WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
      },
    });
    db = t.app.get(DataSource);
  });
  // A clinician of their own for each case: their diaries never collide.
  beforeEach(async () => {
    doctor = await signIn(t, Role.Doctor, { displayName: 'Dr. Ayşe Kaya' });
  });
  afterAll(async () => {
    await t?.close();
    await smtp.stop();
    await receiver.stop();
    gateway.closeAllConnections();
    await new Promise<void>((r) => gateway.close(() => r()));
  });

  const as = (who: { accessToken: string }) => authHeader(who.accessToken);
  const invite = async (appointmentId: string, body: Record<string, unknown>, by = doctor) =>
    (
      await t
        .http()
        .post(`/api/v1/appointments/${appointmentId}/invitations`)
        .set(as(by))
        .send(body)
        .expect(201)
    ).body as Invitation;
  const mailTo = async (email: string, n = 1): Promise<ReceivedMail> => {
    await until(() => smtp.to(email).length >= n);
    return smtp.to(email)[n - 1];
  };
  const tokenIn = (text: string): string => {
    const match = /[?&]invitation=([A-Za-z0-9_-]+)/.exec(text);
    if (!match) throw new Error(`no invitation link in ${text}`);
    return match[1];
  };
  const redeem = (body: Record<string, unknown>) =>
    t.http().post('/api/v1/invitations/redeem').send(body);
  const consent = async (grant: Grant) => {
    const texts = await t.http().get('/api/v1/consents/texts').set(as(grant)).expect(200);
    const current = (texts.body as { items: { purpose: string; version: number }[] }).items.find(
      (x) => x.purpose === (ConsentPurpose.Telemedicine as string),
    );
    await t
      .http()
      .post('/api/v1/consents')
      .set(as(grant))
      .send({ purpose: ConsentPurpose.Telemedicine, version: current?.version })
      .expect(201);
  };

  it('mails a one-time link with the appointment’s calendar event, stores only its hash, and scrubs it once sent', async () => {
    const patient = await signIn(t, Role.Patient);
    const appointment = await bookSoon(t, doctor, patient, 5);
    const inv = await invite(appointment.id, {
      role: 'interpreter',
      name: 'Selin Aydın',
      email: 'Selin.Aydin@example.org',
      locale: 'en',
    });
    expect(inv).toMatchObject({
      appointmentId: appointment.id,
      role: 'interpreter',
      name: 'Selin Aydın',
      email: 'selin.aydin@example.org',
      status: 'pending',
    });
    expect(JSON.stringify(inv)).not.toMatch(/token/i);

    const mail = await mailTo('selin.aydin@example.org');
    expect(mail.subject).toBe('Hekim: invitation to a video consultation');
    expect(mail.text).toContain('Dr. Ayşe Kaya');
    expect(mail.text).toContain(`${BASE}?invitation=`);
    const ics = mail.parsed.attachments.find((a) => a.contentType.startsWith('text/calendar'));
    expect(ics?.content.toString('utf8')).toContain(`UID:${appointment.id}@hekim`);
    const token = tokenIn(mail.text);

    // Only the hash is kept; the delivered message no longer holds the token.
    const [row] = await db.query<{ token_hash: string }[]>(
      `SELECT token_hash FROM appointment_invitations WHERE id = $1`,
      [inv.id],
    );
    expect(row.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row.token_hash).not.toBe(token);
    await until(async () => {
      const [msg] = await db.query<{ payload: Record<string, unknown>; status: string }[]>(
        `SELECT payload, status FROM notification_outbox
          WHERE kind = 'invitation' AND payload ->> 'invitationId' = $1`,
        [inv.id],
      );
      return msg?.status === 'sent' && !('token' in msg.payload);
    });

    // The clinician lists it; another doctor and the patient cannot see it.
    const list = await t
      .http()
      .get(`/api/v1/appointments/${appointment.id}/invitations`)
      .set(as(doctor))
      .expect(200);
    expect((list.body as { items: Invitation[] }).items.map((i) => i.id)).toEqual([inv.id]);
    const other = await signIn(t, Role.Doctor);
    await t
      .http()
      .get(`/api/v1/appointments/${appointment.id}/invitations`)
      .set(as(other))
      .expect(404);
    await t
      .http()
      .post(`/api/v1/appointments/${appointment.id}/invitations`)
      .set(as(patient))
      .send({ role: 'guest', name: 'X', email: 'x@example.org' })
      .expect(403);

    // An integrator subscribed to invitation events.
    const admin = await signIn(t, Role.Admin);
    const hook = await t
      .http()
      .post('/api/v1/admin/webhooks')
      .set(as(admin))
      .send({ url: `${receiver.url}/ehr`, events: ['invitation.redeemed'] })
      .expect(201);
    const secret = (hook.body as { secret: string }).secret;

    // Redeemed inside the window: a guest grant for that room, under the given name.
    const first = await redeem({ token }).expect(200);
    const grant = first.body as Grant;
    expect(grant).toMatchObject({
      roomId: appointment.roomId,
      appointmentId: appointment.id,
      role: 'interpreter',
      displayName: 'Selin Aydın',
      guestId: inv.guestId,
    });
    expect(grant.expiresIn).toBeGreaterThan(0);
    expect(grant.deviceSecret).toEqual(expect.any(String));

    // Bound to the first device: without its secret, or with a wrong one, refused.
    const elsewhere = await redeem({ token }).expect(403);
    expect((elsewhere.body as { reason: string }).reason).toBe('other_device');
    await redeem({ token, deviceSecret: 'x'.repeat(43) }).expect(403);
    const again = await redeem({ token, deviceSecret: grant.deviceSecret }).expect(200);
    expect((again.body as Grant).deviceSecret).toBeUndefined();

    // The integrator hears of each redeem: ids, never the name, address or token.
    const events = () =>
      receiver.verified('/ehr', secret).filter((e) => e.data.invitationId === inv.id);
    await until(() => events().length === 2);
    expect(events()[0]).toMatchObject({
      type: 'invitation.redeemed',
      data: {
        invitationId: inv.id,
        appointmentId: appointment.id,
        roomId: appointment.roomId,
        guestId: inv.guestId,
        role: 'interpreter',
      },
    });
    expect(JSON.stringify(receiver.at('/ehr').map((r) => r.body))).not.toMatch(
      new RegExp(`Selin|selin|${token}`),
    );

    // Audited under the guest actor.
    const audit = await db.query<{ action: string; outcome: string; actor_role: string }[]>(
      `SELECT action, outcome, actor_role FROM audit_events
        WHERE actor_user_id = $1 AND action = 'invitation.redeem' ORDER BY seq`,
      [inv.guestId],
    );
    expect(audit.map((a) => [a.outcome, a.actor_role])).toEqual([
      ['success', 'guest'],
      ['denied', 'guest'],
      ['denied', 'guest'],
      ['success', 'guest'],
    ]);
  });

  it('refuses a link before its window and after it, telling when it opens', async () => {
    const patient = await signIn(t, Role.Patient);
    const appointment = await bookSoon(t, doctor, patient, 60);
    const inv = await invite(appointment.id, {
      role: 'companion',
      name: 'Ali Veli',
      email: 'ali.veli@example.org',
    });
    const token = tokenIn((await mailTo('ali.veli@example.org')).text);
    const early = await redeem({ token }).expect(409);
    expect(early.body).toMatchObject({
      code: 'CONFLICT',
      reason: 'too_early',
      opensAt: new Date(new Date(appointment.start).getTime() - 15 * 60_000).toISOString(),
    });
    // After the end plus the grace (30 minutes by default).
    const service = t.app.get(InvitationsService);
    const meta = { ip: null, userAgent: null, requestId: null };
    const late = new Date(new Date(appointment.end).getTime() + 30 * 60_000);
    await expect(service.redeem({ token }, meta, late)).rejects.toMatchObject({
      status: 409,
      extensions: { reason: 'expired' },
    });
    // Just inside: accepted.
    const inside = new Date(late.getTime() - 1000);
    await expect(service.redeem({ token }, meta, inside)).resolves.toMatchObject({
      role: 'companion',
    });
    expect(inv.status).toBe('pending');
    // An unknown token says nothing more than that.
    await redeem({ token: 'A'.repeat(43) }).expect(401);
  });

  it('scopes the guest grant to its room: consent, check-in refused unless patient, TURN, its own room only; every other route refused', async () => {
    const patient = await signIn(t, Role.Patient);
    const appointment = await bookSoon(t, doctor, patient, 5);
    await invite(appointment.id, { role: 'guest', name: 'Deniz', email: 'deniz@example.org' });
    const grant = (await redeem({ token: tokenIn((await mailTo('deniz@example.org')).text) }))
      .body as Grant;

    await consent(grant);
    await t.http().get('/api/v1/ice-servers').set(as(grant)).expect(200);
    // Not the patient: no check-in (the appointment is not theirs), no appointment reads.
    await t
      .http()
      .post(`/api/v1/appointments/${appointment.id}/check-in`)
      .set(as(grant))
      .expect(404);
    await t.http().get(`/api/v1/appointments/${appointment.id}`).set(as(grant)).expect(403);
    await t.http().get('/api/v1/users/me').set(as(grant)).expect(403);
    await t.http().get('/api/v1/rooms').set(as(grant)).expect(403);
    await t
      .http()
      .post('/api/v1/appointments')
      .set(as(grant))
      .send({ clinicianId: doctor.user.id, start: appointment.start, end: appointment.end })
      .expect(403);

    // Signaling: its own room (the waiting room holds it), never another room or a call. The
    // clinician sees it knock under its name, with its role.
    const host = await connect(t, { token: doctor.accessToken });
    const hostInbox = new Inbox(host);
    const socket = await connect(t, { token: grant.accessToken });
    try {
      const joined = await request(socket, 'room:join', { roomId: appointment.roomId });
      expect(joined).toEqual({ ok: true, data: { waiting: true } });
      expect(await hostInbox.next('room:waiting')).toEqual({
        roomId: appointment.roomId,
        user: { userId: grant.guestId, displayName: 'Deniz', role: 'guest' },
      });
      const otherPatient = await signIn(t, Role.Patient);
      const otherAppointment = await bookSoon(t, doctor, otherPatient, 30);
      const elsewhere = await request(socket, 'room:join', { roomId: otherAppointment.roomId });
      expect(elsewhere.ok).toBe(false);
      expect(elsewhere.error?.code).toBe('NOT_FOUND');
      const call = await request(socket, 'call:initiate', { calleeIds: [doctor.user.id] });
      expect(call).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
      const admit = await request(socket, 'room:admit', {
        roomId: appointment.roomId,
        userId: grant.guestId,
      });
      expect(admit).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    } finally {
      socket.close();
      host.close();
    }
    // The knock is recorded under the guest actor.
    const [waiting] = await db.query<{ display_name: string; role: string }[]>(
      `SELECT u.display_name, u.role FROM room_waiting w JOIN users u ON u.id = w.user_id
        WHERE w.room_id = $1`,
      [appointment.roomId],
    );
    expect(waiting).toEqual({ display_name: 'Deniz', role: 'guest' });
  });

  it('revoking ejects a connected guest at once and kills the link', async () => {
    const patient = await signIn(t, Role.Patient);
    const appointment = await bookSoon(t, doctor, patient, 5);
    const inv = await invite(appointment.id, {
      role: 'guest',
      name: 'Kerem',
      email: 'kerem@example.org',
    });
    const token = tokenIn((await mailTo('kerem@example.org')).text);
    const grant = (await redeem({ token }).expect(200)).body as Grant;
    await consent(grant);
    const socket = await connect(t, { token: grant.accessToken });
    expect((await request(socket, 'room:join', { roomId: appointment.roomId })).ok).toBe(true);

    const other = await signIn(t, Role.Doctor);
    await t.http().delete(`/api/v1/invitations/${inv.id}`).set(as(other)).expect(404);
    await t.http().delete(`/api/v1/invitations/${inv.id}`).set(as(doctor)).expect(204);
    await disconnected(socket, 5000);
    socket.close();

    await t.http().get('/api/v1/ice-servers').set(as(grant)).expect(401);
    await redeem({ token, deviceSecret: grant.deviceSecret }).expect(401);
    await t.http().delete(`/api/v1/invitations/${inv.id}`).set(as(doctor)).expect(204);
    const [row] = await db.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM room_members WHERE room_id = $1 AND user_id = $2`,
      [appointment.roomId, inv.guestId],
    );
    expect(row.n).toBe(0);
  });

  it('"resend my link" answers the same for anyone and sends a fresh link to a real holder', async () => {
    const patient = await signIn(t, Role.Patient);
    const appointment = await bookSoon(t, doctor, patient, 5);
    await invite(appointment.id, { role: 'guest', name: 'Ece', email: 'ece@example.org' });
    const oldToken = tokenIn((await mailTo('ece@example.org')).text);

    const unknown = await t
      .http()
      .post('/api/v1/invitations/resend')
      .send({ email: 'nobody@example.org' })
      .expect(202);
    const known = await t
      .http()
      .post('/api/v1/invitations/resend')
      .send({ email: 'ece@example.org' })
      .expect(202);
    expect(known.body).toEqual(unknown.body);
    expect(known.text).toBe(unknown.text);
    await t.http().post('/api/v1/invitations/resend').send({}).expect(400);

    // A resend within a minute of the last message was not sent (no mail bombing): the first
    // message is still the only one; a minute later a fresh link goes out.
    const [queued] = await db.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM notification_outbox WHERE kind = 'invitation' AND recipient = $1`,
      ['ece@example.org'],
    );
    expect(queued.n).toBe(1);
    const service = t.app.get(InvitationsService);
    await service.resend({ email: 'ece@example.org' }, new Date(Date.now() + 61_000));
    const fresh = tokenIn((await mailTo('ece@example.org', 2)).text);
    expect(fresh).not.toBe(oldToken);
    await redeem({ token: oldToken }).expect(401);
    await redeem({ token: fresh }).expect(200);
    expect(smtp.to('nobody@example.org')).toEqual([]);
  });

  it('books for an invitee without an account: a patient link by SMS, check-in with the grant, reminders by SMS', async () => {
    const start = new Date(Math.ceil(Date.now() / 60_000) * 60_000 + 10 * 60_000);
    const booked = await t
      .http()
      .post('/api/v1/appointments')
      .set(as(doctor))
      .send({
        clinicianId: doctor.user.id,
        invitee: { name: 'Hasan Öztürk', phone: '0532 765 43 21', locale: 'tr' },
        start: start.toISOString(),
        end: new Date(start.getTime() + 20 * 60_000).toISOString(),
      })
      .expect(201);
    const appointment = booked.body as { id: string; patientId: string; roomId: string };

    await until(() => sms.some((m) => m.to === '+905327654321'));
    const text = sms.find((m) => m.to === '+905327654321')?.text ?? '';
    expect(text).toContain(`${BASE}?invitation=`);
    const grant = (await redeem({ token: tokenIn(text) }).expect(200)).body as Grant;
    expect(grant).toMatchObject({
      role: 'patient',
      displayName: 'Hasan Öztürk',
      guestId: appointment.patientId,
    });

    // The invitee checks in with the grant (their consent first).
    await consent(grant);
    const checkedIn = await t
      .http()
      .post(`/api/v1/appointments/${appointment.id}/check-in`)
      .set(as(grant))
      .expect(200);
    expect((checkedIn.body as { status: string }).status).toBe('checked_in');

    // Nothing went to the guest actor's placeholder address; the 15-minute reminder is due by
    // SMS (the 24-hour one was already past).
    const rows = await db.query<{ channel: string; kind: string; recipient: string }[]>(
      `SELECT channel, kind, recipient FROM notification_outbox
        WHERE payload ->> 'appointmentId' = $1 ORDER BY created_at`,
      [appointment.id],
    );
    expect(rows.filter((r) => r.recipient.endsWith('.invalid'))).toEqual([]);
    expect(rows.map((r) => [r.channel, r.kind])).toEqual(
      expect.arrayContaining([['sms', 'invitation']]),
    );

    // A second patient invitation is refused while one is live; both patientId and invitee too.
    await t
      .http()
      .post(`/api/v1/appointments/${appointment.id}/invitations`)
      .set(as(doctor))
      .send({ role: 'patient', name: 'Hasan', phone: '05327654321' })
      .expect(409);
  });

  it('schedules reminders for invitees on their own channel, once per moment', async () => {
    const patient = await signIn(t, Role.Patient);
    const appointment = await bookSoon(t, doctor, patient, 60 * 30);
    const inv = await invite(appointment.id, {
      role: 'interpreter',
      name: 'Mert',
      phone: '+90 532 111 22 33',
    });
    const reminders = await db.query<
      { channel: string; recipient: string; next_attempt_at: Date }[]
    >(
      `SELECT channel, recipient, next_attempt_at FROM notification_outbox
        WHERE kind = 'appointment_reminder' AND payload ->> 'invitationId' = $1
        ORDER BY next_attempt_at`,
      [inv.id],
    );
    const startMs = new Date(appointment.start).getTime();
    expect(reminders.map((r) => [r.channel, r.recipient, r.next_attempt_at.getTime()])).toEqual([
      ['sms', '+905321112233', startMs - 1440 * 60_000],
      ['sms', '+905321112233', startMs - 15 * 60_000],
    ]);
    // Revoked: its pending reminders are withdrawn.
    await t.http().delete(`/api/v1/invitations/${inv.id}`).set(as(doctor)).expect(204);
    const after = await db.query<{ status: string }[]>(
      `SELECT status FROM notification_outbox
        WHERE kind = 'appointment_reminder' AND payload ->> 'invitationId' = $1`,
      [inv.id],
    );
    expect(after.map((r) => r.status)).toEqual(['expired', 'expired']);
  });

  it('puts invitations in the invitee’s data export, scrubs their contacts under retention, and erases them', async () => {
    const patient = await signIn(t, Role.Patient);
    const appointment = await bookSoon(t, doctor, patient, 5);
    const inv = await invite(appointment.id, {
      role: 'companion',
      name: 'Nur',
      email: 'nur@example.org',
      phone: '+90 532 999 88 77',
    });
    const contributor = t.app.get(InvitationsPersonalData);
    const subject = { id: inv.guestId, email: 'nur@example.org' };
    const exported = (await db.transaction((m) =>
      contributor.exportFor(subject, m),
    )) as Invitation[];
    expect(exported.map((i) => [i.id, i.name, i.email, i.phone])).toEqual([
      [inv.id, 'Nur', 'nur@example.org', '+905329998877'],
    ]);
    expect(JSON.stringify(exported)).not.toMatch(/token|hash/i);

    // Retention: long after the appointment, the invitation keeps no way to reach Nur.
    const later = new Date(Date.now() + (t.config.retention.sessionsDays + 1) * 86_400_000);
    const run = await t.app.get(RunRetention).execute('command', later);
    expect(run?.invitationsScrubbed).toBeGreaterThanOrEqual(1);
    const [row] = await db.query<{ email: string | null; phone: string | null }[]>(
      `SELECT email, phone FROM appointment_invitations WHERE id = $1`,
      [inv.id],
    );
    expect(row).toEqual({ email: null, phone: null });

    // Erasure removes the invitation itself.
    expect(await db.transaction((m) => contributor.eraseFor(subject, m))).toBeGreaterThanOrEqual(1);
    const [left] = await db.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM appointment_invitations WHERE id = $1`,
      [inv.id],
    );
    expect(left.n).toBe(0);
  });
});
