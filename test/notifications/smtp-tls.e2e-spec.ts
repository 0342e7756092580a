import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { emailMessage, enqueue, outboxRows } from '../support/outbox';
import { selfSignedCertificate, type SelfSignedCertificate } from '../support/self-signed';
import { until } from '../support/signaling-client';
import { SmtpSink } from '../support/smtp-sink';
import { createTestApp, type TestApp } from '../support/test-app';

const RELAY = {
  NOTIFY_RELAY_ENABLED: 'true',
  NOTIFY_POLL_INTERVAL_MS: '50',
  NOTIFY_RETRY_BASE_MS: '50',
  NOTIFY_RETRY_MAX_MS: '200',
  NOTIFY_MAX_ATTEMPTS: '50',
};

const MODES = [
  ['implicit TLS (smtps://)', true],
  ['STARTTLS (smtp://)', false],
] as const;

// E-mail reaches a real SMTP server over TLS, the server's certificate verified against the
// CA given in SMTP_CA_FILE (docs/notifications.md, "TLS to the SMTP server").
describe('e-mail over TLS', () => {
  let trusted: SelfSignedCertificate;
  let untrusted: SelfSignedCertificate;
  let dir: string;
  let caFile: string;

  beforeAll(async () => {
    [trusted, untrusted] = await Promise.all([selfSignedCertificate(), selfSignedCertificate()]);
    dir = mkdtempSync(join(tmpdir(), 'hekim-smtp-ca-'));
    caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, trusted.cert);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function mailTo(t: TestApp, recipient: string): Promise<string> {
    const [id] = await enqueue(t, [{ ...emailMessage(1), recipient, kind: 'account_exists' }]);
    return id;
  }
  const row = async (t: TestApp, id: string) => (await outboxRows(t.app.get(DataSource), [id]))[0];

  it.each(MODES)('delivers over %s, the session encrypted', async (_mode, implicitTls) => {
    const smtp = new SmtpSink({ tls: trusted, implicitTls });
    await smtp.start();
    const t = await createTestApp({ env: { ...RELAY, SMTP_URL: smtp.url, SMTP_CA_FILE: caFile } });
    try {
      const id = await mailTo(t, 'tls@example.test');
      await until(async () => (await row(t, id)).status === 'sent');
      const [mail] = smtp.to('tls@example.test');
      expect(mail.messageId).toBe(`<${id}@hekim>`);
      expect(mail.secure).toBe(true);
      expect((await row(t, id)).attempts).toBe(1);
    } finally {
      await t.close();
      await smtp.stop();
    }
  });

  it.each(MODES)(
    'refuses a server over %s whose certificate it does not trust, retries, and delivers once it is trusted',
    async (_mode, implicitTls) => {
      const impostor = new SmtpSink({ tls: untrusted, implicitTls });
      await impostor.start();
      const port = impostor.port;
      const t = await createTestApp({
        env: { ...RELAY, SMTP_URL: impostor.url, SMTP_CA_FILE: caFile },
      });
      let real: SmtpSink | undefined;
      try {
        const id = await mailTo(t, 'kept@example.test');
        await until(async () => (await row(t, id)).attempts >= 2);
        const failed = await row(t, id);
        expect(failed.status).toBe('pending');
        expect(failed.last_error).toMatch(/^(ESOCKET|ETLS)/);
        // Never sent in clear instead: the server received nothing.
        expect(impostor.dataStarted).toBe(0);
        expect(impostor.mails).toEqual([]);

        // The same address now presents the trusted certificate: the kept message goes out.
        await impostor.stop();
        real = new SmtpSink({ tls: trusted, implicitTls, port });
        await real.start();
        await until(async () => (await row(t, id)).status === 'sent');
        const mails = real.to('kept@example.test');
        expect(mails).toHaveLength(1);
        expect(mails[0].secure).toBe(true);
        expect(mails[0].messageId).toBe(`<${id}@hekim>`);
      } finally {
        await t.close();
        await impostor.stop();
        await real?.stop();
      }
    },
  );
});
