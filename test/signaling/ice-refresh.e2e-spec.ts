import { Role } from '../../src/common/auth/role';
import { authHeader, signIn } from '../support/auth';
import { connect, Inbox, request } from '../support/signaling-client';
import { createTestApp, type TestApp } from '../support/test-app';

interface IceServer {
  urls: string[];
  username?: string;
  credential?: string;
}

// With the shortest TTL allowed (60 s) the push comes a quarter of the TTL before expiry,
// i.e. about 45 s after joining: this test waits for it.
describe('signaling: fresh TURN credentials before the old ones expire', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      listen: true,
      env: { TURN_URLS: 'turn:turn.example.test:3478?transport=udp', TURN_TTL_SECONDS: '60' },
    });
  });
  afterAll(() => t.close());

  it('pushes ice:servers to a participant while it stays in the room', async () => {
    const doctor = await signIn(t, Role.Doctor);
    const res = await t
      .http()
      .post('/api/v1/rooms')
      .set(authHeader(doctor.accessToken))
      .send({ name: 'Long consultation', type: 'consultation', memberIds: [] });
    const roomId = (res.body as { id: string }).id;
    const socket = await connect(t, { token: doctor.accessToken });
    const inbox = new Inbox(socket);
    const joined = await request(socket, 'room:join', { roomId });
    const first = (joined.data?.iceServers as IceServer[])[0];
    const oldExpiry = Date.parse(String(joined.data?.expiresAt));

    const pushed = await inbox.next('ice:servers', () => true, 80_000);
    const fresh = (pushed.iceServers as IceServer[])[0];
    // Before the old credentials ran out, with a later expiry, still for this user only.
    expect(Date.now()).toBeLessThan(oldExpiry);
    expect(Date.parse(String(pushed.expiresAt))).toBeGreaterThan(oldExpiry);
    expect(fresh.username).toMatch(new RegExp(`^\\d+:${doctor.user.id}$`));
    expect(fresh.username).not.toBe(first.username);
    socket.close();
  }, 120_000);
});
