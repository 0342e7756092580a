import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  affectedRows,
  PersonalDataContributor,
  type PersonalDataSubject,
} from '../../common/personal-data/personal-data.contributor';
import { SessionsRepository } from './sessions.repository';
import {
  COMMON_MEASURES,
  DataCategory,
  DataSubjectGroup,
  LegalBasis,
  Processor,
  type ProcessingDeclaration,
} from '../../common/personal-data/processing';

type Row = Record<string, unknown>;

// The sessions module's part of the data export and erasure: the consultations the person
// took part in. Erasure drops the technical connection details; the join and leave times of
// a pseudonymous id stay with the consultation record.
@Injectable()
export class SessionsPersonalData extends PersonalDataContributor {
  readonly section = 'sessions';
  readonly tables = ['session_participants', 'room_sessions'];
  readonly processing: ProcessingDeclaration = {
    dataCategories: [DataCategory.Health, DataCategory.Device],
    dataSubjects: [DataSubjectGroup.Patients, DataSubjectGroup.Clinicians],
    purposes: ['running consultation sessions (who joined, when)'],
    legalBases: [LegalBasis.HealthCare, LegalBasis.ExplicitConsent],
    retention: 'RETENTION_SESSIONS_DAYS after the session ended (participants destroyed)',
    internalRecipients: ['the participants', 'admin'],
    processors: [Processor.Webhooks],
    securityMeasures: [...COMMON_MEASURES],
  };

  exportFor(subject: PersonalDataSubject, m: EntityManager): Promise<unknown> {
    return m.query<Row[]>(
      `SELECT s.id AS "sessionId", s.room_id AS "roomId", s.status,
              s.started_at AS "startedAt", s.ended_at AS "endedAt",
              p.joined_at AS "joinedAt", p.left_at AS "leftAt"
         FROM session_participants p JOIN room_sessions s ON s.id = p.session_id
        WHERE p.user_id = $1 ORDER BY p.joined_at`,
      [subject.id],
    );
  }

  eraseFor(subject: PersonalDataSubject, m: EntityManager): Promise<number> {
    return affectedRows(
      m,
      `UPDATE session_participants SET socket_id = NULL, instance_id = NULL
        WHERE user_id = $1 AND (socket_id IS NOT NULL OR instance_id IS NOT NULL)`,
      [subject.id],
    );
  }
}

// Knocks on waiting rooms (the sessions module keeps the waiting room): exported, and
// dropped on erasure.
@Injectable()
export class WaitingRoomPersonalData extends PersonalDataContributor {
  readonly section = 'waitingRoom';
  readonly tables = ['room_waiting'];
  readonly processing: ProcessingDeclaration = {
    dataCategories: [DataCategory.Scheduling],
    dataSubjects: [DataSubjectGroup.Patients],
    purposes: ['admitting a patient from the waiting room'],
    legalBases: [LegalBasis.HealthCare],
    retention: 'until admitted, or the session ends',
    internalRecipients: ['the room host'],
    processors: [Processor.Webhooks],
    securityMeasures: [...COMMON_MEASURES],
  };

  constructor(private readonly sessions: SessionsRepository) {
    super();
  }

  async exportFor(subject: PersonalDataSubject, m: EntityManager): Promise<unknown> {
    return (await this.sessions.knocksOf(subject.id, m)).map((k) => ({
      roomId: k.roomId,
      requestedAt: k.requestedAt.toISOString(),
    }));
  }

  eraseFor(subject: PersonalDataSubject, m: EntityManager): Promise<number> {
    return this.sessions.deleteKnocksOf(subject.id, m);
  }
}
