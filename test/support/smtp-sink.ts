import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';

export interface ReceivedMail {
  to: string[];
  messageId: string | undefined;
  subject: string | undefined;
  text: string;
  html: string;
  from: string | undefined;
  // The session was encrypted (smtps:// or after STARTTLS).
  secure: boolean;
  parsed: ParsedMail;
}

export interface SmtpSinkOptions {
  // A certificate and its key (PEM): with them the server offers STARTTLS, or, with
  // `implicitTls`, speaks TLS from the first byte (smtps://).
  tls?: { key: string; cert: string };
  implicitTls?: boolean;
  // Listen on this port (0: any free one).
  port?: number;
}

// A real SMTP server on 127.0.0.1 that keeps what it receives, for tests. No auth; no TLS
// unless given a certificate. The test's SMTP_URL is `url`.
export class SmtpSink {
  readonly mails: ReceivedMail[] = [];
  // Recipients answered `550 no such mailbox`.
  readonly refuse = new Set<string>();
  // While set, DATA is answered only once the promise settles (a server that stalls).
  stall: Promise<void> | undefined;
  // DATA commands received (including stalled ones).
  dataStarted = 0;
  // Errors of client connections (a TLS handshake the client broke off, …).
  readonly connectionErrors: Error[] = [];
  private server: SMTPServer | undefined;
  port = 0;

  constructor(private readonly options: SmtpSinkOptions = {}) {}

  async start(): Promise<void> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: this.options.tls ? ['AUTH'] : ['STARTTLS', 'AUTH'],
      secure: this.options.implicitTls === true,
      ...(this.options.tls ?? {}),
      logger: false,
      onRcptTo: (address: SMTPServerAddress, _session, callback) => {
        if (this.refuse.has(address.address.toLowerCase())) {
          const err = new Error('No such mailbox') as Error & { responseCode: number };
          err.responseCode = 550;
          callback(err);
          return;
        }
        callback();
      },
      onData: (stream, session, callback) => {
        this.dataStarted += 1;
        const stall = this.stall;
        simpleParser(stream)
          .then(async (parsed) => {
            if (stall) await stall;
            this.mails.push({
              to: session.envelope.rcptTo.map((r) => r.address),
              messageId: parsed.messageId,
              subject: parsed.subject,
              text: parsed.text ?? '',
              html: typeof parsed.html === 'string' ? parsed.html : '',
              from: parsed.from?.text,
              secure: session.secure,
              parsed,
            });
            callback();
          })
          .catch((err: Error) => callback(err));
      },
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.options.port ?? 0, '127.0.0.1', () => {
        this.server!.off('error', reject);
        resolve();
      });
    });
    this.server.on('error', (err: Error) => this.connectionErrors.push(err));
    this.port = (this.server.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `${this.options.implicitTls ? 'smtps' : 'smtp'}://127.0.0.1:${this.port}`;
  }

  to(address: string): ReceivedMail[] {
    return this.mails.filter((m) => m.to.includes(address.toLowerCase()));
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }
}
