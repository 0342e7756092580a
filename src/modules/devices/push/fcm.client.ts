import { JwtService } from '@nestjs/jwt';
import { DeliveryError } from '../../outbox/channel-sender';
import type { PushDeviceEntity } from '../push-device.entity';
import type { Http2Client } from './http2-client';
import { DeadTokenError, flatBody, retryable, type PushBody } from './push-message';

export interface ServiceAccount {
  project_id: string;
  client_email: string;
  private_key: string;
  private_key_id?: string;
  token_uri?: string;
}

export interface FcmSettings {
  url: string;
  tokenUrl: string;
  account: ServiceAccount;
}

const SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';
// An access token is used until this close to its expiry.
const EARLY_MS = 60_000;

// FCM HTTP v1: a high-priority data message per device. Authorization is a service account's
// OAuth access token, got by exchanging an RS256 JWT assertion (signed with the project's JWT
// library) at the token URL (RFC 7523), and cached until shortly before it expires.
export class FcmClient {
  private readonly jwt = new JwtService();
  private access: { token: string; until: number } | undefined;
  private pending: Promise<string> | undefined;

  constructor(
    private readonly settings: FcmSettings,
    private readonly http: Http2Client,
  ) {}

  async send(device: PushDeviceEntity, body: PushBody, ttl: number): Promise<void> {
    const token = await this.accessToken();
    let res;
    try {
      res = await this.http.request(
        new URL(
          `/v1/projects/${encodeURIComponent(this.settings.account.project_id)}/messages:send`,
          this.settings.url,
        ),
        {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            message: {
              token: device.token,
              data: flatBody(body),
              android: { priority: 'HIGH', ttl: `${ttl}s`, collapse_key: body.callId },
            },
          }),
        },
      );
    } catch (err) {
      throw new DeliveryError('CONNECTION_FAILED', false, { cause: err });
    }
    if (res.status === 200) return;
    const code = errorCodeOf(res.body);
    if (code === 'UNREGISTERED') throw new DeadTokenError('FCM_UNREGISTERED');
    if (res.status === 401) this.access = undefined;
    throw new DeliveryError(
      `FCM_${code || res.status}`,
      res.status !== 401 && !retryable(res.status),
    );
  }

  private async accessToken(): Promise<string> {
    if (this.access && Date.now() < this.access.until - EARLY_MS) return this.access.token;
    // One exchange at a time: a batch of pushes waits for the same token.
    this.pending ??= this.exchange().finally(() => (this.pending = undefined));
    return this.pending;
  }

  private async exchange(): Promise<string> {
    const { account, tokenUrl } = this.settings;
    const now = Math.floor(Date.now() / 1000);
    const assertion = this.jwt.sign(
      { iss: account.client_email, scope: SCOPE, aud: tokenUrl, iat: now, exp: now + 3600 },
      {
        algorithm: 'RS256',
        privateKey: account.private_key,
        ...(account.private_key_id ? { keyid: account.private_key_id } : {}),
      },
    );
    let res;
    try {
      res = await this.http.request(new URL(tokenUrl), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
          assertion,
        }).toString(),
      });
    } catch (err) {
      throw new DeliveryError('FCM_TOKEN_CONNECTION_FAILED', false, { cause: err });
    }
    // A refused assertion is a configuration problem; retried, so that fixing it loses nothing.
    if (res.status !== 200) throw new DeliveryError(`FCM_TOKEN_HTTP_${res.status}`);
    const answer = JSON.parse(res.body) as { access_token?: unknown; expires_in?: unknown };
    if (typeof answer.access_token !== 'string') throw new DeliveryError('FCM_TOKEN_INVALID');
    const lifetime = typeof answer.expires_in === 'number' ? answer.expires_in : 3600;
    this.access = { token: answer.access_token, until: Date.now() + lifetime * 1000 };
    return answer.access_token;
  }
}

// FCM answers `{"error":{"status":"NOT_FOUND","details":[{"@type":"…FcmError","errorCode":
// "UNREGISTERED"}]}}`: the FcmError's code, else the status.
function errorCodeOf(body: string): string {
  try {
    const error = (JSON.parse(body) as { error?: { status?: unknown; details?: unknown } }).error;
    const details = Array.isArray(error?.details)
      ? (error.details as Record<string, unknown>[])
      : [];
    const fcm = details.find((d) => typeof d.errorCode === 'string')?.errorCode;
    const code = typeof fcm === 'string' ? fcm : error?.status;
    return typeof code === 'string' && /^[A-Z_]{1,40}$/.test(code) ? code : '';
  } catch {
    return '';
  }
}
