import { DataSource } from 'typeorm';
import { refusal } from '../support/signaling-client';
import { createTestApp, type TestApp } from '../support/test-app';

// The per-address budget of audit records for refusals that carry no identity.
const BUDGET = 30;

// Finding 6: 1,000 token-less signaling handshakes wrote 1,000 append-only audit records in
// 4 s, while REST 401s had a per-address budget. One budget serves both now.
describe('security: anonymous refusals share one audit budget per address', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ listen: true });
  });
  afterAll(() => t.close());

  async function count(): Promise<number> {
    const rows = await t.app.get(DataSource).query<{ n: string }[]>(
      `SELECT count(*) AS n FROM audit_events WHERE actor_user_id IS NULL
          AND (action = 'signaling.handshake' OR (action = 'access.denied' AND details->>'status' = '401'))`,
    );
    return Number(rows[0].n);
  }

  it('audits at most the budget of handshakes and 401s together, and counts the rest', async () => {
    for (let i = 0; i < 20; i++) await t.http().get('/api/v1/users/me').expect(401);
    const handshakes = 60;
    for (let i = 0; i < handshakes; i += 10)
      expect(
        await Promise.all(Array.from({ length: 10 }, () => refusal(t, { token: `bad.${i}.x` }))),
      ).toEqual(Array(10).fill('UNAUTHORIZED'));
    expect(await count()).toBe(BUDGET);
    const metrics = await t.http().get('/metrics').expect(200);
    const suppressed = /^hekim_audit_unauthenticated_suppressed_total (\d+)$/m.exec(metrics.text);
    expect(Number(suppressed?.[1])).toBe(20 + handshakes - BUDGET);
  });
});
