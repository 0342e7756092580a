import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strongPassword, uniqueEmail } from '../support/auth';
import { api } from '../support/hekim-cluster';
import { startHekim, type HekimProcess } from '../support/hekim-process';
import { connectTo } from '../support/signaling-client';

// Finding 2, on the README's default: the embedded mode (Hekim's own PostgreSQL, in-process
// stores instead of Redis) run as `npm start` runs it. Before, a restart forgot every
// revocation (they lived in process memory). The process is stopped and started again on the
// same data: the tokens of a logged-out session, a revoked device, a deactivated doctor and a
// demoted admin stay refused, while a token nobody revoked still works (same secrets).
describe('security: revocation survives a restart of the embedded mode', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hekim-revocation-'));
  const adminEmail = uniqueEmail('root');
  const adminPassword = `Root-${randomBytes(12).toString('base64url')}`;
  const env = {
    NODE_ENV: 'development',
    PORT: '0',
    DATA_DIR: dataDir,
    ADMIN_EMAIL: adminEmail,
    ADMIN_PASSWORD: adminPassword,
  };
  let hekim: HekimProcess | undefined;

  afterAll(async () => {
    if (hekim && hekim.proc.exitCode === null) {
      hekim.proc.kill('SIGTERM');
      await hekim.exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function stop(): Promise<void> {
    hekim?.proc.kill('SIGTERM');
    expect((await hekim?.exited)?.code).toBe(0);
  }

  const login = async (email: string, password: string): Promise<string> => {
    const res = await api(hekim!.url, 'POST', '/api/v1/auth/login', { body: { email, password } });
    expect(res.status).toBe(200);
    return res.body.accessToken as string;
  };

  async function socketAnswer(token: string): Promise<string> {
    try {
      (await connectTo(hekim!.url, { token })).close();
      return 'CONNECTED';
    } catch (err) {
      return (err as Error).message;
    }
  }

  it('keeps every revocation and role change across the restart', async () => {
    hekim = await startHekim(env);
    const admin = await login(adminEmail, adminPassword);
    const people: Record<string, { id: string; email: string; password: string }> = {};
    for (const [name, role] of [
      ['loggedOut', 'patient'],
      ['device', 'patient'],
      ['deactivated', 'doctor'],
      ['demoted', 'admin'],
      ['untouched', 'patient'],
    ] as const) {
      const email = uniqueEmail(name);
      const password = strongPassword();
      const res = await api(hekim.url, 'POST', '/api/v1/users', {
        token: admin,
        body: { email, password, displayName: name, role },
      });
      expect(res.status).toBe(201);
      people[name] = { id: res.body.id as string, email, password };
    }
    const tokens: Record<string, string> = {};
    for (const [name, p] of Object.entries(people)) tokens[name] = await login(p.email, p.password);
    const otherDevice = await login(people.device.email, people.device.password);
    expect(
      (await api(hekim.url, 'GET', '/api/v1/audit/events', { token: tokens.demoted })).status,
    ).toBe(200);

    expect(
      (await api(hekim.url, 'POST', '/api/v1/auth/logout', { token: tokens.loggedOut, body: {} }))
        .status,
    ).toBe(204);
    const sessions = await api(hekim.url, 'GET', '/api/v1/auth/sessions', { token: otherDevice });
    const device = (sessions.body.items as { id: string; current: boolean }[]).find(
      (s) => !s.current,
    );
    expect(
      (
        await api(hekim.url, 'DELETE', `/api/v1/auth/sessions/${device?.id}`, {
          token: otherDevice,
        })
      ).status,
    ).toBe(204);
    expect(
      (await api(hekim.url, 'DELETE', `/api/v1/users/${people.deactivated.id}`, { token: admin }))
        .status,
    ).toBe(204);
    expect(
      (
        await api(hekim.url, 'PATCH', `/api/v1/users/${people.demoted.id}`, {
          token: admin,
          body: { role: 'patient' },
        })
      ).status,
    ).toBe(200);

    const revoked = ['loggedOut', 'device', 'deactivated', 'demoted'];
    const check = async (): Promise<Record<string, [number, string]>> => {
      const out: Record<string, [number, string]> = {};
      for (const name of [...revoked, 'untouched']) {
        const me = await api(hekim!.url, 'GET', '/api/v1/users/me', { token: tokens[name] });
        out[name] = [me.status, await socketAnswer(tokens[name])];
      }
      return out;
    };
    const expected = {
      loggedOut: [401, 'UNAUTHORIZED'],
      device: [401, 'UNAUTHORIZED'],
      deactivated: [401, 'UNAUTHORIZED'],
      demoted: [401, 'UNAUTHORIZED'],
      untouched: [200, 'CONNECTED'],
    };
    expect(await check()).toEqual(expected);

    await stop();
    hekim = await startHekim(env);
    // Still the in-process stores: nothing outside PostgreSQL kept the revocations.
    expect(hekim.output()).toContain('"redis":"in-process"');
    expect(await check()).toEqual(expected);
    expect(
      (await api(hekim.url, 'GET', '/api/v1/audit/events', { token: tokens.demoted })).status,
    ).toBe(401);
    await stop();
  }, 120_000);
});
