// Delivery throughput of the outbox relay (docs/notifications.md), two halves in one run:
// - e-mails per second from the outbox through the relay to a real SMTP server, against
//   nodemailer sending the same messages in a raw loop to the same server (same transport
//   settings, as many at once as the relay claims per batch);
// - webhook deliveries per second from the outbox through the relay to an HTTP receiver on
//   127.0.0.1, against a raw `fetch` loop posting the same signed messages to the same
//   receiver, as many at once as the relay claims per batch.
// Each round runs the four back to back (relay then raw, per half), so that both sides of a
// pair see the same machine; the result is the median of the paired ratios. Not part of
// `npm test`; run with
//   npm run build && npm run bench:delivery -- [messages=2000] [rounds=3] [halves=email,webhook]
// It needs the built app, PostgreSQL and Redis (as `npm run bench`).
import { randomBytes, randomUUID } from 'node:crypto';
import { createTransport } from 'nodemailer';
import { Client } from 'pg';
import { Webhook } from 'standardwebhooks';
import { renderEmail } from '../src/modules/mail/email-templates';
import { until } from '../test/support/signaling-client';
import { SmtpSink } from '../test/support/smtp-sink';
import { WebhookReceiver } from '../test/support/webhook-receiver';
import { adminToken, createDatabase, deleteRedisPrefix, startHekim } from './lib/hekim';
import { closeAgents, expectOk, http } from './lib/http';
import { median, pairedRatios } from './lib/stats';

const MESSAGES = Number(process.argv[2] ?? 2000);
const ROUNDS = Number(process.argv[3] ?? 3);
// One half alone (`email` or `webhook`), e.g. to compare two builds of the relay.
const HALVES = new Set((process.argv[4] ?? 'email,webhook').split(','));
// The relay's defaults: a batch of NOTIFY_BATCH_SIZE messages at once, over a pool of three
// SMTP connections (src/modules/mail/email.sender.ts). BENCH_NOTIFY_BATCH_SIZE sets another
// batch size for the relay and the raw loops alike.
const BATCH = Number(process.env.BENCH_NOTIFY_BATCH_SIZE ?? 20);
const FROM = 'Hekim <no-reply@hekim.test>';
const BASE = 'http://127.0.0.1/demo/';

const payloadOf = (i: number): Record<string, string> => ({
  token: randomBytes(24).toString('base64url'),
  expiresAt: new Date(Date.now() + 3600_000).toISOString(),
  locale: i % 2 ? 'en' : 'tr',
});

// The relay's work is done once every message is recorded as sent, shortly after the last one
// reached its receiver.
async function recorded(pg: Client): Promise<void> {
  await until(async () => {
    const { rows } = await pg.query<{ n: string }>(
      `SELECT count(*) AS n FROM notification_outbox WHERE status <> 'sent'`,
    );
    return rows[0].n === '0';
  }, 60_000);
}

