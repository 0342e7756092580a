import { Injectable } from '@nestjs/common';
import { UsersService } from '../../users/users.service';
import { AppointmentsRepository } from '../booking/appointments.repository';
import type { QueueResponse } from './dto/queue.dto';
import { estimateWaits } from './wait-estimate';

// How many completed consultations the estimate looks back on.
const HISTORY = 10;

// A clinician's waiting queue (docs/appointments.md, "The queue"): their checked-in patients
// in order, how long each has waited and should still wait.
@Injectable()
export class QueueService {
  constructor(
    private readonly appointments: AppointmentsRepository,
    private readonly users: UsersService,
  ) {}

  async of(clinicianId: string, now = new Date()): Promise<QueueResponse> {
    const [waiting, current, recent] = await Promise.all([
      this.appointments.queueOf(clinicianId),
      this.appointments.currentOf(clinicianId),
      this.appointments.recentLengths(clinicianId, HISTORY),
    ]);
    const people = await this.users.findByIds(waiting.map((a) => a.patientId));
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
          displayName: people.find((u) => u.id === a.patientId)?.displayName ?? '',
          start: a.startAt.toISOString(),
          checkedInAt: checkedIn.toISOString(),
          waitedSeconds: Math.max(0, Math.floor((now.getTime() - checkedIn.getTime()) / 1000)),
          estimatedWaitMinutes: waits[i],
        };
      }),
      nextCursor: null,
    };
  }
}
