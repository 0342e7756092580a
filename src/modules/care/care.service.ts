import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { auditActor, type AuthUser } from '../../common/auth/auth-user';
import { Role } from '../../common/auth/role';
import { decodeCursor, DEFAULT_PAGE_SIZE, encodeCursor } from '../../common/http/cursor';
import type { RequestMeta } from '../../common/http/request-meta';
import { AppConfig } from '../../config/app-config';
import { AuditAction, AuditOutcome } from '../audit/audit-action';
import { AuditService } from '../audit/audit.service';
import { type RoomEntity, RoomType } from '../rooms/room.entity';
import { type RoomCloser, RoomsService } from '../rooms/rooms.service';
import { SessionsService } from '../sessions/sessions.service';
import { CareRelationshipsPort } from '../users/ports/care-relationships.port';
import { UserStatus } from '../users/user.entity';
import { UsersRepository } from '../users/users.repository';
import { CareEndReason, type CareRelationshipEntity, CareSource } from './care-relationship.entity';
import { careStatus, earlierEnd, followUpEnd } from './care-timeline';
import { toCareRelationshipResponse } from './care.mapper';
import { CareErrors } from './care.errors';
import { type CareEnd, CareRepository } from './care.repository';
import type {
  CareRelationshipListResponse,
  CareRelationshipResponse,
  ListCareRelationshipsQuery,
} from './dto/care-relationship.dto';

// Care relationships (docs/access-model.md): the record of who is treating whom, and with it
// the only basis, besides break-glass, on which a clinician reaches a patient. A relationship
// is made by the patient's own act only (accepting a room invitation; later, booking or
// confirming an appointment), lives as long as its source, and then for CARE_FOLLOW_UP_DAYS
// after the patient's last consultation. Either party may end it: the patient at once, the
// clinician by discharging, which keeps the follow-up window.

// Sources whose id is a room: the follow-up window is measured in that room's sessions.
export const ROOM_SOURCES: readonly CareSource[] = [
  CareSource.RoomInvitation,
  CareSource.Appointment,
];

@Injectable()
export class CareService extends CareRelationshipsPort {
  constructor(
    private readonly dataSource: DataSource,
    private readonly relationships: CareRepository,
    private readonly rooms: RoomsService,
    private readonly sessions: SessionsService,
    private readonly users: UsersRepository,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
  ) {
    super();
  }

  // CareRelationshipsPort (the users module's record access).
  activeRelationshipId(clinicianId: string, patientId: string): Promise<string | null> {
    return this.relationships.activeId(clinicianId, patientId);
  }

  activePatientsOf(clinicianId: string): Promise<Map<string, string>> {
    return this.relationships.activePatientsOf(clinicianId);
  }

