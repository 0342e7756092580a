import { readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { createTransport, type Transporter } from 'nodemailer';
import { AppConfig } from '../../config/app-config';
import { ChannelSender, DeliveryError, type OutboundMessage } from '../outbox/channel-sender';
import { OutboxChannel } from '../outbox/outbox-message.entity';
import { LOCALES, type Locale } from '../users/user.entity';
import { isEmailKind, renderEmail } from './email-templates';

// Short, so that a stuck server never outlives the relay's lease (NOTIFY_LEASE_SECONDS).
const SMTP_TIMEOUT_MS = 15_000;

// The local mailbox of development (docs/notifications.md): one .eml file per message and a
// small JSON summary beside it for the demo page.
export const mailboxDir = (dataDir: string): string => join(dataDir, 'mailbox');

export interface MailboxEntry {
  id: string;
  kind: string;
  to: string;
  subject: string;
  date: string;
  text: string;
}

// The e-mail channel: SMTP through nodemailer when SMTP_URL is set (TLS as the URL says:
// smtps:// is TLS from the start, smtp:// upgrades with STARTTLS when the server offers it),
// else, outside production, the local mailbox. In production without SMTP_URL no e-mail
// sender is registered and mails wait in the outbox (the backlog alert says so).
//
// The message id is the outbox id (`Message-ID: <id@hekim>`): a mail delivered twice is
// recognisably the same one.
@Injectable()
export class EmailSender extends ChannelSender implements OnModuleInit, OnModuleDestroy {
  readonly channel = OutboxChannel.Email;
  private readonly logger = new Logger('EmailSender');
  private transport: Transporter | undefined;

  constructor(private readonly config: AppConfig) {
    super();
  }

  // Ready with SMTP_URL, or with the local mailbox outside production.
  override isReady(): boolean {
    return this.transport !== undefined || this.config.mail.localMailbox;
  }

  onModuleInit(): void {
    const { smtpUrl, smtpCaFile, localMailbox } = this.config.mail;
    if (smtpUrl) {
      this.transport = createTransport({
        url: smtpUrl,
        // SMTP_CA_FILE replaces the public authorities the server's certificate is verified
        // against with the operator's own (docs/notifications.md, "TLS to the SMTP server").
        ...(smtpCaFile ? { tls: { ca: readFileSync(smtpCaFile, 'utf8') } } : {}),
        pool: true,
        maxConnections: 3,
        connectionTimeout: SMTP_TIMEOUT_MS,
        greetingTimeout: SMTP_TIMEOUT_MS,
        socketTimeout: SMTP_TIMEOUT_MS,
      });
    } else if (!localMailbox) {
      this.logger.warn('SMTP_URL is not set: e-mail waits in the outbox until it is');
      return;
    }
  }

  onModuleDestroy(): void {
    this.transport?.close();
  }

  async send(message: OutboundMessage): Promise<void> {
    if (!isEmailKind(message.kind)) throw new DeliveryError('UNKNOWN_KIND', true);
    const requested = message.payload.locale;
    const locale: Locale = LOCALES.includes(requested as Locale)
      ? (requested as Locale)
      : this.config.mail.defaultLocale;
    const mail = renderEmail(message.kind, locale, message.payload, this.config.mail.appBaseUrl);
    const envelope = {
      from: this.config.mail.from,
      to: message.recipient,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      messageId: `<${message.id}@hekim>`,
      headers: { 'X-Hekim-Kind': message.kind },
      ...(mail.calendar ? { icalEvent: { ...mail.calendar, filename: 'appointment.ics' } } : {}),
    };
    if (!this.transport) return this.toMailbox(message, envelope);
    try {
      await this.transport.sendMail(envelope);
    } catch (err) {
      throw smtpFailure(err);
    }
  }

  // Written under the message id, so a repeat overwrites rather than duplicates; the rename
  // makes each file appear whole.
  private async toMailbox(
    message: OutboundMessage,
    envelope: { to: string; subject: string; text: string; html: string; icalEvent?: object },
  ): Promise<void> {
    const dir = mailboxDir(this.config.dataDir);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const raw = await createTransport({ streamTransport: true, buffer: true, newline: 'unix' })
      .sendMail({ ...envelope, from: this.config.mail.from, messageId: `<${message.id}@hekim>` })
      // `buffer: true` makes it a Buffer.
      .then((info) => info.message as Buffer);
    const entry: MailboxEntry = {
      id: message.id,
      kind: message.kind,
      to: envelope.to,
      subject: envelope.subject,
      date: new Date().toISOString(),
      text: envelope.text,
    };
    for (const [ext, body] of [
      ['eml', raw],
      ['json', JSON.stringify(entry)],
    ] as const) {
      const file = join(dir, `${message.id}.${ext}`);
      await writeFile(`${file}.tmp`, body, { mode: 0o600 });
      await rename(`${file}.tmp`, file);
    }
  }
}

// A failure code from nodemailer's error: the SMTP reply code when the server answered, else
// its error code. A 5xx refusal of the recipient or the message is final; everything else
// (connection, timeout, 4xx, authentication) is worth retrying.
export function smtpFailure(err: unknown): DeliveryError {
  const e = (err ?? {}) as { responseCode?: unknown; code?: unknown };
  const reply = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const code = typeof e.code === 'string' ? e.code : 'SMTP_ERROR';
  if (reply !== undefined) {
    const permanent = reply >= 500 && (code === 'EENVELOPE' || code === 'EMESSAGE');
    return new DeliveryError(`SMTP_${reply}`, permanent, { cause: err });
  }
  return new DeliveryError(code.slice(0, 40), false, { cause: err });
}
