import { DataSource } from 'typeorm';
import { Role } from '../../src/common/auth/role';
import { authHeader, signIn } from '../support/auth';
import { acceptInvitation, inviteToRoom } from '../support/care';
import { type Client, connect, Inbox, request } from '../support/signaling-client';
import { createTestApp, type TestApp } from '../support/test-app';

const SDP = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n';

// Finding 3: a member removed from a room while joined kept their live presence and could
// still relay `call:offer` to the others long after; only the membership row went.
describe('security: removing a joined member evicts them at once', () => {
  let t: TestApp;
  const open: Client[] = [];

  beforeAll(async () => {
    t = await createTestApp({ listen: true });
  });
  afterAll(async () => {
    for (const s of open) s.close();
    await t.close();
  });

  async function device(token: string): Promise<{ socket: Client; inbox: Inbox }> {
    const socket = await connect(t, { token });
    open.push(socket);
    return { socket, inbox: new Inbox(socket) };
  }

  it('tells the removed member room:removed, the others room:participant-left, and relays nothing more', async () => {
    const doctor = await signIn(t, Role.Doctor);
    const staying = await signIn(t, Role.Patient);
    const removed = await signIn(t, Role.Patient);
    const roomId = await inviteToRoom(t, doctor, [staying, removed], {
      type: 'group',
      maxParticipants: 5,
    });
    await acceptInvitation(t, staying, roomId);
    await acceptInvitation(t, removed, roomId);
    const d = await device(doctor.accessToken);
    const s = await device(staying.accessToken);
    const r = await device(removed.accessToken);
    for (const x of [d, s, r])
      expect((await request(x.socket, 'room:join', { roomId })).ok).toBe(true);

    await t
      .http()
      .delete(`/api/v1/rooms/${roomId}/members/${removed.user.id}`)
      .set(authHeader(doctor.accessToken))
      .expect(204);

    expect(await r.inbox.next('room:removed')).toMatchObject({ roomId });
    for (const x of [d, s])
      await x.inbox.next('room:participant-left', (e) => e.userId === removed.user.id);

    // Nothing is relayed from the removed member, nor to them.
    const offer = await request(r.socket, 'call:offer', { roomId, to: doctor.user.id, sdp: SDP });
    expect(offer.error?.code).toBe('FORBIDDEN');
    const toRemoved = await request(d.socket, 'call:offer', {
      roomId,
      to: removed.user.id,
      sdp: SDP,
    });
    expect(toRemoved.error?.code).toBe('FORBIDDEN');
    expect((await request(r.socket, 'room:join', { roomId })).error?.code).toBe('NOT_FOUND');
    expect(d.inbox.of('call:offer')).toEqual([]);
    expect(r.inbox.of('call:offer')).toEqual([]);

    // The stay ended as a leave with its reason.
    const [leave] = await t.app
      .get(DataSource)
      .query<{ details: Record<string, unknown> }[]>(
        `SELECT details FROM audit_events WHERE action = 'room.leave' AND actor_user_id = $1`,
        [removed.user.id],
      );
    expect(leave.details).toMatchObject({ reason: 'removed_from_room' });
  });
});