// Seconds for the relay to send `n` messages written to the outbox in one transaction.
async function relayRound(pg: Client, sink: SmtpSink, n: number): Promise<number> {
  const before = sink.mails.length;
  const rows = Array.from({ length: n }, (_, i) => [
    `relay-${i}@example.test`,
    JSON.stringify(payloadOf(i)),
  ]);
  const started = process.hrtime.bigint();
  await pg.query(
    `INSERT INTO notification_outbox (channel, recipient, kind, payload)
     SELECT 'email', r, 'password_reset', p::jsonb FROM unnest($1::text[], $2::text[]) AS t(r, p)`,
    [rows.map((r) => r[0]), rows.map((r) => r[1])],
  );
  await until(() => sink.mails.length - before >= n, 600_000);
  await recorded(pg);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

// Seconds for nodemailer alone to send the same messages, BATCH at a time.
async function rawRound(sink: SmtpSink, n: number): Promise<number> {
  const transport = createTransport({ url: sink.url, pool: true, maxConnections: 3 });
  const before = sink.mails.length;
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i += BATCH) {
    await Promise.all(
      Array.from({ length: Math.min(BATCH, n - i) }, (_, k) => {
        const payload = payloadOf(i + k);
        const mail = renderEmail('password_reset', payload.locale as 'tr' | 'en', payload, BASE);
        return transport.sendMail({
          from: FROM,
          to: `raw-${i + k}@example.test`,
          ...mail,
          messageId: `<${randomUUID()}@hekim>`,
          headers: { 'X-Hekim-Kind': 'password_reset' },
        });
      }),
    );
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  transport.close();
  if (sink.mails.length - before !== n) throw new Error('the raw loop lost messages');
  return seconds;
}

// A webhook body as the calls module writes it: ids and times.
const eventOf = (i: number): { webhookId: string; body: string } => ({
  webhookId: `msg_${randomUUID().replace(/-/g, '')}`,
  body: JSON.stringify({
    type: 'call.ended',
    timestamp: new Date().toISOString(),
    data: {
      callId: randomUUID(),
      roomId: randomUUID(),
      type: i % 2 ? 'audio' : 'video',
      callerId: randomUUID(),
      calleeIds: [randomUUID()],
      status: 'ended',
      reason: 'completed',
      startedAt: new Date(Date.now() - 600_000).toISOString(),
      endedAt: new Date().toISOString(),
    },
  }),
});

interface Endpoint {
  id: string;
  secret: string;
  url: string;
}

// Seconds for the relay to deliver `n` webhook deliveries written (with their outbox rows)
// in one transaction, as WebhooksService.publish writes them; and of those, the seconds the
// writing took (until its COMMIT returned), which the raw loop has no counterpart for.
async function webhookRelayRound(
  pg: Client,
  receiver: WebhookReceiver,
  endpoint: Endpoint,
  n: number,
): Promise<{ seconds: number; writing: number }> {
  const events = Array.from({ length: n }, (_, i) => eventOf(i));
  receiver.requests.length = 0;
  const started = process.hrtime.bigint();
  await pg.query(
    `WITH d AS (
       INSERT INTO webhook_deliveries (endpoint_id, webhook_id, event_type, body)
       SELECT $1, w, 'call.ended', b::jsonb FROM unnest($2::text[], $3::text[]) AS t(w, b)
       RETURNING id)
     INSERT INTO notification_outbox (channel, recipient, kind, payload)
     SELECT 'webhook', $1, 'call.ended', jsonb_build_object('deliveryId', id) FROM d`,
    [endpoint.id, events.map((e) => e.webhookId), events.map((e) => e.body)],
  );
  const writing = Number(process.hrtime.bigint() - started) / 1e9;
  await until(() => receiver.requests.length >= n, 600_000);
  await recorded(pg);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  receiver.verified('/hook', endpoint.secret);
  return { seconds, writing };
}

// Seconds for `fetch` alone to post the same kind of messages, signed the same way (a
// signature per attempt, as the relay does), BATCH at a time.
async function webhookRawRound(
  receiver: WebhookReceiver,
  endpoint: Endpoint,
  n: number,
): Promise<number> {
  const events = Array.from({ length: n }, (_, i) => eventOf(i));
  const signer = new Webhook(endpoint.secret);
  receiver.requests.length = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i += BATCH) {
    await Promise.all(
      events.slice(i, i + BATCH).map(async ({ webhookId, body }) => {
        const now = new Date();
        const res = await fetch(endpoint.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'Hekim-Webhooks/1',
            'webhook-id': webhookId,
            'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
            'webhook-signature': signer.sign(webhookId, now, body),
          },
          body,
          redirect: 'manual',
        });
        await res.arrayBuffer();
        if (res.status !== 204) throw new Error(`the receiver answered ${res.status}`);
      }),
    );
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (receiver.requests.length !== n) throw new Error('the raw loop lost messages');
  receiver.verified('/hook', endpoint.secret);
  return seconds;
}

