// The signaling connection (docs/signaling.md), typed from the server's own event map
// (contract/signaling-events.ts, generated from the server's file: docs/sdk.md).
import { io, type Socket } from 'socket.io-client';
import type {
  Ack,
  ClientToServerEvents,
  ServerToClientEvents,
} from './contract/signaling-events.js';
import { Emitter } from './emitter.js';
import { HekimError } from './errors.js';

export type ClientEvent = keyof ClientToServerEvents;
export type ServerEvent = keyof ServerToClientEvents;
export type RequestPayload<E extends ClientEvent> = Parameters<ClientToServerEvents[E]>[0];
export type RequestAnswer<E extends ClientEvent> = Parameters<ClientToServerEvents[E]>[1] extends (
  a: Ack<infer T>,
) => void
  ? T
  : never;
export type ServerPayload<E extends ServerEvent> = Parameters<ServerToClientEvents[E]>[0];

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

export interface ConnectionChange {
  state: ConnectionState;
  // Why the connection is not up: Socket.IO's disconnect reason or the handshake's refusal
  // (`UNAUTHORIZED`, `FORBIDDEN`, `RATE_LIMITED`, `UNAVAILABLE`).
  reason?: string;
}

export interface SignalingOptions {
  // Hekim's base URL, e.g. `https://hekim.example`; the namespace `/signaling` is added.
  url: string;
  // The access token (or a guest grant); a function is asked again at each (re)connection.
  token: string | (() => string | Promise<string>);
  // Socket.IO's `io`, to pass options of its own or a test double. Default: socket.io-client.
  io?: typeof io;
  requestTimeoutMs?: number;
  // Extra Socket.IO options (e.g. `extraHeaders` in Node, `forceNew` in tests).
  socketOptions?: Record<string, unknown>;
}

type TypedSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

// Retried once more after `retryAfter` (RATE_LIMITED) or a short jittered pause (UNAVAILABLE):
// docs/signaling.md, "Requests and acknowledgements".
const RETRIES = 2;

export class SignalingClient extends Emitter<{ connection: ConnectionChange }> {
  readonly socket: TypedSocket;
  private state: ConnectionState = 'connecting';
  private draining = false;
  // The jittered reconnect after a drain: cancelled by close().
  private drainReconnect: ReturnType<typeof setTimeout> | undefined;
  private readonly timeoutMs: number;

  constructor(options: SignalingOptions) {
    super();
    this.timeoutMs = options.requestTimeoutMs ?? 10_000;
    const connect = options.io ?? io;
    const token = options.token;
    const base = options.url.replace(/\/$/, '');
    this.socket = connect(`${base}/signaling`, {
      transports: ['websocket'],
      autoConnect: false,
      // Each SignalingClient owns its connection (Socket.IO would share one per URL).
      forceNew: true,
      // Asked at every handshake, so a reconnect uses the current token.
      auth: (cb: (data: object) => void) => {
        void Promise.resolve(typeof token === 'function' ? token() : token).then((t) =>
          cb({ token: t }),
        );
      },
      ...options.socketOptions,
    });
    this.socket.on('connect', () => {
      this.draining = false;
      this.setState('connected');
    });
    this.socket.on('connect_error', (err: Error) => {
      // Refusals of the handshake are final, except UNAVAILABLE (retry with backoff, which
      // Socket.IO does for us) and RATE_LIMITED (too many sockets: also worth retrying).
      if (err.message === 'UNAUTHORIZED' || err.message === 'FORBIDDEN') {
        this.socket.disconnect();
        this.setState('closed', err.message);
      } else {
        this.setState('reconnecting', err.message);
      }
    });
    this.socket.on('server:draining', () => {
      this.draining = true;
    });
    // The token expired: the server cuts this socket now, draining or not, and that cut is
    // final like any server disconnect but a drain's (the app refreshes and connects again).
    this.socket.on('auth:expired', () => {
      this.draining = false;
    });
    this.socket.on('disconnect', (reason: string) => {
      if (reason === 'io client disconnect') {
        this.setState('closed', reason);
      } else if (reason === 'io server disconnect') {
        // The server closed us: after `server:draining` reconnect (the load balancer sends
        // us to another instance); otherwise (revoked session, expired token) stay closed.
        if (this.draining) {
          this.setState('reconnecting', 'server draining');
          clearTimeout(this.drainReconnect);
          this.drainReconnect = setTimeout(
            () => {
              this.drainReconnect = undefined;
              this.socket.connect();
            },
            200 + Math.random() * 800,
          );
        } else {
          this.setState('closed', reason);
        }
      } else {
        this.setState('reconnecting', reason);
      }
    });
  }

  get connectionState(): ConnectionState {
    return this.state;
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  // Connects, resolving once connected; rejects with the handshake's refusal.
  connect(): Promise<void> {
    if (this.socket.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const off = this.on('connection', (change) => {
        if (change.state === 'connected') {
          off();
          resolve();
        } else if (change.state === 'closed') {
          off();
          reject(new HekimError({ code: 'DISCONNECTED', message: change.reason ?? 'closed' }));
        }
      });
      this.setState('connecting');
      this.socket.connect();
    });
  }

  close(): void {
    clearTimeout(this.drainReconnect);
    this.drainReconnect = undefined;
    this.socket.disconnect();
    this.setState('closed', 'io client disconnect');
  }

  // Sends a client event and resolves with its acknowledgement's data; refusals reject with
  // a HekimError carrying the server's code.
  async request<E extends ClientEvent>(
    event: E,
    payload: RequestPayload<E>,
  ): Promise<RequestAnswer<E>> {
    for (let attempt = 0; ; attempt++) {
      const ack = await this.emitOnce(event, payload);
      if (ack.ok) return ack.data as RequestAnswer<E>;
      const retryable = ack.error.code === 'RATE_LIMITED' || ack.error.code === 'UNAVAILABLE';
      if (!retryable || attempt >= RETRIES) throw HekimError.fromAck(ack.error);
      const waitMs =
        ack.error.code === 'RATE_LIMITED'
          ? (ack.error.retryAfter ?? 1) * 1000
          : 250 + Math.random() * 500;
      await new Promise((r) => setTimeout(r, waitMs));
    }
  }

  // Listens to a server event; returns the function that stops listening.
  listen<E extends ServerEvent>(
    event: E,
    handler: (payload: ServerPayload<E>) => void,
  ): () => void {
    const h = handler as never;
    this.socket.on(event, h);
    return () => {
      this.socket.off(event, h);
    };
  }

  // After POST /auth/refresh: hands the socket the new access token (docs/signaling.md).
  async refreshToken(token: string): Promise<{ expiresAt: string }> {
    return this.request('auth:refresh', { token });
  }

  private emitOnce<E extends ClientEvent>(
    event: E,
    payload: RequestPayload<E>,
  ): Promise<Ack<unknown>> {
    return new Promise((resolve, reject) => {
      // Socket.IO's typed emit cannot take a generic event name; the map above types it.
      const timed = this.socket.timeout(this.timeoutMs) as unknown as {
        emit(
          event: string,
          payload: unknown,
          ack: (err: Error | null, answer: Ack<unknown>) => void,
        ): void;
      };
      timed.emit(event, payload, (err, answer) => {
        if (err) reject(new HekimError({ code: 'TIMEOUT', message: `${event}: no answer` }));
        else resolve(answer);
      });
    });
  }

  private setState(state: ConnectionState, reason?: string): void {
    if (this.state === state && state !== 'reconnecting') return;
    this.state = state;
    this.emit('connection', reason === undefined ? { state } : { state, reason });
  }
}
