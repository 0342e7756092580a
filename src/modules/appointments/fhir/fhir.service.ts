import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../../../common/auth/auth-user';
import { SessionsService } from '../../sessions/sessions.service';
import { UsersService } from '../../users/users.service';
import { AppointmentsRepository } from '../booking/appointments.repository';
import { AppointmentsService } from '../booking/appointments.service';
import type { FhirAppointmentSearchQuery } from './dto/fhir.dto';
import { fhirAppointment, fhirEncounter, type FhirResource, searchBundle } from './fhir-resources';
import { dateRange, referenceId } from './fhir-search';

export const FHIR_BASE = '/api/v1/fhir';

// The FHIR R4 read API for integrators (docs/appointments.md, "FHIR read API"). It answers
// through the same services as the REST API, so its access rules are theirs: an appointment
// for its two parties and admins, a session for its room's members and admins.
@Injectable()
export class FhirService {
  constructor(
    private readonly appointments: AppointmentsService,
    private readonly appointmentRows: AppointmentsRepository,
    private readonly sessions: SessionsService,
    private readonly users: UsersService,
  ) {}

  async appointment(actor: AuthUser, id: string): Promise<FhirResource> {
    return fhirAppointment(await this.appointments.get(actor, id));
  }

  async searchAppointments(
    actor: AuthUser,
    query: FhirAppointmentSearchQuery,
  ): Promise<Record<string, unknown>> {
    const { from, to } = dateRange(query.date ?? []);
    const page = await this.appointments.list(actor, {
      from,
      to,
      clinicianId: query.practitioner
        ? referenceId('practitioner', 'Practitioner', query.practitioner)
        : undefined,
      patientId: query.patient ? referenceId('patient', 'Patient', query.patient) : undefined,
      cursor: query._cursor,
      limit: query._count,
    });
    const params = (cursor?: string) => {
      const p = new URLSearchParams();
      for (const d of query.date ?? []) p.append('date', d);
      if (query.practitioner) p.set('practitioner', query.practitioner);
      if (query.patient) p.set('patient', query.patient);
      if (query._count) p.set('_count', String(query._count));
      if (cursor) p.set('_cursor', cursor);
      const text = p.toString();
      return `${FHIR_BASE}/Appointment${text ? `?${text}` : ''}`;
    };
    return searchBundle(
      page.items.map(fhirAppointment),
      params(query._cursor),
      page.nextCursor ? params(page.nextCursor) : null,
    );
  }

  async encounter(actor: AuthUser, id: string): Promise<FhirResource> {
    const session = await this.sessions.get(actor, id);
    const people = await this.users.findByIds(session.participants.map((p) => p.userId));
    const appointment = await this.appointmentRows.findByRoom(session.roomId);
    return fhirEncounter({
      id: session.id,
      status: session.status,
      startedAt: session.startedAt,
      endedAt: session.endedAt,
      participants: session.participants.map((p) => ({
        ...p,
        role: people.find((u) => u.id === p.userId)?.role ?? 'unknown',
      })),
      appointmentId: appointment?.id ?? null,
    });
  }
}