async function registerEndpoint(base: string, receiver: WebhookReceiver): Promise<Endpoint> {
  const token = await adminToken(base);
  const url = `${receiver.url}/hook`;
  const created = await expectOk(
    'register the webhook endpoint',
    http<{ id: string; secret: string }>('POST', `${base}/api/v1/admin/webhooks`, {
      token,
      body: { url, events: ['call.*'] },
    }),
    [201],
  );
  return { id: created.id, secret: created.secret, url };
}

function summary(messages: number, a: number[], b: number[]): Record<string, unknown> {
  // Relay throughput over raw throughput, round by round: raw seconds over relay seconds.
  const ratios = pairedRatios(b, a);
  return {
    relayPerSecond: Math.round(messages / median(a)),
    rawPerSecond: Math.round(messages / median(b)),
    ratioMedian: Number(median(ratios).toFixed(2)),
    ratios: ratios.map((x) => Number(x.toFixed(2))),
  };
}

async function main(): Promise<void> {
  const sink = new SmtpSink();
  await sink.start();
  const receiver = new WebhookReceiver();
  await receiver.start();
  const db = await createDatabase();
  // BENCH_LOG_STATEMENTS=1: every statement on the bench database goes to the server's log,
  // to count the relay's round trips per message (the profile in docs/notifications.md).
  if (process.env.BENCH_LOG_STATEMENTS === '1') {
    const admin = new Client({ connectionString: db.url });
    await admin.connect();
    await admin.query(`ALTER DATABASE "${db.name}" SET log_min_duration_statement = 0`);
    await admin.end();
  }
  const prefix = `hekimbench-delivery-${randomBytes(3).toString('hex')}:`;
  const hekim = await startHekim({
    mode: 'server',
    databaseUrl: db.url,
    redisPrefix: prefix,
    env: {
      SMTP_URL: sink.url,
      MAIL_FROM: FROM,
      APP_BASE_URL: BASE,
      NOTIFY_RELAY_ENABLED: 'true',
      NOTIFY_BATCH_SIZE: String(BATCH),
      WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
    },
  });
  const endpoint = await registerEndpoint(hekim.url, receiver);
  const pg = new Client({ connectionString: db.url });
  await pg.connect();
  const relay: number[] = [];
  const raw: number[] = [];
  const hookRelay: number[] = [];
  const hookRaw: number[] = [];
  const hookWriting: number[] = [];
  const rate = (s: number): string => (MESSAGES / s).toFixed(0);
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      const line: string[] = [];
      if (HALVES.has('email')) {
        relay.push(await relayRound(pg, sink, MESSAGES));
        raw.push(await rawRound(sink, MESSAGES));
        sink.mails.length = 0;
        line.push(`e-mail relay ${rate(relay.at(-1)!)}/s, raw nodemailer ${rate(raw.at(-1)!)}/s`);
      }
      if (HALVES.has('webhook')) {
        const timed = await webhookRelayRound(pg, receiver, endpoint, MESSAGES);
        hookRelay.push(timed.seconds);
        hookWriting.push(timed.writing);
        hookRaw.push(await webhookRawRound(receiver, endpoint, MESSAGES));
        line.push(
          `webhook relay ${rate(hookRelay.at(-1)!)}/s (writing ${(hookWriting.at(-1)! * 1000).toFixed(0)} ms), raw fetch ${rate(hookRaw.at(-1)!)}/s`,
        );
      }
      console.log(`round ${round}: ${line.join('; ')}`);
    }
    console.log(
      JSON.stringify({
        messages: MESSAGES,
        rounds: ROUNDS,
        ...(HALVES.has('email') ? { email: summary(MESSAGES, relay, raw) } : {}),
        ...(HALVES.has('webhook')
          ? {
              webhook: {
                ...summary(MESSAGES, hookRelay, hookRaw),
                writingMsMedian: Math.round(median(hookWriting) * 1000),
              },
            }
          : {}),
      }),
    );
  } finally {
    await pg.end();
    await hekim.stop();
    await db.drop();
    await deleteRedisPrefix(prefix);
    await sink.stop();
    await receiver.stop();
    closeAgents();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
