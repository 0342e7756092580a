// Delivery throughput of the outbox relay (docs/notifications.md): e-mails per second from
// the outbox through the relay to a real SMTP server, against nodemailer sending the same
// messages in a raw loop to the same server (same transport settings, as many at once as the
// relay claims per batch). Rounds alternate relay and raw loop, so that both see the same
// machine. Not part of `npm test`; run with
//   npm run build && npm run bench:delivery -- [messages=2000] [rounds=3]
// It needs the built app, PostgreSQL and Redis (as `npm run bench`).
import { randomBytes, randomUUID } from 'node:crypto';
import { createTransport } from 'nodemailer';
import { Client } from 'pg';
import { renderEmail } from '../src/modules/mail/email-templates';
import { until } from '../test/support/signaling-client';
import { SmtpSink } from '../test/support/smtp-sink';
import { createDatabase, deleteRedisPrefix, startHekim } from './lib/hekim';
import { median, pairedRatios } from './lib/stats';

const MESSAGES = Number(process.argv[2] ?? 2000);
const ROUNDS = Number(process.argv[3] ?? 3);
// The relay's defaults: a batch of NOTIFY_BATCH_SIZE messages at once, over a pool of three
// SMTP connections (src/modules/mail/email.sender.ts).
const BATCH = 20;
const FROM = 'Hekim <no-reply@hekim.test>';
const BASE = 'http://127.0.0.1/demo/';

const payloadOf = (i: number): Record<string, string> => ({
  token: randomBytes(24).toString('base64url'),
  expiresAt: new Date(Date.now() + 3600_000).toISOString(),
  locale: i % 2 ? 'en' : 'tr',
});

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
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const { rows: left } = await pg.query<{ n: string }>(
    `SELECT count(*) AS n FROM notification_outbox WHERE status <> 'sent'`,
  );
  if (left[0].n !== '0') throw new Error(`${left[0].n} messages not sent`);
  return seconds;
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

async function main(): Promise<void> {
  const sink = new SmtpSink();
  await sink.start();
  const db = await createDatabase();
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
    },
  });
  const pg = new Client({ connectionString: db.url });
  await pg.connect();
  const relay: number[] = [];
  const raw: number[] = [];
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      relay.push(await relayRound(pg, sink, MESSAGES));
      raw.push(await rawRound(sink, MESSAGES));
      sink.mails.length = 0;
      console.log(
        `round ${round}: relay ${(MESSAGES / relay[round - 1]).toFixed(0)}/s, ` +
          `raw nodemailer ${(MESSAGES / raw[round - 1]).toFixed(0)}/s`,
      );
    }
    // Relay throughput over raw throughput, round by round: raw seconds over relay seconds.
    const ratios = pairedRatios(raw, relay);
    console.log(
      JSON.stringify({
        messages: MESSAGES,
        rounds: ROUNDS,
        relayPerSecond: Math.round(MESSAGES / median(relay)),
        rawPerSecond: Math.round(MESSAGES / median(raw)),
        ratioMedian: Number(median(ratios).toFixed(2)),
        ratios: ratios.map((x) => Number(x.toFixed(2))),
      }),
    );
  } finally {
    await pg.end();
    await hekim.stop();
    await db.drop();
    await deleteRedisPrefix(prefix);
    await sink.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
