import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { Subscription } from 'rxjs';
import type { AuthUser } from '../../../common/auth/auth-user';
import { Role } from '../../../common/auth/role';
import { AppException } from '../../../common/errors/app.exception';
import { type WaitingChangedEvent, SessionEvents } from '../../sessions/session-events';
import { SessionsService } from '../../sessions/sessions.service';
import { UsersService } from '../../users/users.service';
import { AppointmentStatus } from '../booking/appointment.entity';
import { AppointmentsRepository } from '../booking/appointments.repository';
import type { AdmittedResponse, QueueResponse } from './dto/queue.dto';
import { QueueEvents } from './queue-events';
import { estimateWaits } from './wait-estimate';

// How many completed consultations the estimate looks back on.
const HISTORY = 10;

// A clinician's waiting queue (docs/appointments.md, "The queue"): their checked-in patients
// in order, how long each has waited and should still wait, who is knocking at their
// appointment's waiting room now, and their pre-call check. The queue is the appointments in
// PostgreSQL, so it survives the clinician's drop and any instance's restart; this service
// also hears the waiting room's changes (SessionEvents.waiting) and tells the queue's
// listeners (QueueEvents) after each.
@Injectable()
export class QueueService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Queue');
  private subscription: Subscription | undefined;

  constructor(
    private readonly appointments: AppointmentsRepository,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly sessionEvents: SessionEvents,
    private readonly events: QueueEvents,
  ) {}

  onApplicationBootstrap(): void {
    this.subscription = this.sessionEvents.waiting.subscribe((e) => {
      this.waitingChanged(e).catch((err: unknown) => {
        this.logger.error(
          { err: err instanceof Error ? err.message : String(err), roomId: e.roomId },
          'could not follow a waiting-room change',
        );
      });
    });
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
  }

  async of(clinicianId: string, now = new Date()): Promise<QueueResponse> {
    const [waiting, current, recent] = await Promise.all([
      this.appointments.queueOf(clinicianId),
      this.appointments.currentOf(clinicianId),
      this.appointments.recentLengths(clinicianId, HISTORY),
    ]);
    const [people, knocks] = await Promise.all([
      this.users.findByIds(waiting.map((a) => a.patientId)),
      this.sessions.knockingIn(waiting.map((a) => a.roomId)),
    ]);
    const names = new Map(people.map((u) => [u.id, u.displayName]));
    const knocking = new Set(knocks.map((k) => `${k.roomId}/${k.userId}`));
    const waits = estimateWaits({
      waiting: waiting.map((a) => ({
        appointmentId: a.id,
        slotMinutes: Math.round((a.endAt.getTime() - a.startAt.getTime()) / 60_000),
      })),
      recentSeconds: recent,
      currentElapsedSeconds: current
        ? Math.max(
            0,
            (now.getTime() -
              Math.max(current.startAt.getTime(), current.checkedInAt?.getTime() ?? 0)) /
              1000,
          )
        : null,
    });
    return {
      items: waiting.map((a, i) => {
        const checkedIn = a.checkedInAt ?? a.updatedAt;
        return {
          position: i + 1,
          appointmentId: a.id,
          roomId: a.roomId,
          patientId: a.patientId,
          displayName: names.get(a.patientId) ?? '',
          start: a.startAt.toISOString(),
          checkedInAt: checkedIn.toISOString(),
          waitedSeconds: Math.max(0, Math.floor((now.getTime() - checkedIn.getTime()) / 1000)),
          estimatedWaitMinutes: waits[i],
          waiting: knocking.has(`${a.roomId}/${a.patientId}`),
          precheck:
            a.precheckPassed === null || !a.precheckAt
              ? null
              : {
                  passed: a.precheckPassed,
                  at: a.precheckAt.toISOString(),
                  details: a.precheckDetails,
                },
        };
      }),
      nextCursor: null,
    };
  }

  // Whose queue `queue:next` takes from: a doctor's own (naming another's is refused); an
  // admin names the clinician. Answers the people of that queue knocking now, in queue order:
  // the caller admits the first it can (someone checked in but not connected keeps their
  // place and is passed over).
  async candidates(actor: AuthUser, clinicianId?: string): Promise<AdmittedResponse[]> {
    let owner: string;
    if (actor.role === Role.Doctor) {
      if (clinicianId !== undefined && clinicianId !== actor.id)
        throw AppException.forbidden('A doctor takes the next person of their own queue only.');
      owner = actor.id;
    } else if (actor.role === Role.Admin) {
      if (!clinicianId)
        throw AppException.validation([
          { field: 'clinicianId', messages: ['an admin names the clinician whose queue it is'] },
        ]);
      owner = clinicianId;
    } else {
      throw AppException.forbidden('Only clinicians and admins admit from a queue.');
    }
    const queue = await this.of(owner);
    return queue.items
      .filter((e) => e.waiting)
      .map((e) => ({
        appointmentId: e.appointmentId,
        roomId: e.roomId,
        userId: e.patientId,
        displayName: e.displayName,
      }));
  }

  // A knock, an admission or a knock's end at an appointment's room changes the queue's view
  // (who is knocking; an admitted patient's appointment went in consultation inside the
  // admitting transaction, AppointmentAdmissions): its listeners are told.
  private async waitingChanged(e: WaitingChangedEvent): Promise<void> {
    const appointment = await this.appointments.findByRoom(e.roomId);
    if (!appointment) return;
    const queued = appointment.status === AppointmentStatus.CheckedIn;
    const justAdmitted =
      e.change === 'admitted' && appointment.status === AppointmentStatus.InConsultation;
    if (queued || justAdmitted) this.events.changed.next({ clinicianId: appointment.clinicianId });
  }
}
