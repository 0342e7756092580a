import type { MessageMappingProperties } from '@nestjs/websockets';
import type { Redis } from 'ioredis';
import { from, type Observable } from 'rxjs';
import type { AppConfig } from '../../config/app-config';
import { guardPublish, type RelayBus } from './relay-bus';
import { SignalingIoAdapter } from './signaling.adapter';

describe('guardPublish', () => {
  it('turns publish failures into a resolved 0 instead of an unhandled rejection', async () => {
    let fail = true;
    const client = {
      publish: (_channel: string, _message: string): Promise<number> =>
        fail ? Promise.reject(new Error('Connection is closed.')) : Promise.resolve(2),
    } as unknown as Redis;
    const guarded = guardPublish(client);
    await expect(guarded.publish('c', 'm')).resolves.toBe(0);
    await expect(guarded.publish('c', 'm')).resolves.toBe(0);
    fail = false;
    await expect(guarded.publish('c', 'm')).resolves.toBe(2);
  });
});

describe('SignalingIoAdapter.bindMessageHandlers', () => {
  type Listener = (this: FakeSocket, ...args: unknown[]) => void;
  class FakeSocket {
    connected = true;
    readonly nsp = { name: '/signaling' };
    readonly listeners = new Map<string, Listener[]>();
    readonly emitted: unknown[][] = [];
    on(event: string, listener: Listener): this {
      this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
      return this;
    }
    emit(...args: unknown[]): boolean {
      this.emitted.push(args);
      return true;
    }
    // What Socket.IO does once the middlewares let an event through: `this` is the socket.
    receive(event: string, ...args: unknown[]): void {
      for (const l of this.listeners.get(event) ?? []) l.apply(this, args);
    }
  }
  type Handler = MessageMappingProperties['callback'];
  // As Nest's: a handler's promise becomes the observable of its result.
  const transform = (result: unknown): Observable<unknown> => from(Promise.resolve(result));
  const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

  function bind(adapter: SignalingIoAdapter, socket: FakeSocket, handlers: Handler[]): void {
    adapter.bindMessageHandlers(
      socket as unknown as Parameters<SignalingIoAdapter['bindMessageHandlers']>[0],
      handlers.map((callback, i) => ({
        message: `event:${i}`,
        methodName: `m${i}`,
        callback,
        isAckHandledManually: false,
      })),
      transform,
    );
  }

  const adapter = (): SignalingIoAdapter =>
    new SignalingIoAdapter(undefined as never, {} as AppConfig, {} as RelayBus);

  it("calls each socket's own handler through one listener shared by all sockets", async () => {
    const a = new FakeSocket();
    const b = new FakeSocket();
    const io = adapter();
    bind(io, a, [(data) => Promise.resolve({ ok: true, data: { socket: 'a', data } })]);
    bind(io, b, [(data) => Promise.resolve({ ok: true, data: { socket: 'b', data } })]);
    expect(a.listeners.get('event:0')?.[0]).toBe(b.listeners.get('event:0')?.[0]);
    const ackA = jest.fn();
    const ackB = jest.fn();
    a.receive('event:0', { n: 1 }, ackA);
    b.receive('event:0', { n: 2 }, ackB);
    await settle();
    expect(ackA).toHaveBeenCalledWith({ ok: true, data: { socket: 'a', data: { n: 1 } } });
    expect(ackB).toHaveBeenCalledWith({ ok: true, data: { socket: 'b', data: { n: 2 } } });
  });

  it('emits `{ event, data }` results, ignores empty ones and answers nothing once disconnected', async () => {
    const s = new FakeSocket();
    let release: (v: unknown) => void = () => undefined;
    bind(adapter(), s, [
      () => Promise.resolve({ event: 'server:note', data: { x: 1 } }),
      () => Promise.resolve(undefined),
      () => new Promise((r) => (release = r)),
    ]);
    const acks = [jest.fn(), jest.fn(), jest.fn()];
    s.receive('event:0', {}, acks[0]);
    s.receive('event:1', {}, acks[1]);
    s.receive('event:2', {}, acks[2]);
    await settle();
    expect(s.emitted).toEqual([['server:note', { x: 1 }]]);
    s.connected = false;
    release({ ok: true, data: {} });
    await settle();
    for (const ack of acks) expect(ack).not.toHaveBeenCalled();
  });

  it('keeps serving the event after a handler throws', async () => {
    const s = new FakeSocket();
    let calls = 0;
    bind(adapter(), s, [
      () => {
        calls++;
        if (calls === 1) throw new Error('boom');
        return Promise.resolve({ ok: true, data: {} });
      },
    ]);
    const ack = jest.fn();
    s.receive('event:0', {}, jest.fn());
    s.receive('event:0', {}, ack);
    await settle();
    expect(ack).toHaveBeenCalledWith({ ok: true, data: {} });
  });
});
