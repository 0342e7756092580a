// Direct calls (docs/calls.md): ringing on every device of the callee, answered on one, and a
// ConsultationSession for the call's room once answered.
import type { CallAnswer, CallType, JoinedAnswer } from './contract/signaling-events.js';
import { Emitter } from './emitter.js';
import {
  type CallEvent,
  type CallState,
  isTerminal,
  nextCallState,
  startIncoming,
  startOutgoing,
} from './ringing.js';
import { ConsultationSession, type SessionOptions } from './session.js';
import type { SignalingClient } from './signaling.js';

export interface IncomingCall {
  callId: string;
  roomId: string;
  // The caller's user id; the app shows their name (GET /api/v1/calls/{id} lists participants).
  from: string;
  type: CallType;
}

export interface CallEvents {
  state: CallState;
  // The call's room is joined: media negotiation runs in this session.
  session: ConsultationSession;
}

export type CallSessionOptions = Omit<SessionOptions, 'signaling' | 'roomId' | 'callId'>;
// The options of each call's session, or a function that gives them when the session opens
// (the local tracks of the moment: an app that starts its camera only for the call).
export type CallSessionOptionsSource = CallSessionOptions | (() => CallSessionOptions);

// One call as this device sees it.
export class Call extends Emitter<CallEvents> {
  session: ConsultationSession | undefined;
  roomId: string | undefined;

  constructor(
    private current: CallState,
    private readonly signaling: SignalingClient,
    private readonly sessionOptions: CallSessionOptionsSource,
    readonly incoming?: IncomingCall,
  ) {
    super();
    if (incoming) this.roomId = incoming.roomId;
  }

  get callId(): string {
    return this.current.callId;
  }

  get state(): CallState {
    return this.current;
  }

  // Answers on this device; the server joins it to the call's room (the ack carries the join
  // answer) and stops the ringing on our other devices.
  async accept(): Promise<ConsultationSession> {
    const answer = await this.signaling.request('call:accept', { callId: this.callId });
    this.apply({ type: 'accepted', callId: this.callId });
    return this.openSession(answer);
  }

  async reject(): Promise<void> {
    const answer = await this.signaling.request('call:reject', { callId: this.callId });
    if (answer.status === 'rejected') this.apply({ type: 'rejected', callId: this.callId });
  }

  // The caller gives up while it rings.
  async cancel(): Promise<void> {
    await this.signaling.request('call:cancel', { callId: this.callId });
    this.apply({ type: 'cancelled', callId: this.callId });
  }

  async hangUp(): Promise<void> {
    await this.signaling.request('call:end', { callId: this.callId });
    this.apply({ type: 'ended', callId: this.callId, reason: 'hung-up' });
  }

  // Fed by CallClient with the server's events for this call.
  apply(event: CallEvent): void {
    const next = nextCallState(this.current, event);
    if (next === this.current) return;
    this.current = next;
    this.emit('state', next);
    if (isTerminal(next.phase)) this.session?.end(`call-${next.phase}`);
  }

  // The caller's device gets its join answer with `call:accepted`.
  accepted(answer: Partial<JoinedAnswer>): void {
    this.apply({ type: 'accepted', callId: this.callId });
    if (answer.sessionId !== undefined && answer.roomId !== undefined) {
      void this.openSession(answer as CallAnswer);
    } else if (this.roomId && !this.session) {
      // None of this user's devices was joined for us (docs/calls.md): join ourselves.
      const session = this.newSession(this.roomId);
      void session.join().catch(() => undefined);
    }
  }

  private openSession(
    answer: CallAnswer | (Partial<JoinedAnswer> & { roomId: string }),
  ): ConsultationSession {
    this.roomId = answer.roomId;
    const session = this.session ?? this.newSession(answer.roomId);
    if (
      answer.sessionId !== undefined &&
      answer.participants !== undefined &&
      answer.polite !== undefined &&
      answer.iceServers !== undefined &&
      answer.expiresAt !== undefined
    ) {
      session.attach({
        roomId: answer.roomId,
        sessionId: answer.sessionId,
        participants: answer.participants,
        iceServers: answer.iceServers,
        expiresAt: answer.expiresAt,
        polite: answer.polite,
      });
    } else {
      void session.join().catch(() => undefined);
    }
    return session;
  }

  private newSession(roomId: string): ConsultationSession {
    const options =
      typeof this.sessionOptions === 'function' ? this.sessionOptions() : this.sessionOptions;
    const session = new ConsultationSession({
      ...options,
      signaling: this.signaling,
      roomId,
      callId: this.callId,
    });
    this.session = session;
    this.emit('session', session);
    return session;
  }
}

export interface CallClientEvents {
  // A call rings on this device: show who calls, then call.accept() or call.reject().
  incoming: Call;
}

// Listens for calls to this user and starts calls; one per signaling connection.
export class CallClient extends Emitter<CallClientEvents> {
  private readonly calls = new Map<string, Call>();
  private readonly unlisten: (() => void)[] = [];

  constructor(
    private readonly signaling: SignalingClient,
    private readonly sessionOptions: CallSessionOptionsSource,
  ) {
    super();
    const s = signaling;
    const feed = (event: CallEvent): void => this.calls.get(event.callId)?.apply(event);
    this.unlisten.push(
      s.listen('call:incoming', (p) => {
        const call = new Call(startIncoming(p.callId), s, sessionOptions, {
          callId: p.callId,
          roomId: p.roomId,
          from: p.from,
          type: p.type,
        });
        this.track(call);
        this.emit('incoming', call);
      }),
      s.listen('call:accepted', (p) => this.calls.get(p.callId)?.accepted(p)),
      s.listen('call:answered-elsewhere', (p) => feed({ type: 'answered-elsewhere', ...p })),
      s.listen('call:rejected', (p) => feed({ type: 'rejected', callId: p.callId, by: p.by })),
      s.listen('call:cancelled', (p) => feed({ type: 'cancelled', ...p })),
      s.listen('call:missed', (p) => feed({ type: 'missed', ...p })),
      s.listen('call:participant-left', (p) => feed({ type: 'participant-left', ...p })),
      s.listen('call:ended', (p) =>
        feed({
          type: 'ended',
          callId: p.callId,
          reason: p.reason,
          durationSeconds: p.durationSeconds,
        }),
      ),
    );
  }

  // Rings the callees; the call's state becomes `active` when one answers.
  async start(calleeIds: string[], type: CallType): Promise<Call> {
    const answer = await this.signaling.request('call:initiate', { calleeIds, type });
    const call = new Call(startOutgoing(answer.callId), this.signaling, this.sessionOptions);
    call.roomId = answer.roomId;
    this.track(call);
    return call;
  }

  get(callId: string): Call | undefined {
    return this.calls.get(callId);
  }

  close(): void {
    for (const off of this.unlisten.splice(0)) off();
    for (const call of this.calls.values()) call.session?.end('closed');
    this.calls.clear();
  }

  private track(call: Call): void {
    this.calls.set(call.callId, call);
    call.on('state', (state) => {
      if (isTerminal(state.phase)) this.calls.delete(call.callId);
    });
  }
}
