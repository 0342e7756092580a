import { DataSource } from 'typeorm';
import { RoomSocketsCache } from '../../src/modules/sessions/room-sockets.cache';
import type { SignedIn } from '../support/auth';
import { consultationPair } from '../support/room-fixtures';
import { type Client, connect, Inbox, request, until } from '../support/signaling-client';
import { createTestApp, type TestApp } from '../support/test-app';

const SDP = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n';

// The relay's check answers from each instance's view of the room (RoomSocketsCache), which
// the database's change notifications keep current. These tests change presence behind the
// presence code's back, as another instance or a maintenance job would, with plain SQL.
describe('signaling: the relay check stays current', () => {
  let t: TestApp;
  let cache: RoomSocketsCache;
  let db: DataSource;
  const open: Client[] = [];

  beforeAll(async () => {
    t = await createTestApp({ listen: true, env: { SIGNALING_RECONNECT_GRACE_SECONDS: '60' } });
    cache = t.app.get(RoomSocketsCache);
    db = t.app.get(DataSource);
  });
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
  });
  afterAll(() => t.close());

  async function pair(): Promise<{
    roomId: string;
    doctor: SignedIn;
    patient: SignedIn;
    d: Client;
    p: Inbox;
  }> {
    const { doctor, patient, roomId } = await consultationPair(t);
    const d = await connect(t, { token: doctor.accessToken });
    const ps = await connect(t, { token: patient.accessToken });
    open.push(d, ps);
    expect((await request(d, 'room:join', { roomId })).ok).toBe(true);
    expect((await request(ps, 'room:join', { roomId })).ok).toBe(true);
    return { roomId, doctor, patient, d, p: new Inbox(ps) };
  }

  function offer(d: Client, roomId: string, to: string) {
    return request(d, 'call:offer', { roomId, to, sdp: SDP });
  }

  it('refuses a target that left through another path as soon as the change is committed', async () => {
    const { roomId, patient, d, p } = await pair();
    expect((await offer(d, roomId, patient.user.id)).ok).toBe(true);
    await p.next('call:offer');
    expect(cache.holds(roomId)).toBe(true);

    await db.query(
      `UPDATE session_participants SET left_at = now(), socket_id = NULL
        WHERE user_id = $1 AND left_at IS NULL`,
      [patient.user.id],
    );
    // The notification arrives on commit; nothing else drops the view.
    await until(() => !cache.holds(roomId), 5_000);
    const refused = await offer(d, roomId, patient.user.id);
    expect(refused.error?.code).toBe('FORBIDDEN');
    expect(p.of('call:offer')).toHaveLength(1);
    const denials = await db.query<{ n: string }[]>(
      `SELECT count(*) AS n FROM audit_events
        WHERE action = 'signaling.relay' AND outcome = 'denied' AND resource_id = $1`,
      [roomId],
    );
    expect(Number(denials[0].n)).toBe(1);
  });

  it('reads the database while its change feed is lost, and caches again once it is back', async () => {
    const { roomId, patient, d, p } = await pair();
    expect((await offer(d, roomId, patient.user.id)).ok).toBe(true);
    expect(cache.holds(roomId)).toBe(true);

    await db.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE application_name = 'hekim-presence' AND datname = current_database()`,
    );
    await until(() => !cache.connected, 5_000);
    expect(cache.holds(roomId)).toBe(false);
    // Without the feed every check reads the database: a change is seen at once.
    expect((await offer(d, roomId, patient.user.id)).ok).toBe(true);
    expect(cache.holds(roomId)).toBe(false);
    await db.query(
      `UPDATE session_participants SET left_at = now(), socket_id = NULL
        WHERE user_id = $1 AND left_at IS NULL`,
      [patient.user.id],
    );
    // Refused whether or not the feed has come back meanwhile: a view is only kept when it was
    // read after the feed was listening, so it either saw the change or was dropped by it.
    expect((await offer(d, roomId, patient.user.id)).error?.code).toBe('FORBIDDEN');

    await until(() => cache.connected, 10_000);
    const again = await pair();
    expect((await offer(again.d, again.roomId, again.patient.user.id)).ok).toBe(true);
    expect(cache.holds(again.roomId)).toBe(true);
    expect(p.of('call:offer')).toHaveLength(2);
  });
});
