import { isIP } from 'node:net';
import { connect, createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';

export interface SyslogTlsMaterial {
  // PEM certificates the collector's certificate must chain to (and only those).
  ca: string;
  // A client certificate and its key, for mutual TLS.
  cert?: string;
  key?: string;
}

export interface SyslogTlsTarget {
  host: string;
  port: number;
  // The TLS settings, made once by syslogSecureContext and shared by every session.
  secureContext: SecureContext;
  // Each step: connect and handshake; then write and the collector's close.
  timeoutMs: number;
  // Aborting ends the session at once, unconfirmed (shutdown).
  signal?: AbortSignal;
}

// The collector did not confirm the batch; it is sent again.
export class SyslogDeliveryError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SyslogDeliveryError';
  }
}

// TLS 1.2 or later; the collector's certificate must chain to `ca` (the public authorities
// are not trusted); a client certificate is presented when given (mutual TLS). Made once and
// reused: parsing the PEM files for every session would cost more than the session.
export function syslogSecureContext(material: SyslogTlsMaterial): SecureContext {
  return createSecureContext({
    ca: material.ca,
    cert: material.cert,
    key: material.key,
    minVersion: 'TLSv1.2',
  });
}

// One TLS session to the collector, carrying one batch of framed messages. It connects and
// makes its handshake as soon as it is opened, so that the next batch's session is ready by
// the time the current one is confirmed; it writes nothing until the batch starts. The batch
// is written in parts as they are read (write), then closed and confirmed (finish).
//
// RFC 5425 has no acknowledgement, so the confirmation is the close: Hekim writes the batch,
// sends close_notify and its FIN, and waits for the collector to close its side. A collector
// closes on reaching the end of the stream, that is after it has read every frame before it;
// a collector that went away, crashed or was cut off resets the connection or never answers,
// and the batch is not confirmed (the caller sends it again). The collector's certificate must
// be valid for the secure context's CA and name `host`.
export class SyslogTlsSession {
  private readonly socket: TLSSocket;
  private failure: SyslogDeliveryError | null = null;
  private connected = false;
  private peerClosed = false;
  // The batch has started: its first part was written or it was finished.
  private started = false;
  // finish() was called: the session ends once what is queued is written.
  private ending = false;
  private delivery: { resolve: () => void; reject: (err: Error) => void } | null = null;
  // Parts written before the handshake ended.
  private queued: Buffer[] = [];
  private timer: NodeJS.Timeout;
  private readonly onAbort = (): void =>
    this.fail(new Error('stopped before the collector confirmed'));

  constructor(private readonly target: SyslogTlsTarget) {
    this.socket = connect({
      host: target.host,
      port: target.port,
      secureContext: target.secureContext,
      rejectUnauthorized: true,
      // SNI carries names only; an address is still checked against the certificate.
      servername: isIP(target.host) === 0 ? target.host : undefined,
    });
    this.timer = setTimeout(
      () => this.fail(new Error(`no TLS session with the collector within ${target.timeoutMs} ms`)),
      target.timeoutMs,
    );
    if (target.signal?.aborted) this.onAbort();
    else target.signal?.addEventListener('abort', this.onAbort, { once: true });
    this.socket.once('secureConnect', () => {
      this.connected = true;
      if (!this.started) return clearTimeout(this.timer);
      for (const part of this.queued) this.socket.write(part);
      this.queued = [];
      if (this.ending) this.socket.end();
    });
    // The collector sends nothing; read on so that its end of the stream is seen.
    this.socket.on('data', () => undefined);
    this.socket.once('end', () => (this.peerClosed = true));
    this.socket.once('error', (err: Error) => this.fail(err));
    this.socket.once('close', (hadError) => {
      if (this.delivery && !hadError && this.peerClosed && this.socket.writableFinished)
        this.settle();
      else this.fail(new Error('the collector closed the connection before confirming the batch'));
    });
  }

  // The session has ended unconfirmed (or was discarded): finish() rejects.
  get failed(): boolean {
    return this.failure !== null && this.delivery === null;
  }

  // Writes a part of the batch (whole frames). Resolves when the part has left for the socket
  // (so that the caller reads the next part meanwhile and holds at most about two in memory),
  // or at once when the session failed: finish() then rejects.
  write(part: Buffer): Promise<void> {
    if (this.failure || this.ending) return Promise.resolve();
    this.begin();
    if (!this.connected) {
      this.queued.push(part);
      return Promise.resolve();
    }
    if (this.socket.write(part)) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  // Ends the batch and resolves once the collector has confirmed it by its close. Once per
  // session.
  finish(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      if (this.delivery) return reject(new Error('a session carries one batch'));
      this.delivery = { resolve, reject };
      this.begin();
      this.ending = true;
      if (this.connected) this.socket.end();
    });
  }

  // The whole batch at once.
  deliver(payload: Buffer): Promise<void> {
    void this.write(payload);
    return this.finish();
  }

  // Ends a session that will carry nothing (caught up, or shutting down).
  discard(): void {
    this.fail(new Error('the session was not used'));
  }

  // The batch starts: from now on the collector has timeoutMs to take it and confirm it.
  private begin(): void {
    if (this.started) return;
    this.started = true;
    clearTimeout(this.timer);
    this.timer = setTimeout(
      () =>
        this.fail(new Error(`the collector did not confirm within ${this.target.timeoutMs} ms`)),
      this.target.timeoutMs,
    );
  }

  private settle(): void {
    this.teardown();
    this.delivery?.resolve();
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure =
      err instanceof SyslogDeliveryError
        ? err
        : new SyslogDeliveryError(err.message, { cause: err });
    this.teardown();
    this.delivery?.reject(this.failure);
  }

  private teardown(): void {
    this.failure ??= new SyslogDeliveryError('the session has ended');
    this.queued = [];
    clearTimeout(this.timer);
    this.target.signal?.removeEventListener('abort', this.onAbort);
    this.socket.destroy();
  }
}

// One batch in a session of its own.
export function deliverSyslogBatch(target: SyslogTlsTarget, payload: Buffer): Promise<void> {
  return new SyslogTlsSession(target).deliver(payload);
}
