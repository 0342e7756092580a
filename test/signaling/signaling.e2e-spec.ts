import { randomUUID } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import { DataSource } from 'typeorm';
import { Role } from '../../src/common/auth/role';
import { LifecycleState } from '../../src/infra/health/lifecycle.state';
import { authHeader, signIn, type SignedIn } from '../support/auth';
import {
  type Client,
  connect,
  disconnected,
  Inbox,
  refusal,
  request,
  until,
} from '../support/signaling-client';
import { acceptInvitation, inviteToRoom } from '../support/care';
import { consultationPair } from '../support/room-fixtures';
import { createTestApp, type TestApp } from '../support/test-app';

const SDP = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n';
const CANDIDATE = {
  candidate: 'candidate:1 1 udp 2122260223 192.0.2.10 54321 typ host',
  sdpMid: '0',
  sdpMLineIndex: 0,
};

describe('signaling gateway', () => {
  let t: TestApp;
  const open: Client[] = [];

  beforeAll(async () => {
    t = await createTestApp({
      listen: true,
      env: {
        CORS_ORIGINS: 'https://app.example.test',
        TURN_URLS:
          'turn:turn.example.test:3478?transport=udp,turn:turn.example.test:3478?transport=tcp,turns:turn.example.test:5349?transport=tcp',
        STUN_URLS: 'stun:stun.example.test:3478',
        TURN_SECRET: 'a-turn-secret-for-these-tests',
        SIGNALING_EVENTS_PER_SECOND: '20',
        SIGNALING_RECONNECT_GRACE_SECONDS: '60',
      },
    });
  });
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
  });
  afterAll(() => t.close());

  async function client(token: string): Promise<{ socket: Client; inbox: Inbox }> {
    const socket = await connect(t, { token });
    open.push(socket);
    return { socket, inbox: new Inbox(socket) };
  }

  // A room of `host`'s; the patients among `members` accept their invitations.
  async function room(
    host: SignedIn,
    members: SignedIn[],
    extra: Record<string, unknown> = {},
  ): Promise<string> {
    const roomId = await inviteToRoom(t, host, members, extra);
    for (const m of members) if (m.user.role === Role.Patient) await acceptInvitation(t, m, roomId);
    return roomId;
  }

  // A doctor, a patient, a room of theirs and a socket each, both joined unless told not.
  async function doctorAndPatient(join = true): Promise<{
    doctor: SignedIn;
    patient: SignedIn;
    roomId: string;
    d: { socket: Client; inbox: Inbox };
    p: { socket: Client; inbox: Inbox };
  }> {
    const doctor = await signIn(t, Role.Doctor);
    const patient = await signIn(t, Role.Patient);
    const roomId = await room(doctor, [patient]);
    const d = await client(doctor.accessToken);
    const p = await client(patient.accessToken);
    if (join) {
      await request(d.socket, 'room:join', { roomId });
      await request(p.socket, 'room:join', { roomId });
    }
    return { doctor, patient, roomId, d, p };
  }

  // A token of the user's own live session (a token's session must exist: revocation and
  // role are read from it), with a lifetime of our choosing.
  function shortToken(user: SignedIn, seconds: number): string {
    const { sid } = JSON.parse(
      Buffer.from(user.accessToken.split('.')[1], 'base64url').toString(),
    ) as { sid: string };
    return t.app.get(JwtService).sign(
      { role: user.user.role, sid, typ: 'access', mfa: false },
      {
        algorithm: 'HS256',
        secret: t.config.auth.jwtSecret,
        subject: user.user.id,
        jwtid: randomUUID(),
        issuer: t.config.auth.jwtIssuer,
        audience: t.config.auth.jwtAudience,
        expiresIn: seconds,
        notBefore: 0,
      },
    );
  }

  describe('handshake', () => {
    it('refuses missing, bad and expired tokens, tokens in the query string, and foreign origins', async () => {
      const doctor = await signIn(t, Role.Doctor);
      expect(await refusal(t, {})).toBe('UNAUTHORIZED');
      expect(await refusal(t, { token: 'not-a-jwt' })).toBe('UNAUTHORIZED');
      expect(await refusal(t, { token: shortToken(doctor, -60) })).toBe('UNAUTHORIZED');
      expect(
        await refusal(t, { token: doctor.accessToken, query: { token: doctor.accessToken } }),
      ).toBe('UNAUTHORIZED');
      expect(
        await refusal(t, { token: doctor.accessToken, origin: 'https://evil.example.test' }),
      ).toBe('FORBIDDEN');
      expect(
        await refusal(t, { token: doctor.accessToken, origin: 'https://app.example.test' }),
      ).toBe('CONNECTED');

      const audited = await t.app
        .get(DataSource)
        .query<{ reason: string }[]>(
          `SELECT details->>'reason' AS reason FROM audit_events WHERE action = 'signaling.handshake' AND outcome = 'denied'`,
        );
      expect(audited.map((r) => r.reason).sort()).toEqual(
        ['invalid_token', 'invalid_token', 'missing_token', 'origin', 'token_in_query'].sort(),
      );
      const metrics = await t.http().get('/metrics');
      expect(metrics.text).toMatch(/hekim_signaling_handshake_refused_total\{reason="origin"\} 1/);
    });

    it('tells a socket auth:expired and closes it when its token expires', async () => {
      const doctor = await signIn(t, Role.Doctor);
      const { socket, inbox } = await client(shortToken(doctor, 2));
      await inbox.next('auth:expired');
      await disconnected(socket);
    });

    it('keeps a socket that sent auth:refresh with a fresh token of the same user', async () => {
      const doctor = await signIn(t, Role.Doctor);
      const other = await signIn(t, Role.Doctor);
      const { socket, inbox } = await client(shortToken(doctor, 2));
      const expiry = Date.now() + 2000;
      expect(
        (await request(socket, 'auth:refresh', { token: other.accessToken })).error?.code,
      ).toBe('UNAUTHORIZED');
      expect((await request(socket, 'auth:refresh', { token: doctor.accessToken })).ok).toBe(true);
      await until(() => Date.now() > expiry + 1500);
      expect((await request(socket, 'room:leave', { roomId: randomUUID() })).error?.code).toBe(
        'NOT_FOUND',
      );
      expect(inbox.of('auth:expired')).toEqual([]);
      expect(socket.connected).toBe(true);
    });

    it('drops live sockets when their session is logged out', async () => {
      const doctor = await signIn(t, Role.Doctor);
      const { socket } = await client(doctor.accessToken);
      const res = await t
        .http()
        .post('/api/v1/auth/logout')
        .set(authHeader(doctor.accessToken))
        .send({});
      expect(res.status).toBe(204);
      await disconnected(socket);
      expect(await refusal(t, { token: doctor.accessToken })).toBe('UNAUTHORIZED');
    });
  });

  describe('rooms and relay', () => {
    it('lets two members join and negotiate; from is set by the server', async () => {
      const { doctor, patient, roomId, d, p } = await doctorAndPatient(false);

      const dj = await request(d.socket, 'room:join', { roomId });
      expect(dj.ok).toBe(true);
      expect(dj.data).toMatchObject({ roomId, participants: [], polite: false });
      const pj = await request(p.socket, 'room:join', { roomId });
      expect(pj.data).toMatchObject({
        sessionId: dj.data?.sessionId,
        polite: true,
        participants: [
          { userId: doctor.user.id, role: 'host', displayName: doctor.user.displayName },
        ],
      });
      const ice = pj.data?.iceServers as { urls: string[]; username?: string }[];
      expect(ice[0].urls).toEqual(['stun:stun.example.test:3478']);
      expect(ice[1].urls).toHaveLength(3);
      expect(ice[1].username).toMatch(new RegExp(`^\\d+:${patient.user.id}$`));
      await d.inbox.next('room:participant-joined', (e) => e.userId === patient.user.id);

      const forged = await request(d.socket, 'call:offer', {
        roomId,
        to: patient.user.id,
        sdp: SDP,
        from: patient.user.id,
      });
      expect(forged.ok).toBe(true);
      expect(await p.inbox.next('call:offer')).toEqual({ roomId, from: doctor.user.id, sdp: SDP });
      expect(
        (await request(p.socket, 'call:answer', { roomId, to: doctor.user.id, sdp: SDP })).ok,
      ).toBe(true);
      expect(await d.inbox.next('call:answer')).toEqual({
        roomId,
        from: patient.user.id,
        sdp: SDP,
      });
      expect(
        (
          await request(p.socket, 'call:ice-candidate', {
            roomId,
            to: doctor.user.id,
            candidate: CANDIDATE,
          })
        ).ok,
      ).toBe(true);
      expect(await d.inbox.next('call:ice-candidate')).toEqual({
        roomId,
        from: patient.user.id,
        candidate: CANDIDATE,
      });

      expect((await request(p.socket, 'room:leave', { roomId })).ok).toBe(true);
      expect(await d.inbox.next('room:participant-left')).toEqual({
        roomId,
        userId: patient.user.id,
      });

      // Every lifecycle step is in the audit trail; no SDP or candidate ever is.
      const rows = await t.app
        .get(DataSource)
        .query<{ action: string; details: unknown }[]>(
          `SELECT action, details FROM audit_events WHERE resource_id = $1 ORDER BY seq`,
          [roomId],
        );
      expect(rows.map((r) => r.action)).toEqual([
        'room.create',
        'room.invitation.accept',
        'session.start',
        'room.join',
        'room.join',
        'room.leave',
      ]);
      expect(JSON.stringify(rows)).not.toContain('v=0');

      const metrics = (await t.http().get('/metrics')).text;
      expect(metrics).toMatch(/hekim_signaling_joins_total [1-9]/);
      expect(metrics).toMatch(/hekim_signaling_relayed_total\{event="call:offer"\} [1-9]/);
      expect(metrics).toMatch(/hekim_signaling_relayed_total\{event="call:ice-candidate"\} [1-9]/);
      expect(metrics).toMatch(/hekim_signaling_sockets [1-9]/);
      expect(metrics).toMatch(/hekim_sessions_active \d+/);
    });

    it('relays one socket’s offer, answer and candidates in the order they were sent', async () => {
      const { doctor, roomId, d, p } = await doctorAndPatient();
      await d.inbox.next('room:participant-joined');

      // What a browser sends right after setLocalDescription: the description, then its
      // candidates as they are gathered, without waiting for any acknowledgement.
      const to = doctor.user.id;
      const sent = [
        { event: 'call:offer', id: 'offer' },
        ...[1, 2, 3, 4, 5, 6].map((i) => ({ event: 'call:ice-candidate', id: `c${i}` })),
        { event: 'call:answer', id: 'answer' },
        ...[7, 8, 9, 10].map((i) => ({ event: 'call:ice-candidate', id: `c${i}` })),
      ];
      const acks = sent.map(({ event, id }) =>
        request(
          p.socket,
          event,
          event === 'call:ice-candidate'
            ? { roomId, to, candidate: { ...CANDIDATE, candidate: `${CANDIDATE.candidate} ${id}` } }
            : { roomId, to, sdp: `${SDP}a=${id}\r\n` },
        ),
      );
      expect((await Promise.all(acks)).every((ack) => ack.ok)).toBe(true);

      await until(() => d.inbox.events.filter((e) => e.event.startsWith('call:')).length >= 12);
      const received = d.inbox.events
        .filter((e) => e.event.startsWith('call:'))
        .map(({ payload }) =>
          typeof payload.sdp === 'string'
            ? /a=(\w+)/.exec(payload.sdp)?.[1]
            : (payload.candidate as { candidate: string }).candidate.split(' ').pop(),
        );
      expect(received).toEqual(sent.map((s) => s.id));
    });

    it('refuses joins and relays from non-members, and relays to anyone outside the room', async () => {
      const { doctor, patient, roomId, d, p } = await doctorAndPatient();
      const stranger = await signIn(t, Role.Patient);
      const s = await client(stranger.accessToken);

      expect((await request(s.socket, 'room:join', { roomId })).error?.code).toBe('NOT_FOUND');
      expect(
        (await request(s.socket, 'call:offer', { roomId, to: doctor.user.id, sdp: SDP })).error
          ?.code,
      ).toBe('FORBIDDEN');
      expect(
        (await request(d.socket, 'call:offer', { roomId, to: stranger.user.id, sdp: SDP })).error
          ?.code,
      ).toBe('FORBIDDEN');
      expect(
        (await request(d.socket, 'call:offer', { roomId, to: doctor.user.id, sdp: SDP })).error
          ?.code,
      ).toBe('FORBIDDEN');
      // The next good message is the first thing anyone receives: nothing was relayed before it.
      await request(d.socket, 'call:offer', { roomId, to: patient.user.id, sdp: 'v=0 marker' });
      await p.inbox.next('call:offer');
      expect(p.inbox.of('call:offer')).toEqual([
        { roomId, from: doctor.user.id, sdp: 'v=0 marker' },
      ]);
      expect(s.inbox.of('call:offer')).toEqual([]);
      expect(d.inbox.of('call:offer')).toEqual([]);

      const denied = await t.app
        .get(DataSource)
        .query<{ n: string }[]>(
          `SELECT count(*) AS n FROM audit_events WHERE action = 'signaling.relay' AND outcome = 'denied' AND resource_id = $1`,
          [roomId],
        );
      expect(Number(denied[0].n)).toBe(3);
    });

    it('validates payloads like REST and refuses oversize SDP without harm', async () => {
      const { doctor, patient, roomId, d, p } = await doctorAndPatient();

      expect((await request(d.socket, 'room:join', { roomId: 'nope' })).error?.code).toBe(
        'VALIDATION_FAILED',
      );
      expect((await request(d.socket, 'room:join', { roomId, extra: 1 })).error?.code).toBe(
        'VALIDATION_FAILED',
      );
      expect((await request(d.socket, 'room:join', 'text')).error?.code).toBe('VALIDATION_FAILED');
      expect(
        (
          await request(d.socket, 'call:ice-candidate', {
            roomId,
            to: patient.user.id,
            candidate: { candidate: 'x'.repeat(5000) },
          })
        ).error?.code,
      ).toBe('VALIDATION_FAILED');
      const big = await request(d.socket, 'call:offer', {
        roomId,
        to: patient.user.id,
        sdp: 'v'.repeat(40_000),
      });
      expect(big.error?.code).toBe('PAYLOAD_TOO_LARGE');
      expect(p.inbox.of('call:offer')).toEqual([]);

      // Above the engine's buffer size the message never reaches a handler: only that
      // connection is closed, the process and the other sockets carry on.
      const flooder = await client(patient.accessToken);
      flooder.socket.emit('call:offer', { roomId, to: doctor.user.id, sdp: 'v'.repeat(100_000) });
      await disconnected(flooder.socket);
      expect(
        (await request(d.socket, 'call:offer', { roomId, to: patient.user.id, sdp: SDP })).ok,
      ).toBe(true);
      expect((await t.http().get('/health/live')).status).toBe(200);
    });

    it('throttles a flood and disconnects the abuser while another room keeps working', async () => {
      const { patient, roomId, d, p } = await doctorAndPatient();
      const abuser = await signIn(t, Role.Patient);

      const a = await client(abuser.accessToken);
      const acks: Promise<unknown>[] = [];
      for (let i = 0; i < 200; i++)
        acks.push(request(a.socket, 'room:leave', { roomId: randomUUID() }).catch(() => null));
      await disconnected(a.socket);
      const results = (await Promise.all(acks)) as ({
        error?: { code: string; retryAfter?: number };
      } | null)[];
      const limited = results.filter((r) => r?.error?.code === 'RATE_LIMITED');
      expect(limited.length).toBeGreaterThan(0);
      // Each refusal says when to try again (seconds, like REST's Retry-After).
      expect(limited.every((r) => r?.error?.retryAfter === 1)).toBe(true);

      expect(
        (await request(d.socket, 'call:offer', { roomId, to: patient.user.id, sdp: SDP })).ok,
      ).toBe(true);
      await p.inbox.next('call:offer');
      expect((await t.http().get('/metrics')).text).toMatch(
        /hekim_signaling_rate_limited_total \d+/,
      );
    });

    it('replaces the first device of a user in a room', async () => {
      const doctor = await signIn(t, Role.Doctor);
      const patient = await signIn(t, Role.Patient);
      const roomId = await room(doctor, [patient]);
      const d = await client(doctor.accessToken);
      const p1 = await client(patient.accessToken);
      const p2 = await client(patient.accessToken);
      const first = await request(d.socket, 'room:join', { roomId });
      await request(p1.socket, 'room:join', { roomId });
      const again = await request(p2.socket, 'room:join', { roomId });
      expect(again.data?.sessionId).toBe(first.data?.sessionId);
      expect(await p1.inbox.next('room:replaced')).toEqual({ roomId });
      // The old device is no longer a participant: it cannot relay and gets nothing relayed.
      expect(
        (await request(p1.socket, 'call:answer', { roomId, to: doctor.user.id, sdp: SDP })).error
          ?.code,
      ).toBe('FORBIDDEN');
      await request(d.socket, 'call:offer', { roomId, to: patient.user.id, sdp: SDP });
      await p2.inbox.next('call:offer');
      expect(p1.inbox.of('call:offer')).toEqual([]);
    });

    it('keeps a waiting room queue until the host admits, also across the host dropping', async () => {
      const doctor = await signIn(t, Role.Doctor);
      const patient = await signIn(t, Role.Patient);
      const roomId = await room(doctor, [patient], { waitingRoom: true });
      const h1 = await client(doctor.accessToken);
      const p = await client(patient.accessToken);
      expect((await request(p.socket, 'room:join', { roomId })).data).toEqual({ waiting: true });
      // The host hears the knock on every device (private channel), even before joining.
      expect(await h1.inbox.next('room:waiting')).toMatchObject({
        roomId,
        user: { userId: patient.user.id },
      });

      h1.socket.close();
      const h2 = await client(doctor.accessToken);
      const hostJoin = await request(h2.socket, 'room:join', { roomId });
      // The host's arrival admits nobody: the queue is shown again instead.
      expect(hostJoin.data?.participants).toEqual([]);
      expect(await h2.inbox.next('room:waiting')).toMatchObject({
        roomId,
        user: { userId: patient.user.id },
      });
      expect(
        (await request(p.socket, 'room:admit', { roomId, userId: patient.user.id })).error?.code,
      ).toBe('FORBIDDEN');
      expect(p.inbox.of('room:admitted')).toEqual([]);

      expect((await request(h2.socket, 'room:admit', { roomId, userId: patient.user.id })).ok).toBe(
        true,
      );
      const admitted = await p.inbox.next('room:admitted');
      expect(admitted).toMatchObject({ roomId, sessionId: hostJoin.data?.sessionId, polite: true });
      await h2.inbox.next('room:participant-joined', (e) => e.userId === patient.user.id);
      expect(
        (await request(p.socket, 'call:offer', { roomId, to: doctor.user.id, sdp: SDP })).ok,
      ).toBe(true);
      await h2.inbox.next('call:offer');
    });

    it('resumes within the reconnect grace without ending the session', async () => {
      const doctor = await signIn(t, Role.Doctor);
      const patient = await signIn(t, Role.Patient);
      const roomId = await room(doctor, [patient]);
      const d = await client(doctor.accessToken);
      const p1 = await client(patient.accessToken);
      const joined = await request(d.socket, 'room:join', { roomId });
      await request(p1.socket, 'room:join', { roomId });
      p1.socket.close();
      const p2 = await client(patient.accessToken);
      const back = await request(p2.socket, 'room:join', { roomId });
      expect(back.data?.sessionId).toBe(joined.data?.sessionId);
      expect(d.inbox.of('room:participant-left')).toEqual([]);
      const s = await t
        .http()
        .get(`/api/v1/sessions/${String(joined.data?.sessionId)}`)
        .set(authHeader(doctor.accessToken));
      expect(s.body).toMatchObject({ status: 'active' });
    });
  });
});

