import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { Role } from '../../src/common/auth/role';
import { login, signIn, strongPassword, uniqueEmail } from '../support/auth';
import { emailMessage, enqueue, outboxRows } from '../support/outbox';
import { until } from '../support/signaling-client';
import { SmtpSink, type ReceivedMail } from '../support/smtp-sink';
import { createTestApp, type TestApp } from '../support/test-app';

const RELAY = {
  NOTIFY_RELAY_ENABLED: 'true',
  NOTIFY_POLL_INTERVAL_MS: '50',
  NOTIFY_RETRY_BASE_MS: '50',
  NOTIFY_RETRY_MAX_MS: '200',
  NOTIFY_MAX_ATTEMPTS: '3',
  AUTH_RATE_LIMIT_PER_MINUTE: '1000',
};
const BASE = 'https://app.hekim.test/start';

// The link of a mail's call to action, and its token.
function linkIn(mail: ReceivedMail, param: string): { link: string; token: string } {
  const match = new RegExp(`${BASE.replace(/[/.]/g, '\\$&')}\\?${param}=([A-Za-z0-9_-]+)`).exec(
    mail.text,
  );
  if (!match) throw new Error(`no ?${param}= link in: ${mail.text}`);
  return { link: match[0], token: match[1] };
}

describe('e-mail over SMTP', () => {
  const smtp = new SmtpSink();
  let t: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    await smtp.start();
    t = await createTestApp({
      env: {
        ...RELAY,
        SMTP_URL: smtp.url,
        MAIL_FROM: 'Hekim Klinik <no-reply@hekim.test>',
        APP_BASE_URL: BASE,
        AUTH_EMAIL_VERIFICATION: 'required',
      },
    });
    db = t.app.get(DataSource);
  });
  afterAll(async () => {
    await t?.close();
    await smtp.stop();
  });

  const mailTo = async (email: string, n = 1): Promise<ReceivedMail[]> => {
    await until(() => smtp.to(email).length >= n);
    return smtp.to(email);
  };

  it('mails a password reset link in Turkish (the default) that resets the password', async () => {
    const s = await signIn(t, Role.Patient);
    await t.http().post('/api/v1/auth/password/forgot').send({ email: s.user.email }).expect(202);
    const [mail] = await mailTo(s.user.email);

    expect(mail.from).toBe('"Hekim Klinik" <no-reply@hekim.test>');
    expect(mail.subject).toBe('Hekim: parola sıfırlama');
    const { link, token } = linkIn(mail, 'reset');
    expect(mail.html).toContain(`href="${link}"`);
    const [row] = await db.query<{ id: string }[]>(
      `SELECT id FROM notification_outbox WHERE recipient = $1 AND kind = 'password_reset'`,
      [s.user.email],
    );
    // The outbox id is the Message-ID: a repeated delivery is recognisably the same mail.
    expect(mail.messageId).toBe(`<${row.id}@hekim>`);
    await until(async () => (await outboxRows(db, [row.id]))[0].status === 'sent');
    const [sent] = await outboxRows(db, [row.id]);
    expect(sent.payload.token).toBeUndefined();

    const newPassword = strongPassword();
    await t.http().post('/api/v1/auth/password/reset').send({ token, newPassword }).expect(204);
    await login(t, s.user.email, newPassword);
  });

  it('registers without revealing an existing account; a new account verifies its address first', async () => {
    const email = uniqueEmail('newcomer');
    const password = strongPassword();
    const fresh = await t
      .http()
      .post('/api/v1/auth/register')
      .send({ email, password, displayName: 'New Comer', locale: 'en' })
      .expect(201);

    const owner = await signIn(t, Role.Patient);
    const taken = await t
      .http()
      .post('/api/v1/auth/register')
      .send({ email: owner.user.email, password: strongPassword(), displayName: 'Someone' })
      .expect(201);
    // The same answer: status, shape and the fields that do not echo the request.
    expect(Object.keys(taken.body.user).sort()).toEqual(Object.keys(fresh.body.user).sort());
    expect(taken.body.user).toMatchObject({ role: 'patient', status: 'active', mfaEnabled: false });
    expect(fresh.body.user).toMatchObject({ role: 'patient', status: 'active', mfaEnabled: false });

    // The owner is told, in their language (Turkish by default).
    const [exists] = await mailTo(owner.user.email);
    expect(exists.subject).toBe('Hekim: bu adresle zaten bir hesabınız var');
    await login(t, owner.user.email, owner.password);

    // The newcomer cannot sign in before verifying, even with the right password.
    const refused = await t.http().post('/api/v1/auth/login').send({ email, password }).expect(403);
    expect(refused.body.code).toBe('EMAIL_NOT_VERIFIED');
    const wrong = await t
      .http()
      .post('/api/v1/auth/login')
      .send({ email, password: strongPassword() })
      .expect(401);
    expect(wrong.body.code).toBe('UNAUTHORIZED');

    const [verify] = await mailTo(email);
    expect(verify.subject).toBe('Hekim: verify your e-mail address');
    const { token } = linkIn(verify, 'verify');
    const bogus = await t
      .http()
      .post('/api/v1/auth/email/verify')
      .send({ token: 'A'.repeat(43) })
      .expect(400);
    expect(bogus.body.code).toBe('VALIDATION_FAILED');
    await t.http().post('/api/v1/auth/email/verify').send({ token }).expect(204);
    await login(t, email, password);
    // Single use.
    await t.http().post('/api/v1/auth/email/verify').send({ token }).expect(400);

    const audit = await db.query<{ outcome: string }[]>(
      `SELECT outcome FROM audit_events WHERE action = 'auth.email_verify' ORDER BY seq`,
    );
    expect(audit.map((a) => a.outcome)).toEqual(['failure', 'success', 'failure']);
  });

  it('sends every kind of message in both languages, plain text and HTML', async () => {
    const kinds = [
      ['appointment_booked', { start: '2027-03-01T09:30:00Z', timezone: 'Europe/Istanbul' }],
      ['appointment_changed', { start: '2027-03-02T10:00:00Z' }],
      ['appointment_reminder', { start: '2027-03-02T10:00:00Z' }],
      ['invitation', { token: 'invitation-token-0123456789', start: '2027-03-02T10:00:00Z' }],
    ] as const;
    const messages = kinds.flatMap(([kind, payload], n) =>
      (['tr', 'en'] as const).map((locale) => ({
        ...emailMessage(100 + n),
        recipient: `${kind}.${locale}@example.test`,
        kind,
        payload: { ...payload, locale },
      })),
    );
    await enqueue(t, messages);
    for (const m of messages) {
      const [mail] = await mailTo(m.recipient);
      expect(mail.text.length).toBeGreaterThan(40);
      expect(mail.html).toContain(`<html lang="${m.payload.locale}">`);
    }
    expect(smtp.to('appointment_booked.tr@example.test')[0].text).toContain('12:30');
    expect(smtp.to('appointment_booked.en@example.test')[0].subject).toBe(
      'Hekim: your appointment is booked',
    );
    expect(smtp.to('invitation.en@example.test')[0].text).toContain(
      `${BASE}?invitation=invitation-token-0123456789`,
    );
  });

  it('dead-letters a mail the server refuses for good (550)', async () => {
    smtp.refuse.add('nobody@example.test');
    const [refused] = await enqueue(t, [
      { ...emailMessage(1), recipient: 'nobody@example.test', kind: 'account_exists' },
    ]);
    await until(async () => (await outboxRows(db, [refused]))[0].status === 'dead');
    expect((await outboxRows(db, [refused]))[0]).toMatchObject({
      attempts: 1,
      last_error: 'SMTP_550',
    });
  });
});

