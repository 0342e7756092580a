import {
  createDecipheriv,
  createECDH,
  createHmac,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  verify,
  type ECDH,
  type KeyObject,
} from 'node:crypto';
import { createSecureServer, type Http2SecureServer, type IncomingHttpHeaders } from 'node:http2';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateVAPIDKeys } from 'web-push';

// Test doubles of the push providers, written from their specifications: a Web Push service
// that decrypts what it receives as the browser would (RFC 8291), and HTTP/2 servers standing
// in for APNs and FCM. Each records the requests it gets and answers what the test says.

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export type Answer = (r: RecordedRequest) => { status: number; body?: unknown };

// ---- The browser's side of Web Push ----

// A browser's push subscription: its P-256 key pair and auth secret, and a way to read what
// the push service relays to it.
export class BrowserSubscription {
  private readonly ecdh: ECDH = createECDH('prime256v1');
  readonly authSecret = randomBytes(16);

  constructor(readonly endpoint: string) {
    this.ecdh.generateKeys();
  }

  toJSON(): { endpoint: string; expirationTime: null; keys: { p256dh: string; auth: string } } {
    return {
      endpoint: this.endpoint,
      expirationTime: null,
      keys: {
        p256dh: this.ecdh.getPublicKey().toString('base64url'),
        auth: this.authSecret.toString('base64url'),
      },
    };
  }

  // RFC 8188 / RFC 8291 `aes128gcm`: header (salt, record size, the sender's public key),
  // then one record, decrypted with keys derived from ECDH and the auth secret.
  decrypt(body: Buffer): string {
    const salt = body.subarray(0, 16);
    const idLength = body.readUInt8(20);
    const senderPublic = body.subarray(21, 21 + idLength);
    const record = body.subarray(21 + idLength);
    const hmac = (key: Buffer, data: Buffer): Buffer =>
      createHmac('sha256', key).update(data).digest();
    const ecdhSecret = this.ecdh.computeSecret(senderPublic);
    const prkKey = hmac(this.authSecret, ecdhSecret);
    const keyInfo = Buffer.concat([
      Buffer.from('WebPush: info\0'),
      this.ecdh.getPublicKey(),
      senderPublic,
      Buffer.from([1]),
    ]);
    const ikm = hmac(prkKey, keyInfo);
    const prk = hmac(salt, ikm);
    const cek = hmac(prk, Buffer.from('Content-Encoding: aes128gcm\0\x01')).subarray(0, 16);
    const nonce = hmac(prk, Buffer.from('Content-Encoding: nonce\0\x01')).subarray(0, 12);
    const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
    decipher.setAuthTag(record.subarray(record.length - 16));
    const padded = Buffer.concat([
      decipher.update(record.subarray(0, record.length - 16)),
      decipher.final(),
    ]);
    // The last record ends with the delimiter 0x02 and zero padding.
    let end = padded.length - 1;
    while (end >= 0 && padded[end] === 0) end--;
    if (padded[end] !== 2) throw new Error('no last-record delimiter');
    return padded.subarray(0, end).toString('utf8');
  }
}

// ---- JWS (the VAPID token, the APNs provider token, the FCM assertion) ----

export interface VerifiedJwt {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
}

// Verifies a compact JWS with node's crypto (ES256: raw r||s; RS256: PKCS#1 v1.5) and
// returns its parts; throws when the signature does not verify.
export function verifyJwt(token: string, key: KeyObject, alg: 'ES256' | 'RS256'): VerifiedJwt {
  const [h, p, s] = token.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>;
  if (header.alg !== alg) throw new Error(`alg ${String(header.alg)} is not ${alg}`);
  const ok = verify(
    'sha256',
    Buffer.from(`${h}.${p}`),
    alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key,
    Buffer.from(s, 'base64url'),
  );
  if (!ok) throw new Error('signature does not verify');
  return {
    header,
    payload: JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>,
  };
}

// A VAPID public key as sent in `Authorization: vapid t=…, k=…` (uncompressed point).
export function vapidKey(k: string): KeyObject {
  const point = Buffer.from(k, 'base64url');
  return createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: point.subarray(1, 33).toString('base64url'),
      y: point.subarray(33, 65).toString('base64url'),
    },
    format: 'jwk',
  });
}

// ---- Servers ----

abstract class Recorder {
  readonly requests: RecordedRequest[] = [];
  answer: Answer = () => ({ status: 201 });

