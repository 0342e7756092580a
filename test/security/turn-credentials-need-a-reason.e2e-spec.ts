import { Role } from '../../src/common/auth/role';
import { authHeader, signIn } from '../support/auth';
import { inviteToRoom, acceptInvitation } from '../support/care';
import { createTestApp, type TestApp } from '../support/test-app';

const RATE = 5;

// Finding 7: GET /ice-servers handed TURN credentials to any freshly registered account,
// without limit (100 of 100 in 0.4 s): the operator's coturn became anyone's relay. Staff,
// and people who are active members of a room (a call's room included), get them; at most
// ICE_SERVERS_RATE_PER_MINUTE a minute each.
describe('security: TURN credentials only for a consultation, and rate limited per user', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        TURN_URLS: 'turn:turn.example.test:3478?transport=udp',
        ICE_SERVERS_RATE_PER_MINUTE: String(RATE),
        AUTH_RATE_LIMIT_PER_MINUTE: '1000',
      },
    });
  });
  afterAll(() => t.close());

  const ice = (token: string) => t.http().get('/api/v1/ice-servers').set(authHeader(token));

  it('refuses a new account and an invited (not yet accepted) patient', async () => {
    // A new account of its own, in no room and no call.
    const fresh = await signIn(t, Role.Patient);
    const res = await ice(fresh.accessToken);
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 403, code: 'FORBIDDEN' });

    const doctor = await signIn(t, Role.Doctor);
    const patient = await signIn(t, Role.Patient);
    const roomId = await inviteToRoom(t, doctor, [patient]);
    await ice(patient.accessToken).expect(403);
    await acceptInvitation(t, patient, roomId);
    const ok = await ice(patient.accessToken).expect(200);
    expect(ok.body.iceServers[0].username).toMatch(new RegExp(`:${patient.user.id}$`));
  });

  it('hands them to staff, at most the per-user rate a minute', async () => {
    const doctor = await signIn(t, Role.Doctor);
    const statuses: number[] = [];
    for (let i = 0; i < RATE + 3; i++) statuses.push((await ice(doctor.accessToken)).status);
    expect(statuses).toEqual([...Array(RATE).fill(200), ...Array(3).fill(429)]);
    const limited = await ice(doctor.accessToken);
    expect(limited.body.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Another user has a budget of their own.
    await ice((await signIn(t, Role.Admin)).accessToken).expect(200);
  });
});