describe('e-mail without SMTP_URL outside production: the local mailbox', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hekim-mailbox-'));
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { ...RELAY, DATA_DIR: dataDir, APP_BASE_URL: BASE } });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('writes each mail to DATA_DIR/mailbox and lists it for the demo page', async () => {
    const s = await signIn(t, Role.Patient);
    await t.http().post('/api/v1/auth/password/forgot').send({ email: s.user.email }).expect(202);
    const dir = join(dataDir, 'mailbox');
    // The sender writes the .eml, then the .json the listing reads: wait for both.
    await until(() => {
      try {
        const names = readdirSync(dir);
        return names.some((f) => f.endsWith('.eml')) && names.some((f) => f.endsWith('.json'));
      } catch {
        return false;
      }
    });
    const eml = readdirSync(dir).find((f) => f.endsWith('.eml'))!;
    const raw = readFileSync(join(dir, eml), 'utf8');
    expect(raw).toContain(`To: ${s.user.email}`);
    expect(raw).toMatch(/Message-ID: <[0-9a-f-]{36}@hekim>/);

    const listed = await t.http().get(`/api/v1/dev/mailbox?to=${s.user.email}`).expect(200);
    expect(listed.body.items).toHaveLength(1);
    expect(listed.body.items[0]).toMatchObject({ kind: 'password_reset', to: s.user.email });
    expect(listed.body.items[0].text).toContain(`${BASE}?reset=`);
  });
});

describe('the local mailbox with SMTP_URL set', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { SMTP_URL: 'smtp://127.0.0.1:9' } });
  });
  afterAll(() => t?.close());

  it('does not exist', async () => {
    const res = await t.http().get('/api/v1/dev/mailbox').expect(404);
    expect(res.body.code).toBe('NOT_FOUND');
  });
});