  protected handle(
    method: string,
    path: string,
    headers: IncomingHttpHeaders,
    body: Buffer,
  ): { status: number; text: string } {
    const r = { method, path, headers, body };
    this.requests.push(r);
    const a = this.answer(r);
    return {
      status: a.status,
      text:
        a.body === undefined ? '' : typeof a.body === 'string' ? a.body : JSON.stringify(a.body),
    };
  }
}

// A Web Push service over HTTPS (HTTP/1.1, as the `web-push` package speaks it).
export class WebPushService extends Recorder {
  private server: Server | undefined;
  port = 0;

  async start(tls: { key: string; cert: string }): Promise<void> {
    this.server = createServer(tls, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const a = this.handle(req.method ?? '', req.url ?? '', req.headers, Buffer.concat(chunks));
        res.writeHead(a.status).end(a.text);
      });
    });
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server?.close(() => r()));
  }
}

// An HTTP/2-only server (APNs and FCM stand-ins); it refuses HTTP/1.1.
export class Http2Provider extends Recorder {
  private server: Http2SecureServer | undefined;
  port = 0;

  async start(tls: { key: string; cert: string }): Promise<void> {
    this.server = createSecureServer({ ...tls, allowHTTP1: false });
    this.server.on('stream', (stream, headers) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const a = this.handle(
          String(headers[':method']),
          String(headers[':path']),
          headers,
          Buffer.concat(chunks),
        );
        stream.respond({ ':status': a.status, 'content-type': 'application/json' });
        stream.end(a.text);
      });
    });
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server?.close(() => r()));
  }
}

// ---- Credentials and configuration ----

export interface PushCredentials {
  env: NodeJS.ProcessEnv;
  vapidPublicKey: string;
  apnsPublicKey: KeyObject;
  fcmPublicKey: KeyObject;
  fcmClientEmail: string;
  dir: string;
}

// Fresh credentials for every platform, as an operator would provide them (a VAPID pair, an
// APNs .p8 key, an FCM service account key file), written under a temporary directory, and
// the environment that points Hekim at the test servers.
export function pushCredentials(options: {
  tls: { cert: string };
  webPushHosts?: string;
  apnsPort?: number;
  fcmPort?: number;
}): PushCredentials {
  const dir = mkdtempSync(join(tmpdir(), 'hekim-push-'));
  const vapid = generateVAPIDKeys();
  const apns = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const fcm = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, options.tls.cert);
  const apnsKeyFile = join(dir, 'AuthKey.p8');
  writeFileSync(apnsKeyFile, apns.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const fcmClientEmail = 'hekim-push@hekim-test.iam.gserviceaccount.com';
  const fcmFile = join(dir, 'service-account.json');
  writeFileSync(
    fcmFile,
    JSON.stringify({
      type: 'service_account',
      project_id: 'hekim-test',
      private_key_id: 'key-1',
      private_key: fcm.privateKey.export({ type: 'pkcs8', format: 'pem' }),
      client_email: fcmClientEmail,
      token_uri: `https://localhost:${options.fcmPort ?? 1}/token`,
    }),
  );
  return {
    dir,
    vapidPublicKey: vapid.publicKey,
    apnsPublicKey: apns.publicKey,
    fcmPublicKey: fcm.publicKey,
    fcmClientEmail,
    env: {
      PUSH_CA_FILE: caFile,
      PUSH_TIMEOUT_MS: '2000',
      WEB_PUSH_VAPID_PUBLIC_KEY: vapid.publicKey,
      WEB_PUSH_VAPID_PRIVATE_KEY: vapid.privateKey,
      WEB_PUSH_VAPID_SUBJECT: 'mailto:ops@hekim.test',
      WEB_PUSH_ALLOWED_HOSTS: options.webPushHosts ?? 'localhost,push.example.test',
      APNS_KEY_FILE: apnsKeyFile,
      APNS_KEY_ID: 'ABC123DEFG',
      APNS_TEAM_ID: 'TEAM123456',
      APNS_BUNDLE_ID: 'org.hekim.test',
      APNS_URL: `https://localhost:${options.apnsPort ?? 1}`,
      FCM_SERVICE_ACCOUNT_FILE: fcmFile,
      FCM_URL: `https://localhost:${options.fcmPort ?? 1}`,
    },
  };
}
