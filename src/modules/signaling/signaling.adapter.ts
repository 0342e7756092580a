import { type INestApplicationContext, Logger } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { MessageMappingProperties } from '@nestjs/websockets';
import { createAdapter } from '@socket.io/redis-adapter';
import { defer, type Observable } from 'rxjs';
import type { Server, ServerOptions } from 'socket.io';
import type { AppConfig } from '../../config/app-config';
import { eventArgs } from './event-payload';
import type { RelayBus } from './relay-bus';

// The Socket.IO server of the signaling gateway: message size capped by configuration, CORS
// from the same allow-list as REST, and with Redis the adapter that carries room and
// per-socket emits between instances. Connection-state recovery stays off: a recovered socket
// would skip the authentication middleware.
export class SignalingIoAdapter extends IoAdapter {
  private readonly logger = new Logger('SignalingAdapter');
  private readonly bound = new WeakMap<
    NestSocket,
    { transform: Transform; callbacks: MessageMappingProperties['callback'][] }
  >();
  private readonly listeners = new Map<string, Listener>();

  constructor(
    app: INestApplicationContext,
    private readonly config: AppConfig,
    private readonly bus: RelayBus,
  ) {
    super(app);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const { connectionStateRecovery: _ignored, ...rest } = options ?? {};
    const server = super.createIOServer(port, {
      ...rest,
      maxHttpBufferSize: this.config.signaling.maxPayloadBytes,
      cors: { origin: this.config.http.corsOrigins, methods: ['GET', 'POST'] },
      serveClient: false,
    }) as Server;
    // Its Redis connections are the relay bus's, which carries offers, answers and candidates
    // between instances beside it, in order with its emits.
    if (this.bus.clients) {
      const { pub, sub } = this.bus.clients;
      server.adapter(createAdapter(pub, sub, { key: `${this.config.redis.keyPrefix}socket.io` }));
    }
    return server;
  }

  // Nest's IoAdapter builds an RxJS pipeline per event per socket (fromEvent, mergeMap,
  // takeUntil on a shared disconnect stream: about 50 KB of subscribers and closures for the
  // gateway's 14 events), held for the socket's whole life. Here each socket keeps only what
  // Nest bound for it (its handlers and how their results become answers), and every socket
  // of a namespace shares one listener per event, which finds the socket as `this`. Socket.IO
  // dispatches as usual: its middlewares (the rate limit) run first, and nothing is
  // dispatched to a socket that is gone; results are answered the way Nest's adapter does.
  override bindMessageHandlers(
    socket: NestSocket,
    handlers: MessageMappingProperties[],
    transform: Transform,
  ): void {
    // A second gateway on the same namespace: Nest's own binding for that one.
    if (this.bound.has(socket)) return super.bindMessageHandlers(socket, handlers, transform);
    this.bound.set(socket, { transform, callbacks: handlers.map((h) => h.callback) });
    handlers.forEach(({ message, isAckHandledManually }, slot) => {
      socket.on(
        String(message),
        this.listener(socket.nsp.name, String(message), slot, isAckHandledManually),
      );
    });
  }

  private listener(
    namespace: string,
    event: string,
    slot: number,
    ackByHandler: boolean,
  ): Listener {
    const key = `${namespace}\0${event}\0${slot}\0${ackByHandler}`;
    let listener = this.listeners.get(key);
    if (!listener) {
      const dispatch = (socket: NestSocket, args: unknown[]): void =>
        this.dispatch(socket, event, slot, ackByHandler, args);
      listener = function (this: NestSocket, ...args: unknown[]): void {
        dispatch(this, args);
      };
      this.listeners.set(key, listener);
    }
    return listener;
  }

  private dispatch(
    socket: NestSocket,
    event: string,
    slot: number,
    ackByHandler: boolean,
    args: unknown[],
  ): void {
    const bound = this.bound.get(socket);
    const callback = bound?.callbacks[slot];
    if (!bound || !callback) return;
    const { data, ack } = eventArgs(args);
    // Deferred, so that a handler throwing at once is an error here, as in Nest's pipeline.
    defer(() => bound.transform(callback(data, ack))).subscribe({
      next: (response) => {
        if (response === null || response === undefined || !socket.connected) return;
        const reply = response as { event?: unknown; data?: unknown };
        if (typeof reply.event === 'string') socket.emit(reply.event, reply.data);
        else if (!ackByHandler && typeof ack === 'function')
          (ack as (r: unknown) => void)(response);
      },
      error: (err: unknown) => {
        this.logger.error(
          { err: err instanceof Error ? err.message : String(err), event },
          'signaling handler failed',
        );
      },
    });
  }
}

// The Socket.IO copy Nest's adapter builds its server with.
type NestSocket = Parameters<IoAdapter['bindMessageHandlers']>[0];
type Transform = (data: unknown) => Observable<unknown>;
type Listener = (this: NestSocket, ...args: unknown[]) => void;
