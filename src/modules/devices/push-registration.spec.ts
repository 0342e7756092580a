import { createECDH, randomBytes } from 'node:crypto';
import type { RegisterDeviceRequest } from './dto/device.dto';
import { checkRegistration, type RegistrationPolicy } from './push-registration';

const policy: RegistrationPolicy = {
  platforms: ['web', 'apns', 'fcm'],
  webPushHosts: ['push.example.test'],
};

function p256dh(): string {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return ecdh.getPublicKey().toString('base64url');
}

const web = (
  endpoint: string,
  keys = { p256dh: p256dh(), auth: randomBytes(16).toString('base64url') },
) => ({ platform: 'web', subscription: { endpoint, keys } }) as RegisterDeviceRequest;

const fields = (body: RegisterDeviceRequest, p = policy): string[] =>
  checkRegistration(body, p).errors.map((e) => e.field);

describe('checkRegistration', () => {
  it('accepts a subscription on a known push service or a subdomain of one', () => {
    for (const endpoint of ['https://push.example.test/a', 'https://eu.push.example.test/b']) {
      const { device, errors } = checkRegistration(web(endpoint), policy);
      expect(errors).toEqual([]);
      expect(device).toMatchObject({ platform: 'web', token: endpoint, voip: false });
    }
  });

  it('refuses endpoints that are not https on a known push service', () => {
    for (const endpoint of [
      'http://push.example.test/a',
      'https://user:pw@push.example.test/a',
      'https://evilpush.example.test/a',
      'https://127.0.0.1/a',
      'not a url',
    ])
      expect(fields(web(endpoint))).toEqual(['subscription.endpoint']);
  });

  it('refuses keys that are not a P-256 point and a 16-byte secret', () => {
    const point = Buffer.from(p256dh(), 'base64url');
    const compressed = Buffer.concat([Buffer.from([2]), point.subarray(1, 33)]).toString(
      'base64url',
    );
    for (const key of [compressed, 'a+b/', Buffer.alloc(65).toString('base64url')])
      expect(
        fields(
          web('https://push.example.test/a', {
            p256dh: key,
            auth: randomBytes(16).toString('base64url'),
          }),
        ),
      ).toEqual(['subscription.keys.p256dh']);
    expect(
      fields(
        web('https://push.example.test/a', {
          p256dh: p256dh(),
          auth: randomBytes(15).toString('base64url'),
        }),
      ),
    ).toEqual(['subscription.keys.auth']);
  });

  it('normalizes APNs tokens to lower case and keeps the VoIP flag', () => {
    const token = randomBytes(32).toString('hex').toUpperCase();
    expect(checkRegistration({ platform: 'apns', token, voip: true }, policy).device).toEqual({
      platform: 'apns',
      token: token.toLowerCase(),
      p256dh: null,
      auth: null,
      voip: true,
    });
  });

  it('refuses a platform this server does not push to', () => {
    expect(
      fields({ platform: 'fcm', token: 'a'.repeat(40) }, { platforms: ['web'], webPushHosts: [] }),
    ).toEqual(['platform']);
  });
});
