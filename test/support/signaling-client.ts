import { io, type Socket } from 'socket.io-client';
import type { TestApp } from './test-app';

export type Client = Socket;

export interface ConnectOptions {
  token?: string;
  query?: Record<string, string>;
  origin?: string;
}

export async function signalingUrl(t: TestApp): Promise<string> {
  const url = new URL(await t.app.getUrl());
  url.hostname = '127.0.0.1';
  return `${url.origin}/signaling`;
}

// Opens a socket and resolves once connected; rejects with the server's refusal message.
export async function connect(t: TestApp, options: ConnectOptions): Promise<Client> {
  return connectTo(await signalingUrl(t), options);
}

// The same for a server given by its base URL (e.g. a Hekim child process).
export function connectTo(base: string, options: ConnectOptions): Promise<Client> {
  const url = base.endsWith('/signaling') ? base : `${base}/signaling`;
  const socket = io(url, {
    auth: options.token === undefined ? {} : { token: options.token },
    query: options.query,
    extraHeaders: options.origin ? { Origin: options.origin } : undefined,
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

export async function refusal(t: TestApp, options: ConnectOptions): Promise<string> {
  try {
    const socket = await connect(t, options);
    socket.close();
    return 'CONNECTED';
  } catch (err) {
    return (err as Error).message;
  }
}

export interface AckResult {
  ok: boolean;
  data?: Record<string, unknown>;
  error?: { code: string; message: string; retryAfter?: number; reason?: string };
}

export function request(socket: Client, event: string, payload?: unknown): Promise<AckResult> {
  return socket.timeout(10_000).emitWithAck(event, payload) as Promise<AckResult>;
}

// Records every event a socket receives, so a test can wait for one or check the order.
export class Inbox {
  readonly events: { event: string; payload: Record<string, unknown> }[] = [];

  constructor(readonly socket: Client) {
    socket.onAny((event: string, payload: Record<string, unknown>) => {
      this.events.push({ event, payload });
    });
  }

  of(event: string): Record<string, unknown>[] {
    return this.events.filter((e) => e.event === event).map((e) => e.payload);
  }

  async next(
    event: string,
    match: (p: Record<string, unknown>) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const found = this.events.find((e) => e.event === event && match(e.payload));
      if (found) return found.payload;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(
      `no ${event} within ${timeoutMs} ms; got ${this.events.map((e) => e.event).join(', ')}`,
    );
  }
}

export async function disconnected(socket: Client, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (socket.connected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  if (socket.connected) throw new Error('socket still connected');
}

export async function until(
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('condition not reached in time');
}
