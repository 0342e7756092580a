import { IceService } from '../../src/modules/ice/ice.service';
import { turnCredentials } from '../../src/modules/ice/turn-credentials';
import { allocate, type Coturn, startCoturn } from '../support/coturn';
import { createTestApp, type TestApp } from '../support/test-app';

// A real coturn with the same static-auth-secret as Hekim decides whether Hekim's TURN REST
// credentials are good: they must allocate a relay; expired or altered ones must not.
describe('ice: TURN credentials against a real coturn', () => {
  let coturn: Coturn;
  let t: TestApp;

  beforeAll(async () => {
    coturn = await startCoturn();
    t = await createTestApp({
      env: {
        TURN_SECRET: coturn.secret,
        STUN_URLS: `stun:127.0.0.1:${coturn.port}`,
        TURN_URLS: `turn:127.0.0.1:${coturn.port}?transport=udp,turn:127.0.0.1:${coturn.port}?transport=tcp`,
        TURN_TTL_SECONDS: '600',
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await coturn?.stop();
  });

  it('allocates with credentials Hekim issued', async () => {
    const res = t.app.get(IceService).forUser('5b0c1f8e-2f6a-4d8e-9a43-0f4f6a3c1d2e');
    const turn = res.iceServers.find((s) => s.username);
    expect(turn?.username).toMatch(/^\d+:5b0c1f8e-2f6a-4d8e-9a43-0f4f6a3c1d2e$/);
    const result = await allocate(coturn.port, turn?.username ?? '', turn?.credential ?? '');
    expect(result.code).toBe(0);
  });

  it('refuses expired credentials', async () => {
    const expired = turnCredentials(coturn.secret, 'user-x', -60);
    expect((await allocate(coturn.port, expired.username, expired.credential)).code).not.toBe(0);
  });

  it('refuses altered credentials: another user id, or a credential under another secret', async () => {
    const good = turnCredentials(coturn.secret, 'user-a', 600);
    const otherUser = good.username.replace('user-a', 'user-b');
    expect((await allocate(coturn.port, otherUser, good.credential)).code).not.toBe(0);
    const forged = turnCredentials('not-the-coturn-secret-at-all', 'user-a', 600);
    expect((await allocate(coturn.port, forged.username, forged.credential)).code).not.toBe(0);
  });
});