describe('signaling: reconnect grace running out', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ listen: true, env: { SIGNALING_RECONNECT_GRACE_SECONDS: '1' } });
  });
  afterAll(() => t.close());

  it('ends the stay after the grace and the session with the last participant', async () => {
    const { doctor, patient, roomId } = await consultationPair(t, 'Grace');
    const d = await connect(t, { token: doctor.accessToken });
    const dInbox = new Inbox(d);
    const p = await connect(t, { token: patient.accessToken });
    const joined = await request(d, 'room:join', { roomId });
    await request(p, 'room:join', { roomId });
    p.close();
    expect(await dInbox.next('room:participant-left')).toEqual({ roomId, userId: patient.user.id });
    d.close();
    const sessionId = String(joined.data?.sessionId);
    await until(async () => {
      const s = await t
        .http()
        .get(`/api/v1/sessions/${sessionId}`)
        .set(authHeader(doctor.accessToken));
      return (s.body as { status: string }).status === 'ended';
    });
    const s = await t
      .http()
      .get(`/api/v1/sessions/${sessionId}`)
      .set(authHeader(doctor.accessToken));
    expect(
      (s.body as { participants: { leftAt: string | null }[] }).participants.every((x) => x.leftAt),
    ).toBe(true);
  });

  it('tells connected clients to reconnect elsewhere once the instance drains', async () => {
    const doctor = await signIn(t, Role.Doctor);
    const socket = await connect(t, { token: doctor.accessToken });
    const inbox = new Inbox(socket);
    t.app.get(LifecycleState).beginDrain();
    expect(await inbox.next('server:draining')).toEqual({ reconnect: true });
    socket.close();
  });
});
