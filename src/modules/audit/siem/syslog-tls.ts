import { isIP } from 'node:net';
import { connect } from 'node:tls';

export interface SyslogTlsTarget {
  host: string;
  port: number;
  ca: string;
  cert?: string;
  key?: string;
  // The whole session: connect, handshake, write, and the collector's close.
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

// Delivers one batch of framed messages in a TLS session of its own and resolves only when
// the collector has confirmed it. RFC 5425 has no acknowledgement, so the confirmation is the
// close: Hekim writes the batch, sends close_notify and its FIN, and waits for the collector
// to close its side. A collector closes on reaching the end of the stream, that is after it
// has read every frame before it; a collector that went away, crashed or was cut off resets
// the connection or never answers, and the batch is not confirmed (the caller sends it again).
// The collector's certificate must chain to `ca` (and only to it: the public authorities are
// not trusted) and name `host`; a client certificate is presented when given (mutual TLS).
export function deliverSyslogBatch(target: SyslogTlsTarget, payload: Buffer): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (target.signal?.aborted) {
      reject(new SyslogDeliveryError('stopped before the session started'));
      return;
    }
    const socket = connect({
      host: target.host,
      port: target.port,
      ca: target.ca,
      cert: target.cert,
      key: target.key,
      minVersion: 'TLSv1.2',
      rejectUnauthorized: true,
      // SNI carries names only; an address is still checked against the certificate.
      servername: isIP(target.host) === 0 ? target.host : undefined,
    });
    let peerClosed = false;
    let settled = false;
    const timer = setTimeout(
      () => settle(new Error(`the collector did not confirm within ${target.timeoutMs} ms`)),
      target.timeoutMs,
    );
    const onAbort = (): void => settle(new Error('stopped before the collector confirmed'));
    target.signal?.addEventListener('abort', onAbort, { once: true });
    function settle(err?: Error): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      target.signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      if (err) reject(new SyslogDeliveryError(err.message, { cause: err }));
      else resolve();
    }
    socket.once('secureConnect', () => socket.end(payload));
    // The collector sends nothing; read on so that its end of the stream is seen.
    socket.on('data', () => undefined);
    socket.once('end', () => (peerClosed = true));
    socket.once('error', (err: Error) => settle(err));
    socket.once('close', (hadError) => {
      if (!hadError && peerClosed && socket.writableFinished) settle();
      else settle(new Error('the collector closed the connection before confirming the batch'));
    });
  });
}
