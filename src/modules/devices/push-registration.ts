import { createECDH } from 'node:crypto';
import type { FieldError } from '../../common/errors/app.exception';
import type { RegisterDeviceRequest } from './dto/device.dto';
import type { PushPlatform } from './push-device.entity';

// A device as stored, once the request has passed every check.
export interface DeviceRegistration {
  platform: PushPlatform;
  token: string;
  p256dh: string | null;
  auth: string | null;
  voip: boolean;
}

export interface RegistrationPolicy {
  // The platforms this server can push to (those configured).
  platforms: readonly PushPlatform[];
  // Push services a Web Push endpoint may name: a host or a parent domain of it.
  webPushHosts: readonly string[];
}

const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/;
const APNS_TOKEN = /^[0-9a-fA-F]{64,200}$/;
const FCM_TOKEN = /^[A-Za-z0-9_:.-]{32,4096}$/;

// Checks what the DTO's shapes cannot: what each platform requires and refuses, that a Web
// Push subscription's keys are a real P-256 point and a 16-byte secret (a bad key would only
// fail later, at every push), and that its endpoint is a push service, never an address inside
// our network (the server POSTs to it: an open endpoint would be an SSRF).
export function checkRegistration(
  body: RegisterDeviceRequest,
  policy: RegistrationPolicy,
): { device?: DeviceRegistration; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const fail = (field: string, message: string): void => {
    errors.push({ field, messages: [message] });
  };
  if (!policy.platforms.includes(body.platform))
    fail('platform', `${body.platform} push is not configured on this server`);
  if (body.platform !== 'web' && body.subscription !== undefined)
    fail('subscription', 'subscription is for platform web only');
  if (body.platform !== 'apns' && body.voip !== undefined)
    fail('voip', 'voip is for platform apns only');

  if (body.platform === 'web') {
    if (body.token !== undefined) fail('token', 'token is not used by platform web');
    const sub = body.subscription;
    if (!sub) {
      fail('subscription', 'subscription is required for platform web');
      return { errors };
    }
    const endpointProblem = webPushEndpointProblem(sub.endpoint, policy.webPushHosts);
    if (endpointProblem) fail('subscription.endpoint', `endpoint ${endpointProblem}`);
    if (!isP256Point(sub.keys.p256dh))
      fail(
        'subscription.keys.p256dh',
        'p256dh must be an uncompressed P-256 public key (base64url)',
      );
    if (decodedLength(sub.keys.auth) !== 16)
      fail('subscription.keys.auth', 'auth must be 16 bytes (base64url)');
    if (errors.length) return { errors };
    return {
      errors,
      device: {
        platform: 'web',
        token: sub.endpoint,
        p256dh: sub.keys.p256dh.replace(/=+$/, ''),
        auth: sub.keys.auth.replace(/=+$/, ''),
        voip: false,
      },
    };
  }

  const token = body.token;
  if (token === undefined) fail('token', `token is required for platform ${body.platform}`);
  else if (body.platform === 'apns' && (!APNS_TOKEN.test(token) || token.length % 2 !== 0))
    fail('token', 'an APNs token must be an even number (64 to 200) of hex digits');
  else if (body.platform === 'fcm' && !FCM_TOKEN.test(token))
    fail('token', 'an FCM token must be 32 to 4096 of A-Z a-z 0-9 _ : . -');
  if (errors.length || token === undefined) return { errors };
  return {
    errors,
    device: {
      platform: body.platform,
      // APNs tokens are case-insensitive hex: one spelling, so a re-registration matches.
      token: body.platform === 'apns' ? token.toLowerCase() : token,
      p256dh: null,
      auth: null,
      voip: body.platform === 'apns' && body.voip === true,
    },
  };
}

function webPushEndpointProblem(endpoint: string, hosts: readonly string[]): string | undefined {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return 'must be an absolute https URL';
  }
  if (url.protocol !== 'https:') return 'must be an https URL';
  if (url.username || url.password) return 'must not carry credentials';
  const host = url.hostname.toLowerCase();
  if (!hosts.some((h) => host === h || host.endsWith(`.${h}`)))
    return 'must be on a known push service (WEB_PUSH_ALLOWED_HOSTS)';
  return undefined;
}

function decodedLength(value: string): number {
  return BASE64URL.test(value) ? Buffer.from(value, 'base64url').length : -1;
}

function isP256Point(value: string): boolean {
  if (decodedLength(value) !== 65) return false;
  const point = Buffer.from(value, 'base64url');
  if (point[0] !== 0x04) return false;
  try {
    // Refuses a point that is not on the curve.
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(Buffer.alloc(32, 1));
    ecdh.computeSecret(point);
    return true;
  } catch {
    return false;
  }
}
