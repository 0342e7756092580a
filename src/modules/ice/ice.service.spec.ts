import { createHmac } from 'node:crypto';
import type { AppConfig } from '../../config/app-config';
import { MetricsService } from '../../infra/metrics/metrics.service';
import { IceService } from './ice.service';
import { turnCredentials } from './turn-credentials';

const config = (ice: Partial<AppConfig['ice']>): AppConfig =>
  ({
    ice: {
      stunUrls: ['stun:stun.example.org:3478'],
      turnUrls: [
        'turn:turn.example.org:3478?transport=udp',
        'turn:turn.example.org:3478?transport=tcp',
        'turns:turn.example.org:5349?transport=tcp',
      ],
      turnSecret: 'a-test-secret-of-some-length',
      turnTtlSeconds: 600,
      ...ice,
    },
  }) as AppConfig;

describe('turnCredentials', () => {
  it('follows the TURN REST convention: <expiry>:<userId> and base64 HMAC-SHA1', () => {
    const now = new Date('2026-01-01T00:00:00.000Z');
    const c = turnCredentials('s3cret', 'user-1', 300, now);
    const expiry = now.getTime() / 1000 + 300;
    expect(c.username).toBe(`${expiry}:user-1`);
    expect(c.credential).toBe(createHmac('sha1', 's3cret').update(c.username).digest('base64'));
    expect(c.expiresAt.toISOString()).toBe('2026-01-01T00:05:00.000Z');
  });
});

describe('IceService', () => {
  it('lists STUN, then TURN with credentials for the caller only, counting them', async () => {
    const now = new Date('2026-01-01T00:00:00.000Z');
    const metrics = new MetricsService();
    const res = new IceService(config({}), metrics).forUser('user-7', now);
    expect(res.ttlSeconds).toBe(600);
    expect(res.expiresAt).toBe('2026-01-01T00:10:00.000Z');
    expect(res.iceServers[0]).toEqual({ urls: ['stun:stun.example.org:3478'] });
    expect(res.iceServers[1].urls).toHaveLength(3);
    expect(res.iceServers[1].username).toBe(`${now.getTime() / 1000 + 600}:user-7`);
    expect(res.iceServers[1].credential).toEqual(expect.any(String));
    expect(await metrics.registry.metrics()).toContain('hekim_turn_credentials_issued_total 1');
  });

  it('leaves out empty STUN and TURN lists (and issues no credential)', async () => {
    const metrics = new MetricsService();
    const res = new IceService(config({ stunUrls: [], turnUrls: [] }), metrics).forUser('u');
    expect(res.iceServers).toEqual([]);
    expect(await metrics.registry.metrics()).toContain('hekim_turn_credentials_issued_total 0');
  });
});
