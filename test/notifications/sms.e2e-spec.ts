import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { OutboxChannel } from '../../src/modules/outbox/outbox-message.entity';
import { enqueue, outboxRows } from '../support/outbox';
import { until } from '../support/signaling-client';
import { createTestApp, type TestApp } from '../support/test-app';

interface GatewayRequest {
  headers: IncomingHttpHeaders;
  body: { to: string; text: string; messageId: string };
}

const TOKEN = 'gateway-token-0123456789abcdef';

// An HTTP SMS gateway on 127.0.0.1 that records what it is asked to send.
describe('SMS through an HTTP gateway', () => {
  const received: GatewayRequest[] = [];
  let answer: (r: GatewayRequest) => number = () => 202;
  let server: Server;
  let t: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        const r = { headers: req.headers, body: JSON.parse(raw) as GatewayRequest['body'] };
        received.push(r);
        res.writeHead(answer(r)).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    t = await createTestApp({
      env: {
        NOTIFY_RELAY_ENABLED: 'true',
        NOTIFY_POLL_INTERVAL_MS: '50',
        NOTIFY_RETRY_BASE_MS: '50',
        NOTIFY_RETRY_MAX_MS: '200',
        NOTIFY_MAX_ATTEMPTS: '3',
        SMS_GATEWAY_URL: `http://127.0.0.1:${port}/send`,
        SMS_GATEWAY_TOKEN: TOKEN,
        APP_BASE_URL: 'https://app.hekim.test/',
      },
    });
    db = t.app.get(DataSource);
  });
  afterAll(async () => {
    await t?.close();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const sms = (recipient: string, kind: string, payload: Record<string, unknown>) => ({
    channel: OutboxChannel.Sms,
    recipient,
    kind,
    payload,
  });

  it('sends a normalized number, a short text with the link, a bearer token and the idempotency key', async () => {
    answer = () => 202;
    const [id] = await enqueue(t, [
      sms('0532 123 45 67', 'invitation', {
        token: 'invite-token-0123456789',
        start: '2027-03-01T09:30:00Z',
        timezone: 'Europe/Istanbul',
        locale: 'tr',
      }),
    ]);
    await until(async () => (await outboxRows(db, [id]))[0].status === 'sent');
    const r = received.find((x) => x.body.messageId === id)!;
    expect(r.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(r.headers['idempotency-key']).toBe(id);
    expect(r.body.to).toBe('+905321234567');
    expect(r.body.text).toContain('https://app.hekim.test/?invitation=invite-token-0123456789');
    expect(r.body.text).toContain('12:30');
    expect((await outboxRows(db, [id]))[0].payload.token).toBeUndefined();
  });

  it('retries a gateway outage, gives up on a refusal and on a number that is not one', async () => {
    let outage = 1;
    answer = (r) =>
      r.body.to === '+905551112233' && outage-- > 0
        ? 503
        : r.body.to === '+905559998877'
          ? 400
          : 202;
    const [retried, refused, invalid] = await enqueue(t, [
      sms('+90 555 111 22 33', 'appointment_reminder', {
        start: '2027-03-01T09:30:00Z',
        locale: 'en',
      }),
      sms('0555 999 88 77', 'appointment_reminder', { start: '2027-03-01T09:30:00Z' }),
      sms('not a number', 'appointment_reminder', { start: '2027-03-01T09:30:00Z' }),
    ]);
    await until(async () =>
      (await outboxRows(db, [retried, refused, invalid])).every((r) => r.status !== 'pending'),
    );
    const rows = new Map((await outboxRows(db, [retried, refused, invalid])).map((r) => [r.id, r]));
    expect(rows.get(retried)).toMatchObject({ status: 'sent', attempts: 2 });
    expect(rows.get(refused)).toMatchObject({
      status: 'dead',
      attempts: 1,
      last_error: 'HTTP_400',
    });
    expect(rows.get(invalid)).toMatchObject({
      status: 'dead',
      attempts: 1,
      last_error: 'INVALID_NUMBER',
    });
    expect(received.filter((r) => r.body.to === '+905551112233')[1].body.text).toContain(
      'Hekim: your appointment is at',
    );
  });
});
