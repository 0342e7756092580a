import { JwtService } from '@nestjs/jwt';
import { DeliveryError } from '../../outbox/channel-sender';
import type { PushDeviceEntity } from '../push-device.entity';
import type { Http2Client } from './http2-client';
import { DeadTokenError, PushKind, retryable, type PushBody } from './push-message';

export interface ApnsSettings {
  url: string;
  keyId: string;
  teamId: string;
  bundleId: string;
  // The .p8 signing key (PEM, P-256).
  key: string;
}

// Apple asks for a new provider token at most every 20 minutes and refuses one older than an
// hour.
const TOKEN_LIFETIME_MS = 40 * 60 * 1000;

// Reasons after which the token will never work again (APNs' documented answers).
const DEAD_REASONS = new Set(['BadDeviceToken', 'Unregistered', 'ExpiredToken']);

// APNs over HTTP/2 with token-based authentication: every request carries an ES256 provider
// JWT (`kid` the key id, `iss` the team id), signed with the project's JWT library and reused
// for 40 minutes. A VoIP (PushKit) device gets `apns-push-type: voip` on the topic
// `<bundle>.voip`, both for the call and for its end (iOS wants every VoIP push reported to
// CallKit: the app reports the ended call, which stops the ringing). Other devices get an
// alert for a call and a background push for its end.
export class ApnsClient {
  private readonly jwt = new JwtService();
  private token: { value: string; at: number } | undefined;

  constructor(
    private readonly settings: ApnsSettings,
    private readonly http: Http2Client,
  ) {}

  async send(device: PushDeviceEntity, body: PushBody, ttl: number): Promise<void> {
    const incoming = body.kind === PushKind.CallIncoming;
    const type = device.voip ? 'voip' : incoming ? 'alert' : 'background';
    const aps = device.voip
      ? {}
      : incoming
        ? {
            alert: { 'loc-key': 'CALL_INCOMING' },
            sound: 'default',
            'interruption-level': 'time-sensitive',
          }
        : { 'content-available': 1 };
    let res;
    try {
      res = await this.http.request(new URL(`/3/device/${device.token}`, this.settings.url), {
        method: 'POST',
        headers: {
          authorization: `bearer ${this.providerToken()}`,
          'apns-topic': device.voip ? `${this.settings.bundleId}.voip` : this.settings.bundleId,
          'apns-push-type': type,
          // Apple requires priority 5 for background pushes.
          'apns-priority': type === 'background' ? '5' : '10',
          'apns-expiration': String(ttl > 0 ? Math.floor(Date.now() / 1000) + ttl : 0),
          'apns-id': body.messageId,
          'apns-collapse-id': body.callId,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ aps, ...body }),
      });
    } catch (err) {
      throw new DeliveryError('CONNECTION_FAILED', false, { cause: err });
    }
    if (res.status === 200) return;
    const reason = reasonOf(res.body);
    if (DEAD_REASONS.has(reason) || res.status === 410)
      throw new DeadTokenError(`APNS_${reason || res.status}`);
    // A provider token Apple no longer takes: sign a new one for the next attempt.
    if (res.status === 403 && /ProviderToken/.test(reason)) {
      this.token = undefined;
      throw new DeliveryError(`APNS_${reason}`);
    }
    throw new DeliveryError(`APNS_${reason || res.status}`, !retryable(res.status));
  }

  private providerToken(): string {
    const now = Date.now();
    if (this.token && now - this.token.at < TOKEN_LIFETIME_MS) return this.token.value;
    const value = this.jwt.sign(
      { iss: this.settings.teamId, iat: Math.floor(now / 1000) },
      { algorithm: 'ES256', privateKey: this.settings.key, keyid: this.settings.keyId },
    );
    this.token = { value, at: now };
    return value;
  }
}

// APNs answers `{"reason":"BadDeviceToken"}`; only a short word of it is kept.
function reasonOf(body: string): string {
  try {
    const reason = (JSON.parse(body) as { reason?: unknown }).reason;
    return typeof reason === 'string' && /^[A-Za-z]{1,40}$/.test(reason) ? reason : '';
  } catch {
    return '';
  }
}
