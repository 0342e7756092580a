// The Socket.IO connection to /signaling (docs/signaling.md), with typed events and acks.
//
// The Socket.IO client is the copy Hekim serves at /demo/vendor/socket.io.min.js (a classic
// script that defines `window.io`); only its types are imported here.
import type { ManagerOptions, Socket, SocketOptions } from 'socket.io-client';
import type { Ack, ClientEvents, ServerEvents } from './types.js';

declare global {
  interface Window {
    io?: (uri: string, opts?: Partial<ManagerOptions & SocketOptions>) => Socket;
  }
}

export class SignalingError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'SignalingError';
  }
}

type Handler<E extends keyof ServerEvents> = (payload: ServerEvents[E]) => void;

const ACK_TIMEOUT_MS = 10_000;

export class Signaling {
  private readonly socket: Socket;
  private token: string;

  constructor(token: string) {
    this.token = token;
    if (!window.io) throw new Error('Socket.IO client not loaded (/demo/vendor/socket.io.min.js)');
    // `auth` is a function so every reconnect presents the latest token, not the first one.
    this.socket = window.io('/signaling', {
      auth: (cb) => cb({ token: this.token }),
      transports: ['websocket'],
    });
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  // Hands a refreshed access token to the server before the old one expires; without it the
  // server sends auth:expired and closes the socket.
  async updateToken(token: string): Promise<void> {
    this.token = token;
    if (this.socket.connected) await this.request('auth:refresh', { token });
  }

  // Sends a client event and resolves with the ack's data, or rejects with its error code.
  async request<E extends keyof ClientEvents>(
    event: E,
    payload: ClientEvents[E][0],
  ): Promise<ClientEvents[E][1]> {
    const ack = (await this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, payload)) as Ack<
      ClientEvents[E][1]
    >;
    if (!ack.ok) throw new SignalingError(ack.error.code, ack.error.message);
    return ack.data;
  }

  on<E extends keyof ServerEvents>(event: E, handler: Handler<E>): void {
    // Server events are untyped on the wire; ServerEvents is this client's reading of §6.
    const name: string = event;
    this.socket.on(name, handler as (payload: unknown) => void);
  }

  onConnect(handler: (recovered: boolean) => void): void {
    this.socket.on('connect', () => handler(this.socket.recovered));
  }

  onDisconnect(handler: (reason: string) => void): void {
    this.socket.on('disconnect', (reason) => handler(reason));
  }

  // A refused handshake arrives as connect_error; "UNAUTHORIZED" means the token was bad.
  onConnectError(handler: (message: string) => void): void {
    this.socket.on('connect_error', (error) => handler(error.message));
  }

  // Drops the transport as a network failure would (tests use it); Socket.IO reconnects.
  simulateNetworkDrop(): void {
    this.socket.io.engine.close();
  }

  // After the server closed the socket (auth:expired), Socket.IO does not reconnect by itself.
  reconnect(): void {
    if (!this.socket.connected) this.socket.connect();
  }

  close(): void {
    this.socket.disconnect();
  }
}