  // A doctor lists their patients, a patient their clinicians.
  async list(
    actor: AuthUser,
    query: ListCareRelationshipsQuery,
  ): Promise<CareRelationshipListResponse> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.relationships.listPage({
      party: actor.role === Role.Doctor ? { clinicianId: actor.id } : { patientId: actor.id },
      filter: query.status ?? 'current',
      after: decodeCursor(query.cursor),
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const now = new Date();
    return {
      items: page.map((r) => toCareRelationshipResponse(r, now)),
      nextCursor:
        rows.length > limit && last ? encodeCursor({ at: last.since, id: last.id }) : null,
    };
  }

  // Either party ends it. The patient's end is immediate: their consent to being treated is
  // theirs to withdraw. The clinician's is a discharge: access stays for the follow-up window
  // after the last consultation (results, questions after the visit), never longer than any
  // end set before, and ends at once when there was no consultation.
  async end(actor: AuthUser, id: string, meta: RequestMeta): Promise<CareRelationshipResponse> {
    return this.dataSource.transaction(async (m) => {
      const found = await this.relationships.findByIdForUpdate(id, m);
      const party = found && (found.patientId === actor.id || found.clinicianId === actor.id);
      if (!found || !party) throw CareErrors.notFound();
      const now = new Date();
      if (careStatus(found.until, now) === 'ended') throw CareErrors.ended();
      const byPatient = found.patientId === actor.id;
      const end: CareEnd = byPatient
        ? { until: now, endReason: CareEndReason.EndedByPatient, endedAt: now, endedBy: actor.id }
        : {
            until: earlierEnd(found.until, await this.followUp(found, now, m)),
            endReason: CareEndReason.Discharged,
            endedAt: now,
            endedBy: actor.id,
          };
      await this.relationships.setEnd(found.id, end, m);
      await this.recordEnd(found, end, auditActor(actor, meta), meta.requestId, m);
      return toCareRelationshipResponse(
        { ...found, until: end.until, endReason: end.endReason, endedAt: now, endedBy: actor.id },
        now,
      );
    });
  }

  // The patient booked or confirmed an appointment with this clinician (docs/access-model.md):
  // a live relationship whose source is the appointment's room, inside the booking's
  // transaction. It enters its follow-up window when that room closes (the appointment is
  // completed, cancelled or missed).
  async beginFromAppointment(
    input: { roomId: string; clinicianId: string; patient: { id: string; role: string } },
    m: EntityManager,
  ): Promise<void> {
    const made = await this.relationships.upsertLive(
      {
        clinicianId: input.clinicianId,
        patientId: input.patient.id,
        source: CareSource.Appointment,
        sourceId: input.roomId,
      },
      m,
    );
    await this.recordCreate(made, input.patient, m);
  }

  // The patient accepted: a relationship with each doctor who is an active member of the room
  // at this moment (a clinician added later gets none: that would be their own act). A call's
  // room never makes one.
  async fromAcceptedInvitation(
    room: RoomEntity,
    patient: AuthUser,
    m: EntityManager,
  ): Promise<void> {
    if (room.type === RoomType.Call || patient.role !== Role.Patient) return;
    const memberIds = await this.rooms.activeMemberIds(room.id, m);
    const clinicians = (await this.users.findByIds(memberIds, m)).filter(
      (u) => u.role === Role.Doctor && u.status === UserStatus.Active && u.id !== patient.id,
    );
    for (const clinician of clinicians) {
      const made = await this.relationships.upsertLive(
        {
          clinicianId: clinician.id,
          patientId: patient.id,
          source: CareSource.RoomInvitation,
          sourceId: room.id,
        },
        m,
      );
      await this.recordCreate(made, patient, m);
    }
  }

  private async recordCreate(
    made: CareRelationshipEntity,
    patient: { id: string; role: string },
    m: EntityManager,
  ): Promise<void> {
    await this.audit.record(
      {
        action: AuditAction.CareRelationshipCreate,
        outcome: AuditOutcome.Success,
        actor: { userId: patient.id, role: patient.role },
        resource: { type: 'care_relationship', id: made.id },
        subjectId: patient.id,
        details: { clinicianId: made.clinicianId, source: made.source, sourceId: made.sourceId },
      },
      m,
    );
  }

  // The source stopped being live (closed), or one party left it (removed): the live phase of
  // its relationships ends and the follow-up window begins.
  async endLivePhase(
    source: CareSource,
    sourceId: string,
    actor: RoomCloser,
    reason: CareEndReason,
    m: EntityManager,
    partyId?: string,
  ): Promise<void> {
    const now = new Date();
    for (const r of await this.relationships.liveFromSource(source, sourceId, m, partyId)) {
      const end: CareEnd = {
        until: await this.followUp(r, now, m),
        endReason: reason,
        ...(reason === CareEndReason.RemovedFromSource ? { endedAt: now, endedBy: actor.id } : {}),
      };
      await this.relationships.setEnd(r.id, end, m);
      await this.recordEnd(r, end, { userId: actor.id, role: actor.role }, null, m);
    }
  }

  private async followUp(r: CareRelationshipEntity, now: Date, m: EntityManager): Promise<Date> {
    const last = ROOM_SOURCES.includes(r.source)
      ? await this.sessions.lastConsultationOf(r.sourceId, r.patientId, m)
      : null;
    return followUpEnd(last, now, this.config.care.followUpDays);
  }

  private async recordEnd(
    r: CareRelationshipEntity,
    end: CareEnd,
    actor: {
      userId: string | null;
      role: string | null;
      ip?: string | null;
      userAgent?: string | null;
    },
    requestId: string | null,
    m: EntityManager,
  ): Promise<void> {
    await this.audit.record(
      {
        action: AuditAction.CareRelationshipEnd,
        outcome: AuditOutcome.Success,
        actor,
        resource: { type: 'care_relationship', id: r.id },
        subjectId: r.patientId,
        requestId,
        details: {
          clinicianId: r.clinicianId,
          reason: end.endReason,
          until: end.until.toISOString(),
        },
      },
      m,
    );
  }
}
