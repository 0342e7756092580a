import { Injectable, Logger } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import type { AuthUser } from '../../common/auth/auth-user';
import { AppException } from '../../common/errors/app.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { QueueEvents } from '../appointments/queue/queue-events';
import { QueueService } from '../appointments/queue/queue.service';
import { RoomPresenceService } from '../sessions/room-presence.service';
import { RoomFanout } from './room-fanout';
import type { QueueAdmitted } from './signaling-events';
import { describe, SignalingServer, USER_CHANNEL } from './signaling-socket';

// The live queue of docs/appointments.md ("The queue") as sockets see it. After every change to
// a clinician's queue (QueueEvents, whichever instance made it), the queue is read once from
// PostgreSQL and each person knocking at their appointment's waiting room gets `queue:update`
// with their place and estimate, and the clinician `queue:changed` with the whole queue; the
// emits reach every instance through the user channels (Socket.IO Redis adapter). Reads of one
// clinician's queue do not overlap on an instance: changes that arrive during one are folded
// into one more read after it, so the last thing sent is the queue as it stands.
@Injectable()
export class QueueFanout {
  private readonly logger = new Logger('QueueFanout');
  private subscription: Subscription | undefined;
  // Clinicians whose queue is being read now; true when another change arrived meanwhile.
  private readonly busy = new Map<string, boolean>();

  constructor(
    private readonly server: SignalingServer,
    private readonly queue: QueueService,
    private readonly events: QueueEvents,
    private readonly presence: RoomPresenceService,
    private readonly rooms: RoomFanout,
  ) {}

  start(): void {
    this.subscription = this.events.changed.subscribe((e) => this.changed(e.clinicianId));
  }

  stop(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
  }

  // `queue:next`: the first person of the queue who is knocking now is admitted, exactly as
  // `room:admit` would (their device gets `room:admitted`). Someone admitted or gone between
  // the read and the admission is passed over for the next. Nobody knocking: NOT_FOUND.
  async next(actor: AuthUser, clinicianId?: string): Promise<QueueAdmitted> {
    for (const c of await this.queue.candidates(actor, clinicianId)) {
      try {
        const { joined, socketId } = await this.presence.admit(actor, c.roomId, c.userId);
        this.server.io
          .to(socketId)
          .emit('room:admitted', this.rooms.joined(joined, socketId, c.userId));
        return c;
      } catch (err) {
        if (err instanceof AppException && err.code === ErrorCode.NotFound) continue;
        throw err;
      }
    }
    throw AppException.notFound('A person waiting in the queue');
  }

  private changed(clinicianId: string): void {
    if (this.busy.has(clinicianId)) {
      this.busy.set(clinicianId, true);
      return;
    }
    this.busy.set(clinicianId, false);
    void this.sendUntilQuiet(clinicianId);
  }

  private async sendUntilQuiet(clinicianId: string): Promise<void> {
    try {
      do {
        this.busy.set(clinicianId, false);
        await this.send(clinicianId).catch((err: unknown) => {
          this.logger.error({ err: describe(err), clinicianId }, 'could not send a queue update');
        });
      } while (this.busy.get(clinicianId));
    } finally {
      this.busy.delete(clinicianId);
    }
  }

  private async send(clinicianId: string): Promise<void> {
    const { items } = await this.queue.of(clinicianId);
    const io = this.server.io;
    io.to(USER_CHANNEL(clinicianId)).emit('queue:changed', { clinicianId, items });
    for (const e of items) {
      if (!e.waiting) continue;
      io.to(USER_CHANNEL(e.patientId)).emit('queue:update', {
        roomId: e.roomId,
        position: e.position,
        estimatedWaitMinutes: e.estimatedWaitMinutes,
      });
    }
  }
}
