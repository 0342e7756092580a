// Over 400 lines on purpose: every change to a call (initiate, act, drop, ring expiry) takes
// the same shape (lock the row, ask the state machine, persist, webhook and audit in one
// transaction, publish the change after commit), and keeping those changes beside the
// private helpers of that shape is what keeps them alike. Reads (get, list) and quality
// reports (stats) are the candidates to move out when it grows further.
import { Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { AuthUser } from '../../common/auth/auth-user';
import { decodeCursor, DEFAULT_PAGE_SIZE, encodeCursor } from '../../common/http/cursor';
import { AppConfig } from '../../config/app-config';
import { AppException } from '../../common/errors/app.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { KeyValueStore } from '../../infra/redis/key-value.store';
import { AuditAction, AuditOutcome } from '../audit/audit-action';
import { type AuditEventInput, AuditService } from '../audit/audit.service';
import { type RoomCloser, RoomsService } from '../rooms/rooms.service';
import {
  type CallJoins,
  type Joined,
  RoomPresenceService,
  type SocketRef,
} from '../sessions/room-presence.service';
import { UsersService } from '../users/users.service';
import { WebhooksService } from '../webhooks/webhooks.service';
import { CallAcceptPolicy } from './call-accept.policy';
import { type CallChange, CallEvents, type CallView, toCallView } from './call-events';
import { CallNotifier, stoppedRinging } from './call-notifier';
import { callChanged, callInitiated, type CallWebhook } from './call-webhooks';
import {
  type CallEvent,
  type CallSnapshot,
  type CallType,
  newCall,
  TERMINAL,
  transition,
} from './call-state-machine';
import type { CallEntity, MetricSummary } from './call.entity';
import { toCallResponse, toSnapshot } from './call.mapper';
import { CallErrors } from './calls.errors';
import { CallsMetrics } from './calls.metrics';
import { CallsRepository } from './calls.repository';
import { RingPolicy } from './ring.policy';
import type {
  CallListResponse,
  CallResponse,
  CallStatsPayload,
  ListCallsQuery,
} from './dto/call.dto';

// Calls one user may start per window (CALL_INITIATE_RATE_PER_MINUTE), REST and signaling
// together.
const INITIATE_WINDOW_SECONDS = 60;

// The server itself, when nobody acted (a ring timeout).
const SERVER: RoomCloser = { id: null, role: null };

export type CallAction = 'accept' | 'reject' | 'cancel' | 'end';

export interface ActOptions {
  sdp?: string;
  // An accept made over a signaling socket: the edge announces it itself (CallChange).
  viaSignaling?: boolean;
  // The devices an accept over signaling puts in the call's room, in its transaction.
  devices?: AcceptDevices;
}

// A device of the caller's, as the signaling edge finds it.
export type CallerDevice = SocketRef & { user: AuthUser };

// The devices the server joins to the call's room on an accept over signaling (docs/calls.md,
// "What the server does on accept"): the accepting socket, and how the signaling edge finds
// the caller's device (null when none) from the socket that started the call, which the
// accept reads with the call under its lock, so that nothing is looked up before the
// transaction. The caller's device is joined only if the caller is still in the call and not
// already in its room; the accepting one takes its user's place in the room.
export interface AcceptDevices {
  accepting: SocketRef;
  findCaller: (callerId: string, callerSocketId: string | null) => Promise<CallerDevice | null>;
}

// An accept over signaling, committed: the call as accepted, the caller's device that was
// looked for, and the joins of both devices (null where a device was not joined).
export interface SignalingAccept {
  call: CallView;
  callerDevice: CallerDevice | null;
  callerJoin: Joined | null;
  accepterJoin: Joined | null;
}

type Actor = (Pick<AuthUser, 'role'> & { id: string | null }) | { id: string | null };

interface DeviceJoins {
  callerDevice: CallerDevice | null;
  callerJoin: Joined | null;
  accepterJoin: Joined | null;
  after: () => void;
}

interface ActResult {
  response: CallResponse;
  view: CallView;
  joins?: DeviceJoins;
}

const AUDIT_OF: Record<CallAction, AuditAction> = {
  accept: AuditAction.CallAccept,
  reject: AuditAction.CallReject,
  cancel: AuditAction.CallCancel,
  end: AuditAction.CallEnd,
};

// Every change to a call: one transaction that locks the call row, asks the state machine,
// persists the result and writes the audit record; the socket events go out after commit.
// REST and signaling both come through here, so they have the same effects.
@Injectable()
export class CallsService {
  private readonly logger = new Logger('Calls');

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly calls: CallsRepository,
    private readonly audit: AuditService,
    private readonly events: CallEvents,
    private readonly notifier: CallNotifier,
    private readonly acceptPolicy: CallAcceptPolicy,
    private readonly kv: KeyValueStore,
    private readonly metrics: CallsMetrics,
    private readonly rooms: RoomsService,
    private readonly ringPolicy: RingPolicy,
    private readonly webhooks: WebhooksService,
    private readonly users: UsersService,
    private readonly presence: RoomPresenceService,
  ) {}

  async initiate(
    actor: AuthUser,
    input: { calleeIds: string[]; type: CallType; sdp?: string },
    // The device that started the call, when it did so over signaling: it is joined to the
    // call's room on accept.
    socketId?: string,
  ): Promise<CallResponse> {
    if (input.calleeIds.includes(actor.id)) throw CallErrors.selfCall();
    if (input.calleeIds.length > this.config.calls.maxCallees)
      throw CallErrors.tooManyCallees(this.config.calls.maxCallees);
    await this.limit(actor.id);
    if (!(await this.ringPolicy.allows(actor, input.calleeIds))) {
      // Refused before anything exists: nobody is rung, no call or room is made.
      await this.audit.record({
        action: AuditAction.CallInitiate,
        outcome: AuditOutcome.Denied,
        actor: { userId: actor.id, role: actor.role },
        resource: { type: 'call' },
        details: { type: input.type, callees: input.calleeIds.length, reason: 'no_basis' },
      });
      throw CallErrors.notAllowed();
    }
    const now = new Date();
    const call = await this.dataSource.transaction(async (m) => {
      const known = await this.users.activeIds(input.calleeIds, m);
      if (known.length !== input.calleeIds.length) throw CallErrors.notAllowed();
      // A call gets its own room (type `call`) whose members are the participants, so that
      // the signaling gateway's join and relay work for it unchanged.
      const roomId = await this.rooms.openCallRoom(
        actor.id,
        input.calleeIds,
        `call-${input.type}`,
        m,
      );
      const created = await this.calls.insert(
        {
          type: input.type,
          callerId: actor.id,
          snapshot: newCall(actor.id, input.calleeIds, now),
          ringDeadline: new Date(now.getTime() + this.config.calls.ringTimeoutSeconds * 1000),
          callerSocketId: socketId ?? null,
        },
        roomId,
        m,
      );
      await this.record(actor, AuditAction.CallInitiate, created, m, {
        type: input.type,
        callees: input.calleeIds.length,
      });
      await this.webhook(m, [callInitiated(created, newCall(actor.id, input.calleeIds, now), now)]);
      return created;
    });
    this.publish({ kind: 'initiated', call: toCallView(call, now), sdp: input.sdp });
    return toCallResponse(call, now);
  }

  // The signaling edge rang a callee's devices (possibly none: then the notifier is asked to reach
  // them some other way).
  async delivered(
    call: Pick<CallView, 'id' | 'callerId' | 'type'>,
    calleeId: string,
    devices: number,
  ): Promise<void> {
    // Rung on some device: only the record, group-committed with others (no transaction of
    // its own to open and commit).
    if (devices > 0) {
      await this.audit.record(
        this.recordOf({ id: calleeId }, AuditAction.CallIncomingDelivered, call, { devices }),
      );
      return;
    }
    await this.dataSource.transaction(async (m) => {
      await this.record({ id: calleeId }, AuditAction.CallIncomingDelivered, call, m, { devices });
      // Under the call's lock, like every change: a ring that already stopped (the caller
      // cancelled first) is not pushed, and one that stops later finds this push to follow up.
      const locked = await this.calls.lockById(call.id, m);
      const ringing = locked?.participants?.some(
        (p) => p.userId === calleeId && p.state === 'ringing',
      );
      if (ringing)
        await this.notifier.incoming(
          { callId: call.id, calleeId, callerId: call.callerId, type: call.type },
          m,
        );
    });
  }

  async act(
    actor: AuthUser,
    callId: string,
    action: CallAction,
    options: ActOptions = {},
  ): Promise<CallResponse> {
    return (await this.actAudited(actor, callId, action, options)).response;
  }

  // An accept over signaling: the edge gets the call as accepted and announces it itself. The
  // devices it names are joined to the call's room in the accept's own transaction, under the
  // room's lock taken once (RoomPresenceService.joinForCall).
  async acceptOverSignaling(
    actor: AuthUser,
    callId: string,
    sdp: string | undefined,
    devices: AcceptDevices,
  ): Promise<SignalingAccept> {
    const { view, joins } = await this.actAudited(actor, callId, 'accept', {
      sdp,
      viaSignaling: true,
      devices,
    });
    return {
      call: view,
      callerDevice: joins?.callerDevice ?? null,
      callerJoin: joins?.callerJoin ?? null,
      accepterJoin: joins?.accepterJoin ?? null,
    };
  }

  // Where the caller started the call, when over signaling: the device joined on accept.
  async callerSocketOf(callId: string, callerId: string): Promise<string | null> {
    return (await this.calls.starterFor(callId, callerId))?.callerSocketId ?? null;
  }

  private async actAudited(
    actor: AuthUser,
    callId: string,
    action: CallAction,
    options: ActOptions,
  ): Promise<ActResult> {
    try {
      return await this.actOnce(actor, callId, action, options);
    } catch (err) {
      // An answer the consent gate refused is recorded (`denied`) after its transaction rolled
      // back: evidence that a patient without consent did not take the call.
      if (err instanceof AppException && err.code === ErrorCode.ConsentRequired)
        await this.audit.record({
          action: AuditAction.CallAccept,
          outcome: AuditOutcome.Denied,
          actor: { userId: actor.id, role: actor.role },
          resource: { type: 'call', id: callId },
          subjectId: actor.id,
          details: { reason: 'consent_required' },
        });
      throw err;
    }
  }

  private async actOnce(
    actor: AuthUser,
    callId: string,
    action: CallAction,
    options: ActOptions,
  ): Promise<ActResult> {
    const now = new Date();
    const { call, change, after, joins } = await this.dataSource.transaction(async (m) => {
      const locked = await this.calls.lockById(callId, m);
      if (!locked?.participants?.some((p) => p.userId === actor.id)) throw CallErrors.notFound();
      if (action === 'accept') await this.acceptPolicy.assertMayAccept(actor, callId, m);
      const before = toSnapshot(locked);
      const next = this.decide(before, { kind: action, by: actor.id }, now);
      // The call's rows and the pushes' follow-up (rows of the devices module) are independent:
      // sent together, one round trip on the pipelined connection (behindLock's note).
      const [after] = await Promise.all([
        this.persist(locked, before, next, now, actor, m),
        this.stopRinging(locked, before, next, { kind: action, by: actor.id }, m),
      ]);
      await this.webhook(m, callChanged(locked, before, next, { kind: action, by: actor.id }, now));
      const details: Record<string, unknown> = { status: next.status };
      if (next.endReason) details.reason = next.endReason;
      const left = action === 'end' && !TERMINAL.has(next.status);
      await this.record(actor, left ? AuditAction.CallLeave : AUDIT_OF[action], locked, m, details);
      // The callee's other devices stop ringing: part of the same change.
      if (action === 'accept')
        await this.record(actor, AuditAction.CallAnsweredElsewhere, locked, m, {});
      // The accepting and the caller's devices enter the call's room in this same transaction.
      const joins =
        action === 'accept' && options.devices
          ? await this.joinDevices(locked, next, actor, options.devices, m)
          : undefined;
      return {
        call: locked,
        change: this.changeOf(action, toCallView(locked, now), actor.id, options, left),
        after,
        joins,
      };
    });
    joins?.after();
    this.publish(change, after);
    return { response: toCallResponse(call, now), view: change.call, joins };
  }

  // The caller's device first (it was there first, so the accepting device is the polite one),
  // then the accepting device. The caller's is looked for, and joined, only while the caller is
  // in the call; it is found from the socket that started the call, read with the call under
  // its lock (a socket on this instance is found in memory, one elsewhere through the adapter).
  private async joinDevices(
    call: CallEntity,
    next: CallSnapshot,
    actor: AuthUser,
    devices: AcceptDevices,
    m: EntityManager,
  ): Promise<DeviceJoins> {
    const callerInCall =
      call.callerId !== actor.id &&
      next.participants.some((p) => p.userId === call.callerId && p.state === 'joined');
    const caller = callerInCall
      ? await devices.findCaller(call.callerId, call.callerSocketId)
      : null;
    const callerIn = caller !== null && caller.user.id === call.callerId;
    const accepting = {
      socketId: devices.accepting.socketId,
      instanceId: devices.accepting.instanceId,
    };
    const { joined, after }: CallJoins = await this.presence.joinForCall(
      call.roomId,
      [
        ...(callerIn
          ? [
              {
                actor: caller.user,
                socket: { socketId: caller.socketId, instanceId: caller.instanceId },
                unlessPresent: true,
                consentChecked: false,
              },
            ]
          : []),
        { actor, socket: accepting, unlessPresent: false, consentChecked: true },
      ],
      m,
    );
    return {
      callerDevice: caller,
      callerJoin: callerIn ? joined[0] : null,
      accepterJoin: joined.at(-1) ?? null,
      after,
    };
  }

  // Takes the user out of every call they are ringing in or taking part in (e.g. their
  // `telemedicine` consent was withdrawn), the way they could have done it themselves: a
  // caller still ringing cancels, a callee still ringing rejects, a joined participant ends
  // (a group call goes on without them). A call that changed meanwhile is skipped.
  async leaveAllOf(actor: AuthUser): Promise<number> {
    let changed = 0;
    for (const call of await this.calls.openCallsOf(actor.id)) {
      const me = call.participants?.find((p) => p.userId === actor.id);
      const action: Exclude<CallAction, 'accept'> =
        call.status === 'ringing' && call.callerId === actor.id
          ? 'cancel'
          : me?.state === 'ringing'
            ? 'reject'
            : 'end';
      try {
        await this.act(actor, call.id, action);
        changed++;
      } catch (err) {
        if (!(err instanceof AppException)) throw err;
      }
    }
    return changed;
  }

  // A participant's device dropped from the call's room and did not come back within the
  // reconnect grace: a one-to-one call has failed; in a group call that participant left.
  // Anything else (not a call room, call already over) is not a change.
  async dropped(roomId: string, userId: string): Promise<boolean> {
    const now = new Date();
    const result = await this.dataSource.transaction(async (m) => {
      const locked = await this.calls.lockByRoomId(roomId, m);
      if (!locked) return null;
      const before = toSnapshot(locked);
      const event: CallEvent = locked.isGroup ? { kind: 'leave', by: userId } : { kind: 'fail' };
      const who = before.participants.find((p) => p.userId === userId);
      if (who?.state !== 'joined') return null;
      const t = transition(before, event, now);
      if (!t.ok) return null;
      const after = await this.persist(locked, before, t.call, now, { id: userId, role: null }, m);
      await this.webhook(m, callChanged(locked, before, t.call, event, now));
      await this.stopRinging(locked, before, t.call, event, m);
      const over = TERMINAL.has(t.call.status);
      await this.record(
        { id: userId },
        over ? AuditAction.CallEnd : AuditAction.CallLeave,
        locked,
        m,
        { status: t.call.status, reason: t.call.endReason ?? 'connection_lost' },
      );
      const view = toCallView(locked, now);
      const change: CallChange = over
        ? { kind: 'ended', call: view }
        : { kind: 'left', call: view, by: userId };
      return { change, after };
    });
    if (result) this.publish(result.change, result.after);
    return result !== null;
  }

  // Rings that ran out, on any instance: each expired call is handled once (SKIP LOCKED).
  async expireRinging(now: Date = new Date()): Promise<number> {
    const changes = await this.dataSource.transaction(async (m) => {
      const out: { change: CallChange; after: (() => void)[] }[] = [];
      for (const locked of await this.calls.lockRingExpired(now, 50, m)) {
        const before = toSnapshot(locked);
        const t = transition(before, { kind: 'timeout' }, now);
        if (!t.ok) {
          // Nothing left to ring: only the stale deadline goes.
          await this.calls.applySnapshot(locked, before, null, m);
          continue;
        }
        const missed = before.participants
          .filter((p) => p.state === 'ringing')
          .map((p) => p.userId);
        const after = await this.persist(locked, before, t.call, now, SERVER, m);
        await this.webhook(m, callChanged(locked, before, t.call, { kind: 'timeout' }, now));
        await this.stopRinging(locked, before, t.call, { kind: 'timeout' }, m);
        await this.record({ id: null }, AuditAction.CallMissed, locked, m, {
          status: t.call.status,
          missed: missed.length,
        });
        out.push({
          change: { kind: 'missed', call: toCallView(locked, now), userIds: missed },
          after,
        });
      }
      return out;
    });
    for (const { change, after } of changes) this.publish(change, after);
    return changes.length;
  }

  async stats(actor: AuthUser, p: CallStatsPayload): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      const call = await this.calls.lockById(p.callId, m);
      if (!call?.participants?.some((x) => x.userId === actor.id)) throw CallErrors.notFound();
      if (call.status !== 'active') throw CallErrors.refused(`is ${call.status}, not active`);
      const quality = call.quality ?? { reports: 0 };
      quality.reports += 1;
      // As reported (ms, %, kbit/s) in the call's summary; in base units (s, ratio, B/s) in the
      // histograms.
      const metrics = {
        rttMs: [p.rttMs, this.metrics.rttSeconds, 1e-3],
        jitterMs: [p.jitterMs, this.metrics.jitterSeconds, 1e-3],
        packetLossPct: [p.packetLossPct, this.metrics.packetLossRatio, 1e-2],
        bitrateKbps: [p.bitrateKbps, this.metrics.bitrateBytesPerSecond, 125],
      } as const;
      for (const [key, [value, histogram, toBase]] of Object.entries(metrics) as [
        keyof typeof metrics,
        (typeof metrics)[keyof typeof metrics],
      ][]) {
        if (value === undefined) continue;
        quality[key] = accumulate(quality[key], value);
        histogram.observe(value * toBase);
      }
      call.quality = quality;
      await this.calls.saveQuality(call, m);
    });
  }

  async get(actor: AuthUser, id: string): Promise<CallResponse> {
    const call = await this.calls.findForUser(id, actor.id);
    if (!call) throw CallErrors.notFound();
    return toCallResponse(call);
  }

  async list(actor: AuthUser, query: ListCallsQuery): Promise<CallListResponse> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.calls.listPage({
      userId: actor.id,
      status: query.status,
      type: query.type,
      from: query.from,
      to: query.to,
      after: decodeCursor(query.cursor),
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const now = new Date();
    return {
      items: page.map((c) => toCallResponse(c, now)),
      nextCursor:
        rows.length > limit && last ? encodeCursor({ at: last.createdAt, id: last.id }) : null,
    };
  }

  // Retention (compliance module), inside the caller's transaction: calls over since before
  // `cutoff` are destroyed with their participants and their private call room (its members
  // and sessions go with it by cascade). A direct call holds nothing but who called whom and
  // when, so nothing of it is worth keeping anonymized. Returns what was destroyed.
  async destroyEndedBefore(
    cutoff: Date,
    manager: EntityManager,
    batch = 500,
  ): Promise<{ calls: number; participants: number }> {
    const total = { calls: 0, participants: 0 };
    for (;;) {
      const done = await this.calls.destroyBatchEndedBefore(cutoff, batch, manager);
      if (done.calls === 0) return total;
      await this.rooms.destroyCallRooms(done.roomIds, manager);
      total.calls += done.calls;
      total.participants += done.participants;
    }
  }

  async refreshActiveGauge(): Promise<void> {
    this.metrics.active.set(await this.calls.countActive());
  }

  private decide(before: CallSnapshot, event: CallEvent, now: Date): CallSnapshot {
    const t = transition(before, event, now);
    if (!t.ok) throw CallErrors.refused(t.reason);
    return t.call;
  }

  // Returns the work to run after the commit. A call that is over closes its room, which
  // ends the room's session (if anyone had joined it) in the same transaction.
  private async persist(
    locked: CallEntity,
    before: CallSnapshot,
    next: CallSnapshot,
    now: Date,
    actor: RoomCloser,
    m: EntityManager,
  ): Promise<(() => void)[]> {
    const stillRinging = next.participants.some((p) => p.state === 'ringing');
    await this.calls.applySnapshot(locked, next, stillRinging ? locked.ringDeadline : null, m);
    const after = TERMINAL.has(next.status)
      ? await this.rooms.closeForCall(locked.roomId, actor, m)
      : [];
    this.observe(locked, before, next, now);
    return after;
  }

  private observe(call: CallEntity, before: CallSnapshot, next: CallSnapshot, now: Date): void {
    const sinceStart = (now.getTime() - call.createdAt.getTime()) / 1000;
    if (before.status === 'ringing' && next.status !== 'ringing')
      this.metrics.ringSeconds.observe(sinceStart);
    if (before.status === 'ringing' && next.status === 'active')
      this.metrics.setupSeconds.observe(sinceStart);
    if (!TERMINAL.has(before.status) && TERMINAL.has(next.status))
      this.metrics.total.inc({
        status: next.status,
        end_reason: next.endReason ?? 'none',
        type: call.type,
      });
  }

  private changeOf(
    action: CallAction,
    call: CallView,
    by: string,
    options: ActOptions,
    left: boolean,
  ): CallChange {
    switch (action) {
      case 'accept':
        return {
          kind: 'accepted',
          call,
          by,
          sdp: options.sdp,
          viaSignaling: options.viaSignaling ?? false,
        };
      case 'reject':
        return { kind: 'rejected', call, by };
      case 'cancel':
        return { kind: 'cancelled', call, by };
      case 'end':
        return left ? { kind: 'left', call, by } : { kind: 'ended', call };
    }
  }

  private async limit(userId: string): Promise<void> {
    // A window opens with the first call and lasts INITIATE_WINDOW_SECONDS.
    const count = await this.kv.increment(`calls:initiate:${userId}`, INITIATE_WINDOW_SECONDS);
    if (count > this.config.calls.initiateRatePerMinute)
      throw CallErrors.rateLimited(INITIATE_WINDOW_SECONDS);
  }

  private record(
    actor: Actor,
    action: AuditAction,
    call: Pick<CallEntity, 'id' | 'type'>,
    m: EntityManager,
    details: Record<string, unknown>,
  ): Promise<unknown> {
    return this.audit.record(this.recordOf(actor, action, call, details), m);
  }

  private recordOf(
    actor: Actor,
    action: AuditAction,
    call: Pick<CallEntity, 'id' | 'type'>,
    details: Record<string, unknown>,
  ): AuditEventInput {
    return {
      action,
      outcome: AuditOutcome.Success,
      actor: { userId: actor.id, role: 'role' in actor ? actor.role : null },
      resource: { type: 'call', id: call.id },
      details: { type: call.type, ...details },
    };
  }

  // Devices that were pushed the call stop ringing (docs/notifications.md#push).
  private async stopRinging(
    call: CallEntity,
    before: CallSnapshot,
    next: CallSnapshot,
    event: CallEvent,
    m: EntityManager,
  ): Promise<void> {
    const notice = stoppedRinging(call.id, before, next, event);
    if (notice) await this.notifier.stopped(notice, m);
  }

  // The integrators' events of a change, in its transaction (docs/notifications.md#events).
  private async webhook(m: EntityManager, hooks: CallWebhook[]): Promise<void> {
    for (const h of hooks) await this.webhooks.publish(m, h.type, h.data);
  }

  private publish(change: CallChange, after: (() => void)[] = []): void {
    try {
      this.events.changes.next(change);
      for (const run of after) run();
    } catch (err) {
      this.logger.error(
        { err: err instanceof Error ? err.message : String(err), callId: change.call.id },
        'could not publish a call change',
      );
    }
  }
}

function accumulate(s: MetricSummary | undefined, value: number): MetricSummary {
  if (!s) return { min: value, max: value, sum: value, count: 1 };
  return {
    min: Math.min(s.min, value),
    max: Math.max(s.max, value),
    sum: s.sum + value,
    count: s.count + 1,
  };
}
