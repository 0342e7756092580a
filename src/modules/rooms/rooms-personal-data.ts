import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  PersonalDataContributor,
  type PersonalDataSubject,
} from '../../common/personal-data/personal-data.contributor';
import {
  COMMON_MEASURES,
  DataCategory,
  DataSubjectGroup,
  LegalBasis,
  Processor,
  type ProcessingDeclaration,
} from '../../common/personal-data/processing';

type Row = Record<string, unknown>;

// The rooms module's part of the data export and erasure: rooms the person hosts or belongs
// to. Memberships stay after an erasure: they link a pseudonymous id to a consultation, which
// the medical record needs. (Knocks on waiting rooms are the sessions module's part.)
@Injectable()
export class RoomsPersonalData extends PersonalDataContributor {
  readonly section = 'rooms';
  readonly tables = ['rooms', 'room_members'];
  readonly processing: ProcessingDeclaration = {
    dataCategories: [DataCategory.Health, DataCategory.Scheduling],
    dataSubjects: [DataSubjectGroup.Patients, DataSubjectGroup.Clinicians],
    purposes: ['organising consultations (who is in which consultation room)'],
    legalBases: [LegalBasis.HealthCare, LegalBasis.ExplicitConsent],
    retention: 'with the room; direct-call rooms with their call (RETENTION_CALLS_DAYS)',
    internalRecipients: ['room members', 'admin'],
    processors: [Processor.Webhooks],
    securityMeasures: [...COMMON_MEASURES],
  };

  async exportFor(subject: PersonalDataSubject, m: EntityManager): Promise<unknown> {
    return {
      memberships: await m.query<Row[]>(
        `SELECT r.id AS "roomId", r.name, r.type, r.status, r.host_id AS "hostId",
                rm.role, rm.created_at AS "memberSince", r.scheduled_for AS "scheduledFor",
                r.created_at AS "createdAt", r.closed_at AS "closedAt"
           FROM room_members rm JOIN rooms r ON r.id = rm.room_id
          WHERE rm.user_id = $1 ORDER BY rm.created_at`,
        [subject.id],
      ),
      hosted: await m.query<Row[]>(
        `SELECT id AS "roomId", name, type, status, created_at AS "createdAt"
           FROM rooms WHERE host_id = $1 ORDER BY created_at`,
        [subject.id],
      ),
    };
  }

  eraseFor(): Promise<number> {
    return Promise.resolve(0);
  }
}
